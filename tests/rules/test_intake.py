"""Parsing lead entities as Microsoft sends them. Pure: no app, no database."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leads.rules import intake
from tests.lead_samples import customer_info, entity, microsoft_test_lead


def props(raw: dict) -> dict:
    return {k: v for k, v in raw.items() if k not in ("PartitionKey", "RowKey")}


@pytest.mark.parametrize("shape", ["CustomerInfo", "UserDetails", "top-level"])
def test_every_documented_shape_gives_the_same_lead(shape):
    lead = intake.parse(props(entity("r1", shape=shape)))
    assert (lead.first_name, lead.last_name, lead.email) == ("Jane", "Doe", "jane.doe@contoso.example")
    assert (lead.phone, lead.country, lead.company, lead.job_title) == (
        "+1 425 555 0100",
        "US",
        "Contoso",
        "Cloud Architect",
    )
    assert (lead.source_channel, lead.action_code, lead.offer) == ("AzureMarketplace", "INS", "coremem.radnac")
    assert lead.offer_title == "RADNAC" and lead.publisher_display_name == "coreMem Limited"
    assert lead.created_at_ms == datetime(2026, 11, 20, 10, 15, 0, 123456, tzinfo=UTC)
    assert lead.description == "Customer clicked Get It Now"
    assert not lead.is_dnc and not lead.is_test


@pytest.mark.parametrize(
    ("lead_source", "source", "action", "offer"),
    [
        ("AzureMarketplace-INS|coremem.radnac", "AzureMarketplace", "INS", "coremem.radnac"),
        ("AzurePortal-Create|coremem.radnac", "AzurePortal", "Create", "coremem.radnac"),
        ("AppSource (SPZA)-PLT|coremem.radnac", "AppSource (SPZA)", "PLT", "coremem.radnac"),
        ("SPZA-DNC|coremem.radnac", "SPZA", "DNC", "coremem.radnac"),
        ("TestDrive-StartTestDrive|coremem.radnac-trial", "TestDrive", "StartTestDrive", "coremem.radnac-trial"),
    ],
)
def test_lead_source_is_split_into_its_parts(lead_source, source, action, offer):
    raw = props(entity("r", LeadSource=lead_source))
    del raw["ActionCode"]  # the action comes from LeadSource alone
    lead = intake.parse(raw)
    assert (lead.source_channel, lead.action_code, lead.offer, lead.lead_source) == (source, action, offer, lead_source)


def test_optional_fields_may_be_missing():
    lead = intake.parse(props(entity("r", info=customer_info(Phone=None, Company=None, Title=None), created=None)))
    assert lead.phone is None and lead.company is None and lead.job_title is None
    assert lead.created_at_ms is None


def test_non_ascii_names_are_kept_exactly():
    lead = intake.parse(props(entity("r", info=customer_info(FirstName="Zoë", LastName="Jørgensen-Müller 李"))))
    assert (lead.first_name, lead.last_name) == ("Zoë", "Jørgensen-Müller 李")


def test_dnc_leads_are_marked_do_not_contact():
    assert intake.parse(props(entity("r", action="DNC"))).is_dnc


def test_microsoft_test_leads_are_marked():
    lead = intake.parse(props(microsoft_test_lead("r")))
    assert lead.is_test


def test_edu_leads_without_personal_data_are_recorded():
    raw = props(entity("r", info={}, LeadSource="AzureMarketplace-PLT|coremem.radnac", ActionCode="PLT"))
    lead = intake.parse(raw)
    assert not lead.has_personal_data() and lead.email is None and lead.action_code == "PLT"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (entity("r", CustomerInfo='{"FirstName": "Jane", '), "CustomerInfo is not valid JSON"),
        (entity("r", CustomerInfo='["not", "an", "object"]'), "not an object"),
        (entity("r", info=customer_info(Email=None)), "missing email"),
        (entity("r", action="XYZ"), "unknown action code 'XYZ'"),
        (entity("r", ActionCode=None, LeadSource=None), "no action code"),
        (entity("r", created="last Tuesday"), "CreatedTime 'last Tuesday' is not an ISO 8601"),
        (entity("r", info=customer_info(Email="not-an-address")), "is not an email address"),
        (entity("r", info=customer_info(FirstName="x" * 500)), "first_name is 500 characters long"),
        (entity("r", shape="top-level", info=customer_info(FirstName=["a"])), "FirstName should be text"),
    ],
)
def test_malformed_entities_are_refused_with_a_reason(raw, reason):
    with pytest.raises(intake.MalformedLead, match=reason.replace("(", r"\(")):
        intake.parse(props(raw))


@pytest.mark.parametrize("shape", ["CustomerInfo", "UserDetails", "top-level"])
def test_a_correction_is_written_where_the_entity_keeps_the_customer_details(shape):
    properties = entity("r1", shape=shape)
    properties.update(intake.corrected(properties, {"last_name": "Hopper", "job_title": None}))
    parsed = intake.parse(properties)
    assert (parsed.last_name, parsed.job_title, parsed.email) == ("Hopper", None, "jane.doe@contoso.example")
    with pytest.raises(ValueError, match="not customer fields"):
        intake.corrected(properties, {"offer": "x"})
