"""Where personal data lives: every table and column the app stores, as one declaration. Pure.

For each table: whose data it is, the purposes it is held for (and so the lawful basis, `purposes.PURPOSES`),
where it came from (notice lines 46-48), who else holds it, its retention rule (a row of `schedule.SCHEDULE`),
how a person's rows are found, and what erasure does to them, with why. For each column: whether it is
personal data and, if so, its category. `tests/rules/test_datamap.py` walks the models' metadata and fails on
any table or column missing here, so a new one cannot be forgotten; the access export, the portability bundle
and erasure read this map rather than lists of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from leads.rules import schedule
from leads.rules.purposes import PURPOSES

CATEGORIES = {
    "contact": "Names and contact details",
    "identifier": "Identifiers (yours at Microsoft and Azure, and ours)",
    "network": "Network addresses (IP)",
    "history": "Purchase, install and service history",
    "correspondence": "Correspondence and notes",
    "consent_proof": "Your consent choices and their proof",
    "request": "Your data-protection requests",
    "staff": "Staff member (not about you)",
}
SOURCES = {
    "microsoft": "From Microsoft, as our supplier: Azure Marketplace sends it when you start an install (47, 59)",
    "direct": "Directly from you (line 46)",
    "ours": "Written by our staff about our dealings with you (line 46: from what you told us)",
}
RECIPIENTS = {
    "azure": "No one outside coreMem Limited; stored in Microsoft Azure, UK South, our service provider (68, 84)",
    "none": "No one outside coreMem Limited",
}
SOURCE_LINES = "46-48"
# Kinds of finding a person's rows: by the person's own id, through a parent table's rows already found, by the
# person's normalised address, through a child's rows pointing here, a (record_type, record_id) pair, or by the
# source table key (partition_key, row_key) of a found table's rows (their leads' source rows).
FINDS = ("self", "own", "parent", "email", "child", "record", "key")
LINKED = ("parent", "child", "key")  # the kinds that go through another table's rows
ERASURE = {
    "destroy": "destroyed through the retention machinery (tombstone, source deletion, audit)",
    "with_parent": "deleted with the record it belongs to",
    "delete": "deleted",
    "outline": "kept as proof without personal details, reduced to an outline after its retention period",
    "keep": "nothing about you is kept here",
}


@dataclass(frozen=True)
class Find:
    """How a table's rows are found for a person: `kind` in FINDS, on `column`, through `table` when needed."""

    kind: str
    column: str = "id"
    table: str | None = None


@dataclass(frozen=True)
class Held:
    """One table as the map declares it. `columns` maps every column to its category (None: not personal)."""

    label: str
    subject: str  # "customer" (a data subject's), "staff", or "none"
    columns: Mapping[str, str | None]
    purposes: tuple[str, ...] = ()
    source: str | None = None
    recipients: str = "none"
    retention: str | None = None  # a row of schedule.SCHEDULE
    finds: tuple[Find, ...] = ()
    erasure: str = "keep"
    why: str = ""
    provided: bool = False  # the person gave it (to us, or to Microsoft for us): candidate for portability
    export: tuple[str, ...] = field(default=())  # columns shown to the person (default: every personal one)
    # Columns of free text our staff type that may name a person ("Ada Lovelace search"): found by the person's
    # names and addresses, and cleared when their last lead goes (erasure or the sweep).
    mentions: tuple[str, ...] = ()
    # Exported fields that name what an id column points at, in words: field -> (id column, table, its column).
    names: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)

    @property
    def personal(self) -> tuple[str, ...]:
        return tuple(name for name, category in self.columns.items() if category is not None)

    @property
    def shown(self) -> tuple[str, ...]:
        return self.export or self.personal

    @property
    def portable(self) -> bool:
        """In portability scope: the person provided it and one of its purposes rests on consent (RULES.md)."""
        return self.provided and any(PURPOSES[p].needs_consent for p in self.purposes)


def _c(category: str | None, *names: str) -> dict[str, str | None]:
    return dict.fromkeys(names, category)


