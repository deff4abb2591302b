"""The state store's tables, one module per aggregate; `Base.metadata` holds them all."""

from watchkeeper.store.models.access import (
    AccessApproval,
    AccessDecision,
    AccessGrant,
    AccessRequest,
)
from watchkeeper.store.models.access_review import AccessReview, AccessReviewItem
from watchkeeper.store.models.alerts import (
    Alert,
    AlertChange,
    AlertFinding,
    AlertGroup,
    AlertHost,
    AlertObservable,
    AlertSubject,
    GroupingRule,
    Suppression,
)
from watchkeeper.store.models.base import Base, utcnow
from watchkeeper.store.models.cases import (
    LINK_KINDS,
    Case,
    CaseAccess,
    CaseEvent,
    CaseLink,
    CaseNote,
    CaseTask,
)
from watchkeeper.store.models.feedback import AllowProposal, WatchlistEntry
from watchkeeper.store.models.holds import LegalHold
from watchkeeper.store.models.ops import (
    CaseSla,
    Handoff,
    HandoffItem,
    Notification,
    SlaBreach,
    SlaPause,
    SlaPolicy,
    TeamCalendar,
    TeamHoliday,
    TeamShift,
)
from watchkeeper.store.models.playbooks import PlaybookRun, PlaybookStep
from watchkeeper.store.models.rollups import AlertRollup, DetectRollup, MetricsRollup
from watchkeeper.store.models.scheduler import IngestedFile, SchedulerJob
from watchkeeper.store.models.security import (
    Account,
    ApiToken,
    AuditCheckpoint,
    AuditEntry,
    BrowserSession,
    Reveal,
    Team,
    TeamMember,
    TeamRegion,
)
from watchkeeper.store.models.violations import RESOLUTIONS, ViolationResolution

__all__ = [
    "LINK_KINDS",
    "RESOLUTIONS",
    "AccessApproval",
    "AccessDecision",
    "AccessGrant",
    "AccessRequest",
    "AccessReview",
    "AccessReviewItem",
    "Account",
    "Alert",
    "AlertChange",
    "AlertFinding",
    "AlertGroup",
    "AlertHost",
    "AlertObservable",
    "AlertRollup",
    "AlertSubject",
    "AllowProposal",
    "ApiToken",
    "AuditCheckpoint",
    "AuditEntry",
    "Base",
    "BrowserSession",
    "Case",
    "CaseAccess",
    "CaseEvent",
    "CaseLink",
    "CaseNote",
    "CaseSla",
    "CaseTask",
    "DetectRollup",
    "GroupingRule",
    "Handoff",
    "HandoffItem",
    "IngestedFile",
    "LegalHold",
    "MetricsRollup",
    "Notification",
    "PlaybookRun",
    "PlaybookStep",
    "Reveal",
    "SchedulerJob",
    "SlaBreach",
    "SlaPause",
    "SlaPolicy",
    "Suppression",
    "Team",
    "TeamCalendar",
    "TeamHoliday",    "TeamMember",
    "TeamRegion",
    "TeamShift",
    "ViolationResolution",
    "WatchlistEntry",
    "utcnow",
]
