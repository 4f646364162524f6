"""Quarantined entities belong to people by evidence (issue #29): one that only mentions the requester is shown to
staff, and goes into their export and erasure only once staff confirm it is theirs."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from sqlmodel import select

from leads.models import AuditEvent, QuarantinedEntity
from leads.rights import actions, mentions, register
from leads.rights.history import RequestError
from tests.factories import PINNED_NOW, add_lead, new_request, store_entities
from tests.lead_samples import customer_info, entity


def _quarantined(row_key: str, **extra) -> dict:
    """An entity whose phone is too long (so it is quarantined), with `extra` properties."""
    body = entity(row_key, info=customer_info(Email=extra.pop("own", None), FirstName="X", Phone="0" * 101))
    return {**body, **extra}


@pytest.fixture
def ada(session, make_user):
    """Ada's lead; Bob's entity mentioning her; one with no own address mentioning her; one of hers mentioning Bob;
    and an entity nobody's. Returns (Ada's verified access request, its actor, entity ids by row key)."""
    lead = add_lead(session, PINNED_NOW - timedelta(days=3), "ada")  # ada@x.example
    store_entities(
        session,
        _quarantined("bobs", own="bob@x.example", Description="Referred by ADA@x.example"),
        _quarantined("nobodys", CustomerInfo='{"Email":"ada@x.example" broken'),
        _quarantined("adas", own="Ada@x.example", Description="Colleague: bob@x.example"),
        _quarantined("cyds", own="cyd@x.example"),
    )
    actor = make_user("support", "dpo@radnac.example")
    request = new_request(session, actor, received=date(2026, 11, 20), email="ada@x.example")
    register.verify_identity(session=session, request=request, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=request, lead=lead, actor=actor, now=PINNED_NOW)
    ids = {q.row_key: q.id for q in session.exec(select(QuarantinedEntity))}
    return request, actor, ids


def _row_keys(session, request, actor) -> list[str]:
    chunks = actions.export(session=session, request=request, kind="access", actor=actor, now=PINNED_NOW)
    data = json.loads(zipfile.ZipFile(io.BytesIO(b"".join(chunks))).read("person.json"))
    raws = [row["raw"] for row in data["sections"]["quarantinedentity"]["data"]]
    found = {q.raw: q.row_key for q in session.exec(select(QuarantinedEntity))}
    return sorted(found[raw] for raw in raws)


def test_an_entity_that_only_mentions_the_requester_is_pending_and_in_neither_export_nor_erasure(session, ada):
    request, actor, _ids = ada
    listed = mentions.mentions(session=session, request=request)
    assert [(m.entity.row_key, m.decision, m.addresses) for m in listed] == [
        ("bobs", "pending", ("ada@x.example",)),
        ("nobodys", "pending", ("ada@x.example",)),
    ]  # her own entity (which mentions Bob) is hers by its address: not asked about; Cyd's mentions nobody
    assert _row_keys(session, request, actor) == ["adas"]
    erasure = new_request(session, actor, received=date(2026, 11, 21), kind="erasure")
    register.verify_identity(session=session, request=erasure, actor=actor, now=PINNED_NOW)
    register.confirm_lead(session=session, request=erasure, lead=register.linked_leads(session=session,
                          request=request)[0], actor=actor, now=PINNED_NOW)  # fmt: skip
    assert actions.erasure_preview(session=session, request=erasure)["quarantinedentity"] == 1
    actions.erase(session=session, request=erasure, actor=actor, now=PINNED_NOW, tombstone_key="k", source=None)
    assert sorted(session.exec(select(QuarantinedEntity.row_key))) == ["bobs", "cyds", "nobodys"]


def test_staff_confirm_whose_it_is_theirs_goes_into_export_and_erasure_not_theirs_stops_asking(session, ada):
    request, actor, ids = ada
    mentions.decide(session=session, request=request, entity_id=ids["nobodys"], theirs=True, actor=actor,
                    now=PINNED_NOW)  # fmt: skip
    mentions.decide(session=session, request=request, entity_id=ids["bobs"], theirs=False, actor=actor, now=PINNED_NOW)
    assert [(m.entity.row_key, m.decision) for m in mentions.mentions(session=session, request=request)] == [
        ("bobs", "not theirs"),
        ("nobodys", "theirs"),
    ]
    assert mentions.pending(session=session, request=request) == []
    assert _row_keys(session, request, actor) == ["adas", "nobodys"]
    audited = session.exec(select(AuditEvent.action).where(AuditEvent.action.startswith("rights.quarantine"))).all()
    assert sorted(audited) == ["rights.quarantine.not_theirs", "rights.quarantine.theirs"]
    # Changing one's mind: "not theirs" takes it back out of her data.
    mentions.decide(session=session, request=request, entity_id=ids["nobodys"], theirs=False, actor=actor,
                    now=PINNED_NOW)  # fmt: skip
    assert session.get(QuarantinedEntity, ids["nobodys"]).person_id is None
    assert _row_keys(session, request, actor) == ["adas"]


def test_only_an_entity_that_mentions_the_requester_can_be_decided_and_only_on_an_open_request(session, ada):
    request, actor, ids = ada
    for row_key in ("cyds", "adas"):  # mentions nobody of hers; hers already by its own address
        with pytest.raises(RequestError, match="does not mention"):
            mentions.decide(session=session, request=request, entity_id=ids[row_key], theirs=True, actor=actor,
                            now=PINNED_NOW)  # fmt: skip
    register.close(session=session, request=request, status="completed", outcome="Sent", actor=actor, now=PINNED_NOW)
    with pytest.raises(RequestError, match="closed"):
        mentions.decide(session=session, request=request, entity_id=ids["bobs"], theirs=True, actor=actor,
                        now=PINNED_NOW)  # fmt: skip


def test_the_request_page_lists_pending_entities_and_staff_decide_without_javascript(client, auth, session, ada):
    request, _actor, ids = ada
    auth.login("support")
    page = client.get(f"/rights/{request.id}").data.decode()
    section = page[page.index('id="request-mentions"') :]
    assert "2 pending" in section and f'id="mention-{ids["bobs"]}"' in section and "none readable" in section
    assert f'action="/rights/{request.id}/quarantine/{ids["nobodys"]}"' in section
    response = client.post(f"/rights/{request.id}/quarantine/{ids['nobodys']}", data={"theirs": "1"})
    assert response.status_code == 303
    page = client.get(f"/rights/{request.id}").data.decode()
    assert "1 pending" in page and "Unreadable lead details confirmed as the person" in page
    refused = client.post(f"/rights/{request.id}/quarantine/{ids['cyds']}", data={"theirs": "1"})
    assert refused.status_code == 409 and "does not mention" in refused.data.decode()
    assert session.get(QuarantinedEntity, ids["cyds"]).person_id is None


def test_the_erasure_page_names_what_is_pending(client, auth, session, ada):
    request, actor, ids = ada
    erasure = new_request(session, actor, received=date(2026, 11, 21), kind="erasure")
    register.verify_identity(session=session, request=erasure, actor=actor, now=PINNED_NOW)
    lead = register.linked_leads(session=session, request=request)[0]
    register.confirm_lead(session=session, request=erasure, lead=lead, actor=actor, now=PINNED_NOW)
    auth.login("support")
    page = client.get(f"/rights/{erasure.id}/erase").data.decode()
    assert "Not included: 2 sets" in page and f"#{ids['bobs']}" in page