LIST_NAME = ("list_id", "marketinglist", "name")  # a list in words, not its id (Art. 15: the person can tell)
LEAD_PURPOSES = ("service", "marketing")  # nurturing and support (66); marketing only with consent (67)
INSTALL_PURPOSES = ("service",)  # nurturing and support, nothing else (82-83)

MAP: dict[str, Held] = {
    "person": Held(
        "You, as one person across our records", "customer",
        {**_c(None, "id", "created_at"), **_c("contact", "email_key"),
         **_c("consent_proof", "processing_restricted", "objected", "erasure_pending"),
         **_c("consent_proof", "accounts_consent", "marketing_consent", "queries_consent"),
         **_c("contact", "undeliverable_at")},
        LEAD_PURPOSES, "microsoft", "none", "lead", (Find("self"),), "delete",
        "Goes with your last lead; nothing is left to point at.",
    ),
    "lead": Held(
        "Marketplace leads", "customer",
        {**_c(None, "id", "nurture_status", "owner_id", "person_id", "person_pinned", "is_test"),
         **_c(None, "publisher_display_name"),
         **_c("identifier", "source_partition_key", "source_row_key"),
         **_c("contact", "first_name", "last_name", "email", "country", "company", "job_title", "phone",
              "name_key", "last_key", "email_key", "company_key"),
         **_c("history", "offer", "offer_title", "lead_source", "source_channel", "action_code", "description",
              "created_at_ms", "first_seen_at", "received_at", "source_timestamp", "is_dnc"),
         # The person's marketing consent copied onto the lead for the list's filter (migration 0030).
         **_c("consent_proof", "marketing_consent")},
        LEAD_PURPOSES, "microsoft", "azure", "lead", (Find("own", "person_id"),), "destroy",
        "Lead data is destroyed here and in the source Azure Table, leaving a tombstone that stops a re-sync.",
        provided=True,
        export=("first_name", "last_name", "email", "phone", "country", "company", "job_title", "offer",
                "offer_title", "lead_source", "action_code", "description", "created_at_ms", "first_seen_at"),
    ),
    "leadnote": Held(
        "Notes and correspondence log", "customer",
        {**_c(None, "id", "lead_id", "follow_up_on", "follow_up_done_at"), **_c("correspondence", "kind", "body", "at"),
         **_c("staff", "follow_up_done_by"),
         **_c("staff", "author")},
        INSTALL_PURPOSES, "ours", "none", "lead", (Find("parent", "lead_id", "lead"),), "with_parent",
        "Part of the lead's record (README decision).", export=("kind", "body", "at"),
    ),
    "consentrecord": Held(
        "Your consent choices and their proof", "customer",
        {**_c(None, "id", "person_id", "lead_id", "recorded_by_user_id"),
         **_c("consent_proof", "purpose", "granted", "at", "method", "evidence", "wording_version", "created_at",
              "superseded_at", "correction_reason"),
         **_c("staff", "recorded_by", "superseded_by")},
        ("marketing", "accounts", "queries"), "direct", "none", "lead", (Find("own", "person_id"),), "with_parent",
        "Belongs to the person; goes with them.", provided=True,
        export=("purpose", "granted", "at", "method", "evidence", "wording_version", "superseded_at",
                "correction_reason"),
    ),
    "marketinglist": Held(
        "Marketing lists", "none", {**_c(None, "id", "created_at"), **_c("correspondence", "name", "description"),
                                    **_c("staff", "created_by_user_id", "created_by")},
        why="Who is on a list is in its members; its name and description are ours, but staff may name someone "
        "in them, so they go when that person's last lead does.", mentions=("name", "description"),
    ),
    "marketinglistmember": Held(
        "Marketing lists you are on", "customer",
        {**_c(None, "id", "lead_id", "added_by_user_id", "consent_record_id"), **_c("history", "list_id", "added_at"),
         **_c("staff", "added_by")},
        ("marketing",), "ours", "none", "lead", (Find("parent", "lead_id", "lead"),), "with_parent",
        "Part of the lead's record.", export=("list", "added_at"), names={"list": LIST_NAME},
    ),
    "marketingemail": Held(
        "Marketing emails we recorded sending you", "customer",
        {**_c(None, "id", "lead_id", "recorded_by_user_id", "consent_record_id", "list_id"),
         **_c("correspondence", "subject", "sent_at"), **_c("staff", "recorded_by")},
        ("marketing",), "ours", "none", "lead", (Find("parent", "lead_id", "lead"),), "with_parent",
        "Part of the lead's record; the subject may name you, so it lives only here.",
        export=("subject", "sent_at", "list"), names={"list": LIST_NAME},
    ),
    "mailing": Held(
        "Marketing emails staff wrote", "none",
        {**_c(None, "id", "list_id", "created_at", "queued_at"), **_c("correspondence", "subject", "body"),
         **_c("staff", "created_by_user_id", "created_by")},
        why="The template staff wrote for a list (each person's copy is a mailing message); staff may name "
        "someone in it, so it goes when that person's last lead does.", mentions=("subject", "body"),
    ),
    "mailingmessage": Held(
        "Marketing emails we sent you, and what became of each", "customer",
        {**_c(None, "id", "mailing_id", "lead_id", "attempts", "next_attempt_at", "consent_record_id"),
         **_c("contact", "to_address"),
         **_c("correspondence", "subject", "body", "status", "reason", "decided_at", "unsubscribed_at")},
        ("marketing",), "ours", "none", "lead", (Find("parent", "lead_id", "lead"),), "with_parent",
        "Part of the lead's record (notice lines 58-69): what was sent to you and its outcome go with the lead.",
        export=("to_address", "subject", "body", "status", "reason", "decided_at", "unsubscribed_at"),
    ),
    "installation": Held(
        "Your managed-application installations", "customer",
        {**_c(None, "id", "lead_id", "state", "plan_publisher", "plan_product", "application_definition_id",
              "clock_started_at"),
         **_c("identifier", "application_id", "subscription_id", "resource_group", "application_name"),
         **_c("identifier", "application_key", "group_key", "subscription_key"),
         **_c("contact", "lead_name_key", "lead_last_key", "lead_company_key"),
         **_c("history", "plan_name", "plan_version", "first_event_at", "last_event_at", "uninstalled_at",
              "last_error_code", "last_error_message")},
        INSTALL_PURPOSES, "microsoft", "azure", "install_notification", (Find("parent", "lead_id", "lead"),),
        "destroy", "Install data is destroyed with its notifications, leaving a tombstone.",
    ),
    "installevent": Held(
        "Install notifications", "customer",
        {**_c(None, "id", "installation_id", "dedupe_key", "plan_publisher", "plan_product",
              "application_definition_id", "billing_resource_usage_id"),
         **_c("history", "event_type", "provisioning_state", "event_time", "error_code", "error_message",
              "error_details", "plan_name", "plan_version", "received_at"),
         **_c("network", "caller_ip")},
        INSTALL_PURPOSES, "microsoft", "azure", "install_notification",
        (Find("parent", "installation_id", "installation"),), "with_parent",
        "Goes with its installation (the caller's IP address goes after 10 days on its own, lines 100-104).",
    ),
    "planpermission": Held("Plan permission models", "none", {**_c(None, "id", "plan_name", "model", "updated_at"),
                                                               **_c("staff", "updated_by")}),
    "supportgrant": Held(
        "Support access grants", "customer",
        {**_c(None, "id", "installation_id", "consent_evidence_sha256", "communications", "data_items_destroyed",
              "data_destroyed_at"),
         **_c("history", "support_request_ref", "opened_at", "last_communication_at", "closed_at", "lapsed_at",
              "lapse_reason"),
         **_c("consent_proof", "consent_given_by", "consent_given_at", "consent_evidence"), **_c("staff", "opened_by")},
        INSTALL_PURPOSES, "direct", "none", "support_grant", (Find("parent", "installation_id", "installation"),),
        "with_parent", "Goes with its installation; what was held under it went when it lapsed (line 91).",
        export=("support_request_ref", "consent_given_by", "consent_given_at", "consent_evidence", "opened_at",
                "lapsed_at"),
    ),
    "grantcommunication": Held(
        "Communications under a support grant", "customer",
        {**_c(None, "id", "grant_id"), **_c("correspondence", "at", "direction", "summary"),
         **_c("staff", "recorded_by")},
        INSTALL_PURPOSES, "direct", "none", "support_grant", (Find("parent", "grant_id", "supportgrant"),),
        "with_parent", "Destroyed at the grant's lapse, or with its installation.",
    ),
    "grantdata": Held(
        "Data held under a support grant", "customer",
        {**_c(None, "id", "grant_id"), **_c("correspondence", "kind", "description", "recorded_at"),
         **_c("staff", "recorded_by")},
        INSTALL_PURPOSES, "direct", "none", "support_grant", (Find("parent", "grant_id", "supportgrant"),),
        "with_parent", "Destroyed the moment the grant lapses (line 91), or with its installation.",
    ),
    "quarantinedentity": Held(
        "Lead details Microsoft sent that we could not read", "customer",
        {**_c(None, "id", "clock_started_at", "person_id"), **_c("identifier", "partition_key", "row_key"),
         # The reason quotes the value that could not be read (an address that failed to parse, a phone number).
         **_c("contact", "raw", "email_key", "reason"),
         **_c("history", "source_timestamp", "first_seen_at", "last_seen_at")},
        LEAD_PURPOSES, "microsoft", "azure", "lead",
        (Find("email", "email_key"), Find("key", table="lead"), Find("own", "person_id")), "destroy",
        "Lead data: destroyed here and at the source like a lead, with a tombstone. Yours by its own address, by "
        "the source row of one of your leads, or because our staff confirmed it (one that only mentions you).",
        export=("raw", "reason", "first_seen_at"),
    ),
    "rightsrequest": Held(
        "Your data-protection requests", "customer",
        {**_c(None, "id", "kind", "identity_requested", "identity_verified", "status", "due_on", "extended",
              "received_on", "identity_received_on", "extension_told_on", "closed_on", "closed_at", "outlined_at",
              "created_at", "identity_requested_on", "source"),
         **_c("contact", "requester_name", "requester_email"),
         **_c("request", "channel", "details", "extension_reason", "outcome", "exemption"),
         **_c("staff", "created_by")},
        ("queries",), "direct", "none", "rights_request",
        (Find("child", "request_id", "requestlead"), Find("email", "requester_email")), "outline",
        "Kept as proof of having answered; its personal details go 3 years after it closed (RULES.md).",
        provided=True, export=("kind", "channel", "details", "received_on", "status", "due_on", "outcome", "closed_on"),
    ),
    "requestpause": Held(
        "Questions we asked about your requests", "customer",
        {**_c(None, "id", "request_id"), **_c("request", "started_on", "ended_on", "question")},
        ("queries",), "ours", "none", "rights_request", (Find("parent", "request_id", "rightsrequest"),), "outline",
        "Part of the request: its question is emptied when the request is reduced to an outline.",
    ),
    "requeststep": Held(
        "Steps taken on your requests", "customer",
        {**_c(None, "id", "request_id", "step", "effective_on", "recorded_at"), **_c("staff", "actor"),
         **_c("request", "detail")},
        ("queries",), "ours", "none", "rights_request", (Find("parent", "request_id", "rightsrequest"),), "outline",
        "Part of the request: its history of steps stays as proof; each step's detail is emptied with the outline.",
    ),
    "sourcecorrection": Held(
        "Corrections still to write to Microsoft's copy of your lead", "customer",
        {**_c(None, "id", "queued_at", "attempts"), **_c("identifier", "partition_key", "row_key"),
         # The corrected values themselves (your new email or name); an error may quote them back.
         **_c("contact", "fields"), **_c("history", "last_error")},
        ("queries",), "direct", "azure", "lead", (Find("key", table="lead"),), "with_parent",
        "Held only until Azure confirms the write; goes with the lead whose source row it would correct (the "
        "sweep and erasure alike).", export=("fields", "queued_at"),
    ),
    "requestlead": Held(
        "Which leads a request concerns", "customer",
        {**_c(None, "id", "request_id", "lead_id", "confirmed_at"), **_c("staff", "confirmed_by"),
         **_c("request", "override_reason", "override_evidence")},
        ("queries",), "ours", "none", "rights_request", (Find("parent", "lead_id", "lead"),), "with_parent",
        "Goes with the lead.",
    ),
    "rectification": Held(
        "Corrections made to your details", "customer",
        {**_c(None, "id", "lead_id", "request_id", "superseded_at"),
         **_c("contact", "field", "old_value", "new_value", "changed_at", "source_value", "superseded_value"),
         **_c("staff", "changed_by")},
        ("queries",), "direct", "none", "lead", (Find("parent", "lead_id", "lead"),), "with_parent",
        "Part of the lead's record.", provided=True, export=("field", "old_value", "new_value", "changed_at"),
    ),
    "personlink": Held(
        "Staff decisions on which of your records are yours", "customer",
        {**_c(None, "id", "lead_id", "from_person_id", "to_person_id", "action", "at"),
         **_c("correspondence", "reason"),
         **_c("staff", "by")},
        INSTALL_PURPOSES, "ours", "none", "lead", (Find("parent", "lead_id", "lead"),), "with_parent",
        "Part of the lead's record; the reason may name you, so it lives only here.",
    ),
    "legalhold": Held(
        "Legal holds on your records", "customer",
        {**_c(None, "id", "record_type", "record_id", "placed_at", "lifted_at"),
         **_c("correspondence", "reason", "lift_reason"), **_c("staff", "placed_by", "lifted_by")},
        ("queries",), "ours", "none", "lead", (Find("record", "record_id"),), "delete",
        "A lifted hold goes with its record; an active one refuses erasure until it is lifted (RULES.md).",
    ),
    "staffidentity": Held("Staff's single sign-on identities", "staff",
                          {**_c(None, "id", "user_id", "issuer", "provisioned", "bound_at", "last_sign_in_at"),
                           **_c("staff", "subject")},
                          why="Staff, covered by the employee privacy notice: the provider's stable id of a member."),
    "totpsecret": Held("Staff's second-factor secrets", "staff",
                       _c(None, "user_id", "secret", "created_at", "confirmed_at", "last_step"),
                       why="A member of staff's TOTP secret; no customer data."),
    "recoverycode": Held("Staff's recovery codes (hashed)", "staff",
                         _c(None, "id", "user_id", "code_hash", "created_at", "used_at"),
                         why="SHA-256 hashes of one-time codes; no customer data."),
    "signinpolicy": Held("Sign-in settings", "none", {**_c(None, "name", "value", "changed_at"),
                                                     **_c("staff", "changed_by")},
                         why="Settings such as 'a second factor is required'; who changed them."),
    "savedview": Held("Staff's saved list views", "staff",
                      {**_c(None, "id", "user_id", "page", "created_at"), **_c("staff", "query"),
                       **_c("correspondence", "name")},
                      why="A member of staff's filters and sort; the search text is never saved, but the name "
                      "staff give a view may name someone, so it goes when that person's last lead does.",
                      mentions=("name",)),
    "viewerversion": Held("A stamp of when staff, lists or saved views last changed", "none", _c(None, "id", "stamp"),
                          why="One number the database moves on each such change, so every page's menus stay exact."),
    "privacycode": Held("One-time codes sent from the privacy page (hashed)", "none",
                        _c(None, "id", "address_hash", "code_hash", "created_at", "expires_at", "attempts"),
                        why="Keyed hashes of the address and the code only; deleted when used or at most 15 "
                        "minutes after they were sent."),
    "exportdelivery": Held("Download links for prepared exports (hashed)", "none",
                           _c(None, "id", "request_id", "kind", "token_hash", "file_name", "created_at",
                              "expires_at", "downloads"),
                           why="A keyed hash of the emailed link's token and the export file's random name; both, "
                           "and the file, are destroyed at the download limit, after 7 days, or on erasure."),
    "keyfingerprint": Held("Fingerprints of the keys our hashes use", "none",
                           _c(None, "name", "fingerprint", "recorded_at"),
                           why="An HMAC of a fixed text: it reveals nothing of the key or of anyone."),
    "tombstone": Held("Proof of destruction", "none", _c(None, "id", "kind", "opaque_id", "source_key_hash",
                                                         "covers_until", "rule", "destroyed_at", "actor"),
                      why="No personal data: kind, opaque id, keyed hash, rule, time, actor."),
    "sourcedeletion": Held("Source rows still to delete", "none",
                           _c(None, "id", "partition_key", "row_key", "queued_at", "attempts", "last_error"),
                           why="Only Microsoft's opaque row key, held until Azure confirms the deletion."),
    "syncrun": Held("Lead sync runs", "none", _c(None, "id", "started_at", "finished_at", "status", "since",
                                                 "high_watermark", "pages", "new", "updated", "unchanged",
                                                 "quarantined", "skipped", "error")),
    "jobrun": Held("Job runs", "none", _c(None, "id", "job", "holder", "started_at", "finished_at", "outcome", "counts",
                                          "error_class", "late", "most_late_seconds"),
                   why="Counts and an error's class only: never a message, which could quote personal data."),
    "user": Held("Staff accounts", "staff", {**_c(None, "id", "password_hash", "role", "active", "created_at",
                                                  "session_version", "must_change_password"),
                                             **_c("staff", "email")},
                 why="Staff, covered by the employee privacy notice, not this one."),
    "auditevent": Held("Audit trail", "none", {**_c(None, "id", "at", "action", "record_type", "record_id", "details"),
                                               **_c("staff", "actor_user_id", "actor")},
                       why="Refers to records by id only: no personal free text (tests/rules/test_datamap.py)."),
}  # fmt: skip


