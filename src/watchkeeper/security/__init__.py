"""Security: per-workspace keys, pseudonyms and redaction, the keyed audit chain.

- `Keys`: secrets kept outside the database (``<workspace>/keys/<name>.key``).
- `Pseudonymizer`: stable keyed pseudonyms, redaction of answers and exports, reveal.
- `AuditLog`: the append-only HMAC chain, its checkpoints and `verify`, over an
  `AuditStore` (`MemoryAuditStore`, `JsonlAuditStore`; the state store's `SqlAuditStore`
  is imported from `watchkeeper.security.audit_sql`, so pseudonyms load no SQLAlchemy).
- `Accounts`: users with a `Role`, teams and their regions, API tokens, browser
  sessions; `Principal` (who is calling) and `scope` (the regions they may see).

See docs/cases.md, "Security model: pseudonyms and the audit trail".
"""

from watchkeeper.security.accounts import AccountInfo, Accounts
from watchkeeper.security.audit import AuditLog, AuditStore, HeadStore
from watchkeeper.security.audit_entry import AuditCheckpoint, AuditEntry, entry_hash
from watchkeeper.security.audit_stores import HeadFile, JsonlAuditStore, MemoryAuditStore
from watchkeeper.security.audit_verify import BreakReason, VerifyReport
from watchkeeper.security.identity import PersonIdentity, identities_from_rows
from watchkeeper.security.keys import Keys
from watchkeeper.security.pseudonym import Pseudonymizer
from watchkeeper.security.roles import Permission, Principal, Role, Scope, scope
from watchkeeper.security.sessions import IssuedSession
from watchkeeper.security.teams import TeamInfo
from watchkeeper.security.tokens import IssuedToken, TokenInfo

__all__ = [
    "AccountInfo",
    "Accounts",
    "AuditCheckpoint",
    "AuditEntry",
    "AuditLog",
    "AuditStore",
    "BreakReason",
    "HeadFile",
    "HeadStore",
    "IssuedSession",
    "IssuedToken",
    "JsonlAuditStore",
    "Keys",
    "MemoryAuditStore",
    "Permission",
    "PersonIdentity",
    "Principal",
    "Pseudonymizer",
    "Role",
    "Scope",
    "TeamInfo",
    "TokenInfo",
    "VerifyReport",
    "entry_hash",
    "identities_from_rows",
    "scope",
]
