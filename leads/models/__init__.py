"""The tables, one module per concept, re-exported here (`from leads.models import Lead`). Every timestamp is
aware UTC (`UTCDateTime`); indexes follow what the list, search, sync and retention sweeper filter on."""

from leads.models.base import INSTALL_STATES, KEY_TYPE, LIST_FILTERS, NURTURE_STATUSES, ROLES, text_column, utc_column
from leads.models.consent import ConsentRecord, MarketingEmail, MarketingList, MarketingListMember
from leads.models.install import GrantCommunication, GrantData, Installation, InstallEvent, PlanPermission, SupportGrant
from leads.models.jobs import RUN_OUTCOMES, JobRun
from leads.models.lead import Lead, LeadNote, QuarantinedEntity, SyncRun, Tombstone, search_key, search_keys
from leads.models.retention import LegalHold, SourceDeletion
from leads.models.rights import Rectification, RequestLead, RequestPause, RightsRequest
from leads.models.staff import AuditEvent, User

__all__ = [
    "INSTALL_STATES",
    "KEY_TYPE",
    "LIST_FILTERS",
    "NURTURE_STATUSES",
    "ROLES",
    "RUN_OUTCOMES",
    "AuditEvent",
    "ConsentRecord",
    "GrantCommunication",
    "GrantData",
    "InstallEvent",
    "Installation",
    "JobRun",
    "Lead",
    "LeadNote",
    "LegalHold",
    "MarketingEmail",
    "MarketingList",
    "MarketingListMember",
    "PlanPermission",
    "QuarantinedEntity",
    "Rectification",
    "RequestLead",
    "RequestPause",
    "RightsRequest",
    "SourceDeletion",
    "SupportGrant",
    "SyncRun",
    "Tombstone",
    "User",
    "search_key",
    "search_keys",
    "text_column",
    "utc_column",
]
