"""The tables, one module per concept, re-exported here (`from leads.models import Lead`). Every timestamp is
aware UTC (`UTCDateTime`); indexes follow what the list, search, sync and retention sweeper filter on."""

from leads.models.base import INSTALL_STATES, KEY_TYPE, LIST_FILTERS, NURTURE_STATUSES, ROLES, text_column, utc_column
from leads.models.consent import (
    ConsentRecord,
    Mailing,
    MailingMessage,
    MarketingEmail,
    MarketingList,
    MarketingListMember,
)
from leads.models.grants import GrantCommunication, GrantData, PlanPermission, SupportGrant
from leads.models.install import INSTALL_SEARCH_KEYS, Installation, InstallEvent, linked_lead_keys, own_keys
from leads.models.jobs import RUN_OUTCOMES, JobRun
from leads.models.lead import Lead, LeadNote, QuarantinedEntity, SyncRun, Tombstone, search_key, search_keys
from leads.models.person import CONSENT_COLUMNS, Person, PersonLink
from leads.models.retention import KeyFingerprint, LegalHold, SourceDeletion
from leads.models.rights import (
    ExportDelivery,
    PrivacyCode,
    Rectification,
    RequestLead,
    RequestPause,
    RequestStep,
    RightsRequest,
    SourceCorrection,
)
from leads.models.sso import RecoveryCode, SignInPolicy, StaffIdentity, TotpSecret
from leads.models.staff import AuditEvent, SavedView, User, ViewerVersion

__all__ = [
    "CONSENT_COLUMNS",
    "INSTALL_SEARCH_KEYS",
    "INSTALL_STATES",
    "KEY_TYPE",
    "LIST_FILTERS",
    "NURTURE_STATUSES",
    "ROLES",
    "RUN_OUTCOMES",
    "AuditEvent",
    "ConsentRecord",
    "ExportDelivery",
    "GrantCommunication",
    "GrantData",
    "InstallEvent",
    "Installation",
    "JobRun",
    "KeyFingerprint",
    "Lead",
    "LeadNote",
    "LegalHold",
    "Mailing",
    "MailingMessage",
    "MarketingEmail",
    "MarketingList",
    "MarketingListMember",
    "Person",
    "PersonLink",
    "PlanPermission",
    "PrivacyCode",
    "QuarantinedEntity",
    "RecoveryCode",
    "Rectification",
    "RequestLead",
    "RequestPause",
    "RequestStep",
    "RightsRequest",
    "SavedView",
    "SignInPolicy",
    "SourceCorrection",
    "SourceDeletion",
    "StaffIdentity",
    "SupportGrant",
    "SyncRun",
    "Tombstone",
    "TotpSecret",
    "User",
    "ViewerVersion",
    "linked_lead_keys",
    "own_keys",
    "search_key",
    "search_keys",
    "text_column",
    "utc_column",
]
