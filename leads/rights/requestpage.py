"""What one rights request's page shows, from one call: who it covers and who it might, the advice, its
the quarantined entities that only mention the requester, its
pauses and history, the rectifications since superseded, and what its state allows next (and why not).

One place, so the page and every refusal that re-renders it with a reason show the same data, and the
templates run no queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlmodel import Session

from leads.models import Lead, Rectification, RequestLead, RequestPause, RequestStep, RightsRequest
from leads.rights import actions, mentions, rectification, register
from leads.rules import requests, rights, uktime


@dataclass(frozen=True)
class RequestPage:
    """One request and everything its page shows, by the names the template reads."""

    item: RightsRequest
    today: date  # in the UK, for the deadline's urgency
    linked: list[Lead]
    links: dict[int, RequestLead]  # lead id -> its link: who confirmed it, any override's reason
    candidates: list[Lead]  # leads that may be the requester's, not yet linked
    mentions: list[mentions.Mention]  # quarantined entities that only mention the requester: staff decide
    advice: list[rights.Advice]
    pauses: list[RequestPause]
    history: list[RequestStep]
    superseded: list[Rectification]
    steps_offered: list[str]
    actions_offered: list[str]
    actions_blocked: dict[str, str]  # action -> why the request's state refuses it (its kind's actions only)


def data(*, session: Session, request: RightsRequest, now: datetime) -> RequestPage:
    """The page of `request` as of `now`."""
    linked = register.linked_leads(session=session, request=request)
    state = register.state(session=session, request=request)
    return RequestPage(
        item=request,
        today=uktime.today(now),
        linked=linked,
        links=register.links(session=session, request=request),
        candidates=[c for c in register.candidates(session=session, request=request) if c not in linked],
        mentions=mentions.mentions(session=session, request=request),
        advice=actions.advice(session=session, request=request),
        pauses=register.pauses(session=session, request=request),
        history=register.steps(session=session, request=request),
        superseded=rectification.superseded(session=session, request=request),
        steps_offered=requests.steps_offered(state),
        actions_offered=requests.actions_offered(state),
        actions_blocked={
            name: reason
            for name, action in requests.ACTIONS.items()
            if request.kind in action.kinds and (reason := requests.action_refusal(name, state))
        },
    )
