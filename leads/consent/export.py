"""A marketing list exported as CSV: only people whose consent is current at the moment of export, every cell safe
to open in a spreadsheet (`csvsafe`), every person's inclusion or exclusion audited before a row leaves.

The export streams: members are read, decided by the gate and audited a chunk at a time, so a list of any size
needs the memory of one chunk, and a withdrawal recorded while a long export runs still takes effect.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from leads.consent.marketing import CHUNK, EXPORT, about, audit_list, get_list
from leads.consent.records import Act, Actor, gate
from leads.models import ConsentRecord, Lead, MarketingList, MarketingListMember
from leads.rules import csvsafe

BOM = "\ufeff"  # so that Excel reads the file as UTF-8 (Zoë, Jürgen), as LibreOffice and Google Sheets do anyway
# Only what a marketing mailing needs (data minimisation), and the consent it rests on.
EXPORT_HEADER = (
    "First name",
    "Last name",
    "Email",
    "Company",
    "Job title",
    "Country",
    "Consent given (UTC)",
    "Wording",
)

# --- export --------------------------------------------------------------------------------------------------


@dataclass
class ExportCount:
    """How an export went, filled in as it streams: how many were included, who was left out and why."""

    included: int = 0
    left_out: list[tuple[int, str, str]] = field(default_factory=list)  # lead id, name, reason
    finished: bool = False


@dataclass(frozen=True)
class Export:
    """A list export: its file name, its CSV text (lazy, one line at a time), and its running count."""

    filename: str
    lines: Iterator[str]
    count: ExportCount


def export_filename(name: str, now: datetime) -> str:
    """A file name safe in any header and file system: "marketing-<ascii slug>-<UTC stamp>.csv"."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-") or "list"
    return f"marketing-{slug}-{now:%Y%m%d-%H%M}.csv"


def export_list(
    *, session: Session, list_id: int, actor: Actor, clock: Callable[[], datetime], chunk: int = CHUNK
) -> Export:
    """The list as spreadsheet-safe CSV, produced lazily a chunk of members at a time. Each chunk is decided by the
    gate at that moment (`clock()`), so only people whose consent is current at the moment of export are in it, and a
    withdrawal recorded during a long export still counts; each chunk's decisions are audited and committed before
    its rows are yielded, so no row leaves without its proof. Raises MarketingError for an unknown list."""
    target = get_list(session=session, list_id=list_id)
    count = ExportCount()
    rows = _export_rows(session, target, actor, clock, chunk, count)
    lines = itertools.chain([BOM], csvsafe.write_csv(rows, EXPORT_HEADER))
    return Export(export_filename(target.name, clock()), lines, count)


def _export_rows(
    session: Session, target: MarketingList, actor: Actor, clock: Callable[[], datetime], chunk: int, count: ExportCount
) -> Iterator[list[object]]:
    details = about(target)
    audit_list(session, target, EXPORT, details, actor, clock())
    after = 0
    while leads := _members_after(session, target.id, after, chunk):  # type: ignore[arg-type]
        rows: list[list[object]] = []
        take = _row_collector(rows)
        decided = gate(
            session=session, action_code=EXPORT, leads=leads, actor=actor, now=clock(), act=take, details=details
        )
        session.commit()  # the proof is stored before the rows leave
        count.included += len(rows)
        refused = [outcome for outcome in decided if not outcome.decision.allowed]
        count.left_out += [(o.lead.id or 0, o.lead.display_name, o.decision.reason_text) for o in refused]
        yield from rows
        after = leads[-1].id  # type: ignore[assignment]
    finished = {**details, "included": count.included, "left_out": len(count.left_out)}
    audit_list(session, target, f"{EXPORT}.finished", finished, actor, clock())
    session.commit()
    count.finished = True


def _row_collector(rows: list[list[object]]) -> Act:
    def take(lead: Lead, relied_on: ConsentRecord | None) -> dict[str, Any]:
        rows.append(_row(lead, relied_on))
        return {}

    return take


def _members_after(session: Session, list_id: int, after: int, limit: int) -> list[Lead]:
    """The next `limit` members of the list by lead id (keyset pagination on the list's unique index)."""
    query = (
        select(Lead)
        .join(MarketingListMember, col(MarketingListMember.lead_id) == col(Lead.id))
        .where(MarketingListMember.list_id == list_id, col(Lead.id) > after)
        .order_by(col(Lead.id))
        .limit(limit)
    )
    return list(session.exec(query))


def _row(lead: Lead, relied_on: ConsentRecord | None) -> list[object]:
    given = relied_on.at.strftime("%Y-%m-%d %H:%M") if relied_on else ""
    wording = relied_on.wording_version if relied_on else ""
    return [lead.first_name, lead.last_name, lead.email, lead.company, lead.job_title, lead.country, given, wording]