# The column each table's retention clock starts from, so an export can give this person's own dates.
CLOCKS = {
    "lead": "received_at",
    "quarantinedentity": "first_seen_at",
    "installation": "uninstalled_at",
    "supportgrant": "last_communication_at",
    "rightsrequest": "closed_at",
}


def problems(tables: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Every way the map fails to classify `tables` (name -> column names) or breaks its own rules."""
    found = [f"table {name!r} is not in the personal-data map" for name in tables if name not in MAP]
    found += [f"the map names a table the app does not have: {name!r}" for name in MAP if name not in tables]
    for name, held in MAP.items():
        columns = tables.get(name, ())
        found += [f"{name}.{column} is not classified" for column in columns if column not in held.columns]
        found += [
            f"{name}.{column} is in the map but not the table" for column in held.columns if column not in columns
        ]
        found += _row_problems(name, held)
    return found


def _row_problems(name: str, held: Held) -> list[str]:
    bad = [f"{name}.{c}: unknown category {k!r}" for c, k in held.columns.items() if k and k not in CATEGORIES]
    bad += [
        f"{name}.{c}: a mention column must be classified personal" for c in held.mentions if not held.columns.get(c)
    ]
    if held.subject != "customer":
        return bad + [f"{name}: only customer data is held for purposes" for _ in held.purposes[:1]]
    if not held.purposes or any(p not in PURPOSES for p in held.purposes):
        bad.append(f"{name}: customer data needs known purposes")
    if held.retention not in schedule.SCHEDULE or held.source not in SOURCES or held.recipients not in RECIPIENTS:
        bad.append(f"{name}: needs a retention rule of the schedule, a source and recipients")
    if not held.finds or any(f.kind not in FINDS or (f.kind in LINKED) != bool(f.table) for f in held.finds):
        bad.append(f"{name}: needs a way to find a person's rows")
    if held.erasure not in ERASURE or held.erasure == "keep" or not held.why:
        bad.append(f"{name}: needs what erasure does to it, and why")
    bad += [
        f"{name}.{c}: exported but not a column" for c in held.export if c not in held.columns and c not in held.names
    ]
    return bad
