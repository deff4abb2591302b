"""The state store's tables, one module per aggregate; `Base.metadata` holds them all."""

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

__all__ = [
    "LINK_KINDS",
    "Account",
    "Alert",
    "AlertChange",
    "AlertFinding",
    "AlertGroup",
    "AlertHost",
    "AlertObservable",
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
    "CaseTask",
    "GroupingRule",
    "IngestedFile",
    "Reveal",
    "SchedulerJob",
    "Suppression",
    "Team",
    "TeamMember",
    "TeamRegion",
    "WatchlistEntry",
    "utcnow",
]
