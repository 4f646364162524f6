"""Who may come in through the provider, and as what (leads/staff/sso.py): the rule, on both databases."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from leads.models import AuditEvent, StaffIdentity
from leads.staff import sso, users
from tests.factories import PINNED_NOW

ISSUER = "https://login.microsoftonline.com/tenant/v2.0"
ROLE_MAP = {"Leads.Admin": "admin", "Leads.Sales": "sales", "11111111-group": "support"}


def sign_in(session, **claims):
    base = {"sub": "pairwise-1", "oid": "oid-1", "email": "ann@radnac.example", "email_verified": True}
    return sso.sign_in(session=session, issuer=ISSUER, claims={**base, **claims}, role_map=ROLE_MAP, now=PINNED_NOW)


def refused(session, **claims) -> str:
    with pytest.raises(sso.SignInRefused) as refusal:
        sign_in(session, **claims)
    return refusal.value.reason


def last_audit(session) -> tuple[str, dict]:
    event = session.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    return event.action, json.loads(event.details)


def test_an_added_member_is_bound_by_verified_email_then_matched_by_oid_alone(session, make_user):
    ann = make_user("support", email="ann@radnac.example")
    assert sign_in(session).id == ann.id
    assert last_audit(session) == ("sso.sign_in", {"email": "ann@radnac.example", "issuer": ISSUER,
                                                   "provider_role": None, "subject": "oid-1"})  # fmt: skip
    # Renamed at the provider, email unverified: still the same person, by oid.
    assert sign_in(session, email="ann.new@radnac.example", email_verified=False).id == ann.id
    assert users.get(session=session, user_id=ann.id).role == "support"  # no mapped role: the admin's role stays


def test_an_unverified_email_binds_nobody(session, make_user):
    make_user("sales", email="ann@radnac.example")
    assert "not a member of staff" in refused(session, email_verified=False)
    assert session.exec(select(StaffIdentity)).first() is None
    action, details = last_audit(session)
    assert action == "sso.refused" and "not a member of staff" in details["reason"]


def test_entra_ids_verified_domain_claim_counts_as_verified(session, make_user):
    ann = make_user("sales", email="ann@radnac.example")
    assert sign_in(session, email_verified=None, xms_edov=True).id == ann.id


def test_without_oid_the_subject_is_sub(session, make_user):
    make_user("sales", email="ann@radnac.example")
    sign_in(session, oid=None)
    assert session.exec(select(StaffIdentity)).one().subject == "pairwise-1"


def test_an_email_already_bound_to_another_subject_is_refused(session, make_user):
    make_user("sales", email="ann@radnac.example")
    sign_in(session)
    assert "bound to another account" in refused(session, oid="oid-impostor")


def test_a_mapped_role_provisions_an_account_without_password(session):
    user = sign_in(session, roles=["Leads.Sales"], groups=["11111111-group"])
    assert (user.email, user.role, user.password_hash) == ("ann@radnac.example", "sales", sso.NO_PASSWORD)
    assert users.authenticate(session=session, email=user.email, password=sso.NO_PASSWORD) is None
    assert session.exec(select(StaffIdentity)).one().provisioned


def test_the_role_follows_the_provider_at_every_sign_in(session, make_user):
    ann = make_user("sales", email="ann@radnac.example")
    assert sign_in(session, roles=["Leads.Admin"]).role == "admin"
    assert last_audit(session)[1]["role_before"] == "sales"
    assert sign_in(session, groups=["11111111-group"]).role == "support"
    assert users.get(session=session, user_id=ann.id).role == "support"


def test_a_provisioned_member_whose_role_is_gone_is_refused(session):
    sign_in(session, roles=["Leads.Sales"])
    assert "no longer gives you a role" in refused(session, roles=[])


def test_a_deactivated_member_is_refused_even_with_a_mapped_role(session, make_user):
    ann = make_user("sales", email="ann@radnac.example")
    ann.active = False
    session.add(ann)
    session.commit()
    assert "deactivated" in refused(session, roles=["Leads.Admin"])
    session.refresh(ann)
    assert ann.role == "sales"
    assert session.exec(select(StaffIdentity)).first() is None  # the refusal bound nothing


def test_no_role_and_no_verified_email_is_refused(session):
    assert "not a member of staff" in refused(session)
    assert "no verified email" in refused(session, roles=["Leads.Sales"], email_verified=False)


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({"roles": ["Leads.Sales", "Leads.Admin"]}, "admin"),
        ({"roles": "Leads.Sales"}, "sales"),
        ({"roles": ["Unmapped"], "groups": ["11111111-group"]}, "support"),
        ({"roles": [{"not": "a string"}]}, None),
        ({}, None),
    ],
)
def test_mapped_role(claims, role):
    assert sso.mapped_role(claims, ROLE_MAP) == role


def test_parse_role_map():
    assert sso.parse_role_map(" Leads.Admin = admin , g-1=support,") == {"Leads.Admin": "admin", "g-1": "support"}
    assert sso.parse_role_map("") == {}
    with pytest.raises(ValueError, match="one of admin, sales, support"):
        sso.parse_role_map("Leads.Admin=root")


def test_claims_too_long_for_our_columns_are_refused_not_crashed_on(session):
    long_email = "a" * 250 + "@radnac.example"
    assert "no verified email" in refused(session, email=long_email, roles=["Leads.Sales"])
    assert "too long" in refused(session, oid="x" * 256)
    assert last_audit(session)[0] == "sso.refused"
