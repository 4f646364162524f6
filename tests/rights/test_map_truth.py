"""The personal-data map is true, not just complete: each column it calls "not personal" holds nothing personal,
and every row that holds a person's data is found for them and only for them (issue #29, defects 2-6)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from leads.ingest import corrections, sync
from leads.models import QuarantinedEntity, SourceCorrection
from leads.retention import sweeper
from leads.rights import actions, register
from leads.rules import datamap
from tests.factories import PINNED_NOW, add_lead, new_request, store_entities
from tests.lead_samples import customer_info, entity


def _request_for(session, make_user, lead, kind="access", email="ada@x.example"):
    actor = make_user("admin", f"dpo-{kind}-{email}@radnac.example")
    request = new_request(session, actor, received=date(2026, 11, 20), kind=kind, email=email)
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    return request, actor


def _export(session, request, actor) -> dict:
    chunks = actions.export(session=session, request=request, kind="access", actor=actor, now=PINNED_NOW)
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    return json.loads(archive.read("person.json"))


def test_a_quarantined_copy_of_the_persons_lead_without_an_email_is_exported_and_erased(session, make_user):
    store_entities(session, entity("ada", info=customer_info(Email="ada@x.example", FirstName="Ada", Phone="+44 20 1")))
    # Microsoft rewrites the row without an email: customer details without one are quarantined.
    later = PINNED_NOW + timedelta(minutes=5)
    store_entities(
        session, entity("ada", info=customer_info(Email=None, FirstName="Ada", Phone="+44 20 7946 0000")), now=later
    )
    held = session.exec(select(QuarantinedEntity)).one()
    assert "+44 20 7946 0000" in held.raw
    lead = session.exec(select(sync.Lead)).one()
    request, actor = _request_for(session, make_user, lead)
    section = _export(session, request, actor)["sections"]["quarantinedentity"]
    assert section["records"] == 1 and "+44 20 7946 0000" in section["data"][0]["raw"]
    assert "missing email" in section["data"][0]["reason"]  # the reason is the person's data too
    erasure, actor = _request_for(session, make_user, lead, kind="erasure")
    actions.erase(session=session, request=erasure, actor=actor, now=PINNED_NOW, tombstone_key="k", source=None)
    assert session.exec(select(QuarantinedEntity)).all() == []


def test_the_map_calls_every_column_that_holds_a_persons_values_personal():
    assert datamap.MAP["quarantinedentity"].columns["reason"] is not None  # e.g. the address that failed to parse
    assert datamap.MAP["sourcecorrection"].columns["fields"] is not None  # the corrected email or name


def test_the_sweep_drops_queued_corrections_with_the_lead_they_would_correct(session):
    lead = add_lead(session, PINNED_NOW - timedelta(days=3 * 366), "old")
    corrections.queue(session=session, lead=lead, fields={"email": "augusta@x.example"}, now=PINNED_NOW)
    session.commit()
    report = sweeper.sweep(session=session, now=PINNED_NOW, source=None, tombstone_key="k", holder="t")
    assert report.destroyed["lead"] == 1
    assert session.exec(select(SourceCorrection)).all() == []


def test_an_entity_is_filed_under_its_own_address_not_one_its_description_mentions(session, make_user):
    ada = add_lead(session, PINNED_NOW - timedelta(days=3), "ada")  # ada@x.example
    bob_info = customer_info(Email="bob@x.example", FirstName="Bob", Phone="0" * 101)  # too long: quarantined
    bobs = entity("bob-q", info=bob_info)
    bobs = {"Description": "Referred by ada@x.example", **{k: v for k, v in bobs.items() if k != "Description"}}
    store_entities(session, bobs)
    held = session.exec(select(QuarantinedEntity)).one()
    assert held.email_key == "bob@x.example"
    request, actor = _request_for(session, make_user, ada)
    assert _export(session, request, actor)["sections"]["quarantinedentity"]["records"] == 0
    # Ada's erasure leaves Bob's row alone; Bob's own request finds it.
    erasure, actor = _request_for(session, make_user, ada, kind="erasure")
    actions.erase(session=session, request=erasure, actor=actor, now=PINNED_NOW, tombstone_key="k", source=None)
    assert session.exec(select(QuarantinedEntity)).one().email_key == "bob@x.example"
    bob = add_lead(session, datetime(2026, 11, 1, tzinfo=UTC), "bob")  # bob@x.example
    bobs_request, actor = _request_for(session, make_user, bob, email="bob@x.example")
    assert _export(session, bobs_request, actor)["sections"]["quarantinedentity"]["records"] == 1


def test_a_saved_view_named_after_the_person_loses_the_name_with_their_erasure(session, make_user):
    from leads.models import SavedView

    assert datamap.MAP["savedview"].columns["name"] not in (None, "staff")  # "Ada Lovelace search" names Ada
    ada = add_lead(session, PINNED_NOW - timedelta(days=3), "ada")  # Ada Lovelace, ada@x.example
    staff = make_user("sales")
    for name in ("Ada Lovelace search", "Big customers"):
        session.add(SavedView(user_id=staff.id, page="leads", name=name, query="q=", created_at=PINNED_NOW))
    session.commit()
    request, actor = _request_for(session, make_user, ada, kind="erasure")
    actions.erase(session=session, request=request, actor=actor, now=PINNED_NOW, tombstone_key="k", source=None)
    names = sorted(session.exec(select(SavedView.name)).all())
    assert len(names) == 2 and "Big customers" in names and not any("lovelace" in n.casefold() for n in names)


def test_the_access_export_names_the_lists_the_person_is_on_in_words(session, make_user):
    from leads.consent import marketing
    from tests.marketing_samples import give

    ada = add_lead(session, PINNED_NOW - timedelta(days=3), "ada")
    give(session, ada, at=PINNED_NOW - timedelta(days=2))
    actor = make_user("admin")
    launch = marketing.create_list(session=session, name="Spring launch", description=None, actor=actor, now=PINNED_NOW)
    marketing.add_to_list(session=session, list_id=launch.id, lead_ids=[ada.id], actor=actor, now=PINNED_NOW)
    marketing.mark_email_sent(session=session, lead_ids=[ada.id], subject="New in RADNAC", list_id=launch.id,
                              actor=actor, now=PINNED_NOW)  # fmt: skip
    request, actor = _request_for(session, make_user, ada)
    sections = _export(session, request, actor)["sections"]
    assert sections["marketinglistmember"]["data"][0]["list"] == "Spring launch"
    assert "list_id" not in sections["marketinglistmember"]["data"][0]
    assert sections["marketingemail"]["data"][0] == {**sections["marketingemail"]["data"][0], "list": "Spring launch",
                                                      "subject": "New in RADNAC"}  # fmt: skip
