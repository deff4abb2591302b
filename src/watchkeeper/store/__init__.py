"""The state store: alerts, cases, accounts, teams, credentials and the audit log.

SQLAlchemy 2 models (`watchkeeper.store.models`), Alembic migrations shipped in the
package (`migrate`), SQLite with WAL in the workspace by default and PostgreSQL by URL
(`url`), a typed paging helper (`paging`), and backup and restore (`backup`).
Imports nothing above `errors` and `private`.
"""

from watchkeeper.store.backup import BackupReport, RestoreReport, backup, restore
from watchkeeper.store.migrate import UpgradeReport, current_revision, head, pending, upgrade
from watchkeeper.store.paging import Order, Page, page
from watchkeeper.store.state import StateStore
from watchkeeper.store.url import ENV, StoreLocation, check_url, resolve

__all__ = [
    "ENV",
    "BackupReport",
    "Order",
    "Page",
    "RestoreReport",
    "StateStore",
    "StoreLocation",
    "UpgradeReport",
    "backup",
    "check_url",
    "current_revision",
    "head",
    "page",
    "pending",
    "resolve",
    "restore",
    "upgrade",
]
