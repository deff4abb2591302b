"""The facade every surface calls: `Workspace.open(path)` and one method per job.

A workspace is a directory::

    watchkeeper.toml     settings (see `watchkeeper.config`)
    lake/                Parquet lake: events, entities, quarantine (see `watchkeeper.lake`)
    state.db             SQLite state store (alerts, cases, audit), created by its first user
    keys/                secrets for pseudonyms and the audit log (0600 files)
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.config import CONFIG_NAME, DEFAULT_CONFIG, Settings
from watchkeeper.errors import OutputError, WorkspaceError
from watchkeeper.ingest import IngestReport, ProgressFn, ingest
from watchkeeper.lake import Lake, quarantine
from watchkeeper.lake.quarantine import (
    ExportReport,
    PurgeReport,
    QuarantineFilter,
    QuarantineList,
    QuarantineRow,
)
from watchkeeper.private import DIR_MODE, restrict_umask, tighten
from watchkeeper.schema import EventClass
from watchkeeper.sources.base import SourceContext

if TYPE_CHECKING:
    from collections.abc import Mapping

    from ibis.expr.types import StringValue
    from sqlalchemy.orm import Session

    from watchkeeper.analysis import AnalysisReport, AnalysisStore
    from watchkeeper.cases.alerts import IntakeResult
    from watchkeeper.cases.detail import CaseDetail
    from watchkeeper.cases.export import CaseExport
    from watchkeeper.cases.grouping import GroupingRuleInfo
    from watchkeeper.cases.model import AlertIn
    from watchkeeper.cases.queue import AlertDetail, AlertPage, AlertQuery
    from watchkeeper.cases.repository import CaseChange, CaseFilter
    from watchkeeper.cases.service import CaseDesk, CaseList, CaseNew
    from watchkeeper.cases.suppression import SuppressionInfo
    from watchkeeper.cases.sync import SyncReport
    from watchkeeper.cases.views import CaseView, LinkView
    from watchkeeper.detect.engine import DetectReport
    from watchkeeper.detect.review import FindingDetail, FindingSummary
    from watchkeeper.evaluate import EvaluationReport
    from watchkeeper.hunt import QueryResult
    from watchkeeper.lake.check import CheckReport
    from watchkeeper.lake.repair import RepairReport
    from watchkeeper.readiness import Readiness
    from watchkeeper.risk.explain import Explanation, RiskRank
    from watchkeeper.risk.history import HistorySummary
    from watchkeeper.security import AuditEntry, AuditLog, Pseudonymizer, VerifyReport
    from watchkeeper.security.accounts import Accounts
    from watchkeeper.security.audit_entry import DetailValue
    from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest
    from watchkeeper.security.recusal import Viewer
    from watchkeeper.store import (
        BackupReport,
        RestoreReport,
        StateStore,
        StoreLocation,
        UpgradeReport,
    )
    from watchkeeper.store.paging import Page
    from watchkeeper.store.state import DbStatus

HOME_ENV = "WATCHKEEPER_HOME"
KEYS_DIR = "keys"   # the workspace's secrets, 0600 files (security.keys writes them)
DEFAULT_HOME = "watchkeeper-data"


@dataclass
class ClassStatus:
    events: int
    first: str | None
    last: str | None
    sources: dict[str, int]


@dataclass
class Status:
    """What a workspace holds."""

    workspace: str
    events: int
    classes: dict[str, ClassStatus]
    people: int
    people_history_rows: int
    devices: int
    data_assets: int
    quarantine: int
    quarantine_reasons: dict[str, int]
    commits: int
    last_commit: str | None
    sources: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def default_home() -> Path:
    return Path(os.environ.get(HOME_ENV) or DEFAULT_HOME)


class Workspace:
    """One workspace: settings, lake and jobs."""

    def __init__(self, root: Path, settings: Settings) -> None:
        self.root = root
        self.settings = settings
        self.lake = Lake(root / "lake", memory_limit=settings.lake.memory_limit,
                         threads=settings.lake.threads, compression=settings.lake.compression)

    @classmethod
    def open(cls, path: Path | None = None, *, create: bool = True,
             database_url: str | None = None) -> Workspace:
        root = (path or default_home()).expanduser()
        restrict_umask()  # files are private (watchkeeper.private says why a umask)
        config = root / CONFIG_NAME
        if root.exists() and not root.is_dir():
            raise WorkspaceError(f"{root}: not a directory")
        if not config.exists():
            if not create:
                raise WorkspaceError(f"{root}: no workspace here (no {CONFIG_NAME})")
            if root.exists() and any(root.iterdir()):
                raise WorkspaceError(
                    f"{root}: directory is not empty and has no {CONFIG_NAME}; "
                    "refusing to make it a workspace")
            root.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
            config.write_text(DEFAULT_CONFIG, "utf-8")
        tighten(root)
        workspace = cls(root, Settings.load(config))
        workspace.database_url = database_url  # --database-url: before env and settings
        return workspace

    @property
    def state_url(self) -> str:
        return self.state_location.url

    def source_context(self) -> SourceContext:
        s = self.settings.ingest
        return SourceContext(timezone=s.timezone, company_domains=tuple(s.company_domains),
                             workers=self.lake.threads)

    # -- jobs ----------------------------------------------------------------------------

    def ingest(self, inputs: Iterable[Path], fmt: str = "auto", *,
               mapping: Path | None = None, progress: ProgressFn | None = None,
               wait: float = 0.0) -> IngestReport:
        return ingest(self.lake, list(inputs), fmt, self.source_context(),
                      mapping=mapping, progress=progress, wait=wait)

    def detect(self, rules: list[Path] | None = None, since: date | None = None, *,
               progress: ProgressFn | None = None, dry_run: bool = False,
               strict: bool = False, wait: float = 0.0) -> DetectReport:
        """Run detection rules (default: the shipped pack) and store their findings
        (``dry_run``: store nothing; ``strict``: a rule that cannot run is an error;
        ``wait``: seconds to wait for another writer of the lake)."""
        from watchkeeper.detect.engine import detect
        report = detect(self.lake, rules, since, progress, dry_run=dry_run, strict=strict,
                        wait=wait)
        if not dry_run:
            self._queue_own_alerts("detect")
        return report

    @property
    def analysis(self) -> AnalysisStore:
        from watchkeeper.analysis import AnalysisStore
        return AnalysisStore(self.root / "analytics")

    def analyze(self, *, full: bool = False, progress: ProgressFn | None = None,
                wait: float = 0.0) -> AnalysisReport:
        """Behaviour analytics and risk scoring, incremental on new days."""
        from watchkeeper.analysis import analyze
        report = analyze(self.lake, self.analysis, full=full, progress=progress, wait=wait)
        self._queue_own_alerts("analyze")
        return report

    def risk_top(self, day: date | None = None, limit: int = 20) -> list[RiskRank]:
        """The riskiest people on `day` (default: the last analysed day)."""
        from watchkeeper.risk import top
        stored = self.analysis.load()
        return top(stored.risk, day or date.fromisoformat(stored.meta["last_day"]), limit)

    def risk_explain(self, user: str, day: date | None = None) -> Explanation:
        """Why `user` scores what they score on `day` (default: the last analysed day)."""
        from watchkeeper.risk import explain
        stored = self.analysis.load()
        when = day or date.fromisoformat(stored.meta["last_day"])
        return explain(stored.risk, stored.behaviour, user, when)

    def risk_history(self, limit: int = 10) -> HistorySummary:
        """People, days and alerts of the stored risk history, and the most alerted."""
        from watchkeeper.risk.history import summarize
        return summarize(self.analysis.table("risk_history"), limit)

    def write_risk_history(self, path: Path) -> int:
        """Write every person-day of the risk history to a CSV file; returns the rows."""
        import pyarrow.csv as pacsv
        history = self.analysis.table("risk_history")
        try:
            pacsv.write_csv(history, path)
        except OSError as exc:
            raise OutputError(path, exc.strerror or str(exc)) from None
        return int(history.num_rows)

    def evaluate(self, answers: Path, dataset: str | None = None, *,
                 progress: ProgressFn | None = None) -> EvaluationReport:
        """Score the stored risk history against a CERT-format answer key (one release
        of it when `dataset` is given)."""
        from watchkeeper.evaluate import evaluate
        step = progress or (lambda done, total, label: None)
        step(0, 3, "reading the risk history")
        history = self.analysis.table("risk_history")
        step(1, 3, "reading people")
        people = self.lake.table("people").to_pyarrow()
        step(2, 3, "scoring")
        report = evaluate(history, answers, people, dataset)
        step(3, 3, "done")
        return report

    def status(self) -> Status:
        classes: dict[str, ClassStatus] = {}
        by_source: dict[str, int] = {}
        for cls in EventClass:
            if self.lake.rows(cls.value) == 0:
                continue
            classes[cls.value] = st = self._class_status(cls.value)
            for src, n in st.sources.items():
                by_source[src] = by_source.get(src, 0) + n
        import ibis

        people = self.lake.table("people")
        quarantine = self.lake.table("quarantine")
        reasons = (quarantine.group_by(reason=_reason_kind(quarantine.reason))
                   .aggregate(n=quarantine.count()).order_by(ibis.desc("n")).limit(10)
                   .to_pyarrow().to_pylist())
        manifest = self.lake.manifest()
        return Status(
            workspace=str(self.root),
            events=sum(c.events for c in classes.values()),
            classes=classes,
            people=int(people.user.nunique().execute()),
            people_history_rows=self.lake.rows("people"),
            devices=int(self.lake.table("devices").count().execute()),
            data_assets=int(self.lake.table("data_assets").count().execute()),
            quarantine=self.lake.rows("quarantine"),
            quarantine_reasons={r["reason"]: int(r["n"]) for r in reasons},
            commits=len(manifest.commits),
            last_commit=manifest.commits[-1].at if manifest.commits else None,
            sources=by_source,
        )

    def findings(self, *, rule: str | None = None, user: str | None = None,
                 host: str | None = None, since: date | None = None,
                 limit: int = 50) -> tuple[FindingSummary, ...]:
        """Stored findings, newest first (``limit`` 0: all)."""
        from watchkeeper.detect.review import list_findings
        return list_findings(self.lake, rule=rule, user=user, host=host, since=since,
                             limit=limit)

    def finding(self, finding_id: str) -> FindingDetail:
        """One stored finding in full, by id or unambiguous id prefix."""
        from watchkeeper.detect.review import show_finding
        return show_finding(self.lake, finding_id)

    def query(self, sql: str, limit: int = 100) -> QueryResult:
        """One read-only SQL query over the lake's views (``limit`` 0: all rows)."""
        from watchkeeper.hunt import run_query
        return run_query(self.lake, sql, limit)

    def _class_status(self, name: str) -> ClassStatus:
        t = self.lake.table(name)
        span = t.aggregate(n=t.count(), first=t.time.min(), last=t.time.max())
        row = span.to_pyarrow().to_pylist()[0]
        src = t.group_by("source").aggregate(n=t.count()).to_pyarrow().to_pylist()
        return ClassStatus(int(row["n"]), _iso(row["first"]), _iso(row["last"]),
                           {r["source"]: int(r["n"]) for r in src})

    # -- quarantine ----------------------------------------------------------------------

    def quarantine_list(self, file: str | None = None, reason: str | None = None,
                        limit: int = quarantine.DEFAULT_LIMIT) -> QuarantineList:
        """Quarantined records whose path contains `file` and reason contains `reason`."""
        return quarantine.list_rows(self.lake, QuarantineFilter(file, reason), limit)

    def quarantine_show(self, ident: str) -> QuarantineRow:
        """One quarantined record by id, or by a prefix of the id that is unique."""
        return quarantine.find(self.lake, ident)

    def quarantine_export(self, path: Path, *, file: str | None = None,
                          reason: str | None = None, fmt: str = "jsonl") -> ExportReport:
        """Write the selected records to `path` for fixing and re-ingest (created 0600)."""
        return quarantine.export(self.lake, QuarantineFilter(file, reason), path, fmt)

    def quarantine_purge(self, before: date, *, dry_run: bool = False) -> PurgeReport:
        """Remove the records recorded in commits before `before`, in one commit."""
        return quarantine.purge(self.lake, before, dry_run=dry_run)

    # -- lake upkeep -----------------------------------------------------------------------

    def lake_check(self, *, deep: bool = False) -> CheckReport:
        """Check the lake's files against its manifest (`deep`: decode every page too)."""
        from watchkeeper.lake.check import check
        return check(self.lake, deep)

    def lake_repair(self, *, wait: float = 0.0, deep: bool = False) -> RepairReport:
        """Rebuild a lost manifest, move damaged files to lake/damaged/, drop leftovers."""
        from watchkeeper.lake.repair import repair
        return repair(self.lake, wait, deep)

    def notices(self) -> list[str]:
        """One line per thing the last reads worked around (a damaged file they skipped)."""
        return self.lake.notices()

    # -- security --------------------------------------------------------------------------

    def pseudonymizer(self) -> Pseudonymizer:
        """Pseudonyms and redaction for everyone in the lake's people table (every name
        and email of their history, and the machines assigned to them), keyed with the
        workspace's pseudonym key (``keys/pseudonym.key``, created on first use)."""
        from watchkeeper.security import Keys, Pseudonymizer
        people = self.lake.table("people").select("user", "name", "email")
        devices = self.lake.table("devices").select("host", "owner", "shared")
        return Pseudonymizer.from_rows(Keys(self.root).get("pseudonym"),
                                       people.to_pyarrow().to_pylist(),
                                       devices.to_pyarrow().to_pylist())

    # -- state store -----------------------------------------------------------------------

    database_url: str | None = None   # given on the command line; see state_location
    _state: StateStore | None = None

    @property
    def state_location(self) -> StoreLocation:
        """The state store's URL: --database-url, else WATCHKEEPER_DATABASE_URL, else
        ``[state] database_url``, else SQLite ``state.db`` in the workspace."""
        from watchkeeper.store.url import resolve
        return resolve(self.root, option=self.database_url, environ=os.environ,
                       configured=self.settings.state.database_url)

    @property
    def state(self) -> StateStore:
        """The open state store (SQLite upgrades itself; PostgreSQL with migrations
        pending refuses, naming `watchkeeper db upgrade`)."""
        if self._state is None:
            from watchkeeper.store import StateStore
            self._state = StateStore.open(self.state_location)
        return self._state

    def db_upgrade(self) -> UpgradeReport:
        """Apply the state store's pending schema migrations."""
        from watchkeeper.store import upgrade
        return upgrade(self.state_location)

    def db_status(self) -> DbStatus:
        """The state store's schema revision, the newest one, and what is pending."""
        from watchkeeper.store.state import status
        return status(self.state_location)

    def backup(self, path: Path) -> BackupReport:
        """Write the state store and the workspace's keys to one file (0600)."""
        from watchkeeper.store import backup
        return backup(self.state_location, self.root / KEYS_DIR, path)

    def restore(self, path: Path, *, force: bool = False) -> RestoreReport:
        """Replace the state store and keys with a backup's (`force`: even when the store
        holds data or a key differs)."""
        from watchkeeper.store import restore
        self.close_state()
        return restore(self.state_location, self.root / KEYS_DIR, path, force=force)

    def close_state(self) -> None:
        if self._state is not None:
            self._state.close()
            self._state = None

    # -- audit trail -----------------------------------------------------------------------

    def audit_log(self) -> AuditLog:
        """The audit log on the state store, keyed with ``keys/audit.key`` (created on
        first use), its head copied to ``keys/audit.head``."""
        from watchkeeper.security.audit_sql import workspace_audit_log
        return workspace_audit_log(self.root, self.state)

    def audit_verify(self) -> VerifyReport:
        """Check the whole chain and its checkpoints; the report names the first break."""
        return self.audit_log().verify()

    def audit_entries(self, filters: AuditFilter | None = None,
                      page: AuditPageRequest | None = None) -> Page[AuditEntry]:
        """Audit entries matching `filters`, newest first, one page at a time."""
        from watchkeeper.security.audit_sql import AuditFilter, AuditPageRequest, SqlAuditStore
        return SqlAuditStore(self.state).list(filters or AuditFilter(),
                                              page or AuditPageRequest())

    def audited(self, actor: str, action: str, object_type: str, object_id: str,
                detail: Mapping[str, DetailValue] | None = None) -> AuditEntry:
        """Record one read or change in the audit log, committed, and checkpoint the
        head. Call it before showing what was read: an `AuditError` (or another
        `WatchkeeperError`) means nothing was recorded, so show nothing (fail closed)."""
        from watchkeeper.errors import AuditError
        log = self.audit_log()
        try:
            entry = log.append(actor, action, object_type, object_id, detail)
            log.checkpoint()
        except (ValueError, OSError) as exc:
            raise AuditError(f"cannot record {action} in the audit log: {exc}") from exc
        return entry

    # -- cases (cases.service: repository, timeline, summary, exports) ---------------------

    _case_desk: CaseDesk | None = None

    @property
    def cases(self) -> CaseDesk:
        """The case jobs over this workspace's state store and lake (docs/cases.md)."""
        if self._case_desk is None:
            from watchkeeper.cases.service import CaseDesk
            self._case_desk = CaseDesk(self.state, self.lake, self.pseudonymizer,
                                       explain=self._case_explain)
        return self._case_desk

    def _case_explain(self, user: str, day: date) -> Explanation:
        return self.risk_explain(user, day)

    def case_viewer(self, name: str | None = None) -> Viewer:
        """Who acts: the account `name`, else the one named like the OS login; a store
        without accounts has one local operator (``cli:<login>``)."""
        import getpass
        return self.cases.viewer(name, getpass.getuser())

    def case_create(self, viewer: Viewer, new: CaseNew) -> CaseView:
        """Open a case (its summary starts as the generated draft)."""
        return self.cases.create(viewer, new)

    def cases_list(self, viewer: Viewer, filters: CaseFilter | None = None, *,
                   limit: int = 50, cursor: str | None = None) -> CaseList:
        """The cases `viewer` may open, most recently changed first (pseudonymized)."""
        from watchkeeper.cases.repository import CaseFilter
        return self.cases.listing(viewer, filters or CaseFilter(), limit=limit, cursor=cursor)

    def case_show(self, viewer: Viewer, case_id: int, hours: float = 24.0) -> CaseDetail:
        """One case with its lake timeline and summary (pseudonymized); the read is
        audited (``case.read``) once access is granted and before anything is returned."""
        detail = self.cases.detail(viewer, case_id, hours)
        self.audited(viewer.name, "case.read", "case", str(case_id),
                     {"window_hours": f"{hours:g}"})
        return detail

    def case_update(self, viewer: Viewer, case_id: int, change: CaseChange, *,
                    restrict_to: tuple[str, ...] | None = None,
                    unrestrict: bool = False) -> CaseView:
        """Change fields, status (workflow enforced), summary, or the access list."""
        return self.cases.update(viewer, case_id, change, restrict_to=restrict_to,
                                 unrestrict=unrestrict)

    def case_note(self, viewer: Viewer, case_id: int, body: str | None, *,
                  template: bool = False) -> int:
        """Add a Markdown note (`template`: the root-cause template, filled in)."""
        return self.cases.note(viewer, case_id, body, template)

    def case_task(self, viewer: Viewer, case_id: int, title: str | None = None, *,
                  assignee: str | None = None, done: int | None = None,
                  reopen: int | None = None) -> int | None:
        """Add a task (its id), or mark one done or open again."""
        return self.cases.task(viewer, case_id, title, assignee=assignee, done=done,
                               reopen=reopen)

    def case_link(self, viewer: Viewer, case_id: int, links: tuple[LinkView, ...],
                  alerts: tuple[int, ...] = (), *, remove: bool = False) -> int:
        """Link (or unlink) people, hosts and observables, and put alerts in the case."""
        return self.cases.link(viewer, case_id, links, alerts, remove)

    def case_resolve(self, viewer: Viewer, case_id: int, verdict: str,
                     note: str | None = None) -> CaseView:
        """Resolve a case with an OCSF verdict (required), and a closing note."""
        return self.cases.resolve(viewer, case_id, verdict, note)

    def case_export(self, viewer: Viewer, case_id: int, fmt: str, path: Path, *,
                    hours: float = 24.0, audit: AuditLog | None = None) -> CaseExport:
        """Write the pseudonymized case as markdown, json or ocsf (2005) to `path` and
        record its SHA-256 in the audit log."""
        return self.cases.export(viewer, case_id, fmt, path,
                                 audit if audit is not None else self.cases_audit_log(),
                                 hours)

    def cases_audit_log(self) -> AuditLog:
        """The audit log case exports record into: the one on the state store."""
        return self.audit_log()

    def set_account_person(self, account: str, person: str | None) -> None:
        """Record the person (lake user id or pseudonym) behind an account, for recusal."""
        self.cases.set_person(account, person)

    # -- accounts and the service ------------------------------------------------------------

    def accounts(self, session: Session | None = None) -> Accounts:
        """Users, teams, API tokens and browser sessions (`watchkeeper.security.accounts`).
        Without `session` each call is its own transaction; the API passes the request's
        session, which it commits before answering."""
        from watchkeeper.security.accounts import Accounts
        from watchkeeper.security.principals import bound
        return Accounts.over(bound(session) if session is not None else self.state.session)

    def readiness(self) -> Readiness:
        """Whether the state store answers at the newest revision and the lake reads."""
        from watchkeeper.readiness import check
        return check(self)

    # -- alert queue ---------------------------------------------------------------------

    last_sync: SyncReport | None = None   # what the last detect/analyze queued

    def alerts_sync(self) -> SyncReport:
        """Queue the lake's findings not queued yet and the new or changed risk alerts
        (run by `detect` and `analyze` too)."""
        from watchkeeper.cases.sync import sync_own_alerts
        stored = self.analysis
        self.last_sync = sync_own_alerts(self.state, self.lake, stored.optional("risk_alerts"),
                                         stored.optional("risk_events"))
        return self.last_sync

    def _queue_own_alerts(self, job: str) -> None:
        """After `job` stored its results: queue their alerts, or say in one line that
        they are stored but not queued (losing them silently would be worse)."""
        from watchkeeper.errors import StoreError
        try:
            self.alerts_sync()
        except StoreError as exc:
            raise StoreError(f"{job} stored its results, but their alerts are not queued: "
                             f"{exc} (run `watchkeeper alerts sync` once the store works)"
                             ) from exc

    def alerts_ingest(self, alerts: Iterable[AlertIn],
                      received_at: datetime | None = None) -> IntakeResult:
        """Store normalized alerts in the queue: one batch, whole or not at all."""
        from watchkeeper.cases.alerts import store_alerts
        return store_alerts(self.state, list(alerts), received_at)

    def alerts_import(self, files: Iterable[Path], fmt: str | None = None,
                      mapping: Path | None = None) -> IntakeResult:
        """Read alert files (a vendor format, recognized or `fmt`; or any JSON through an
        alert `mapping`) and store them as one batch: any bad alert stores nothing."""
        from datetime import UTC

        from watchkeeper.cases.intake import load_alert_mapping, read_alert_files
        received = datetime.now(UTC)
        spec = load_alert_mapping(mapping) if mapping is not None else None
        alerts = read_alert_files(files, fmt=fmt, mapping=spec, received=received)
        return self.alerts_ingest(alerts, received)

    def alerts_list(self, query: AlertQuery, *, person: str | None = None) -> AlertPage:
        """A page of the queue, people shown as pseudonyms; `person` (a pseudonym) keeps
        the alerts about that person."""
        from dataclasses import replace

        from watchkeeper.cases.pseudonyms import pseudonymize_page, subjects_for
        from watchkeeper.cases.queue import list_alerts
        pz = self.pseudonymizer()
        with self.state.session() as session:
            if person is not None:
                query = replace(query, subjects=subjects_for(session, pz, person))
            return pseudonymize_page(pz, list_alerts(session, query))

    def alert(self, alert_id: int) -> AlertDetail:
        """One alert in full (people as pseudonyms): its findings and the events behind
        them, its changes, group and suppression."""
        from datetime import UTC

        from watchkeeper.cases.pseudonyms import pseudonymize_detail
        from watchkeeper.cases.queue import show_alert
        with self.state.session() as session:
            detail = show_alert(session, alert_id, datetime.now(UTC))
        return pseudonymize_detail(self.pseudonymizer(), detail)

    def grouping_rule_add(self, name: str, keys: Iterable[str],
                          window_seconds: int) -> GroupingRuleInfo:
        """Add a grouping rule; it applies to alerts received from now on."""
        from watchkeeper.cases.grouping import add_rule
        with self.state.session() as session:
            return add_rule(session, name, list(keys), window_seconds)

    def grouping_rules(self) -> tuple[GroupingRuleInfo, ...]:
        from watchkeeper.cases.grouping import list_rules
        with self.state.session() as session:
            return list_rules(session)

    def grouping_rule_remove(self, name: str) -> GroupingRuleInfo:
        """Remove a grouping rule; its groups stay."""
        from watchkeeper.cases.grouping import remove_rule
        with self.state.session() as session:
            return remove_rule(session, name)

    def suppress(self, *, reason: str, owner: str, expires: date, rule: str | None = None,
                 person: str | None = None, host: str | None = None,
                 source: str | None = None) -> SuppressionInfo:
        """Suppress matching alerts received until the end of `expires` (UTC); `person`
        is a pseudonym."""
        from datetime import UTC, time, timedelta

        from watchkeeper.cases.pseudonyms import pseudonymize_suppression, subject_of
        from watchkeeper.cases.suppression import add_suppression
        pz = self.pseudonymizer()
        ends = datetime.combine(expires + timedelta(days=1), time(), UTC)
        with self.state.session() as session:
            subject = subject_of(session, pz, person) if person is not None else None
            info = add_suppression(session, {"rule": rule, "subject": subject, "host": host,
                                             "source": source},
                                   reason=reason, owner=owner, expires_at=ends,
                                   now=datetime.now(UTC))
        return pseudonymize_suppression(pz, info)

    def suppressions(self, *, ended: bool = False) -> tuple[SuppressionInfo, ...]:
        """Suppressions in force (`ended`: also expired and lifted ones)."""
        from datetime import UTC

        from watchkeeper.cases.pseudonyms import pseudonymize_suppression
        from watchkeeper.cases.suppression import list_suppressions
        with self.state.session() as session:
            found = list_suppressions(session, datetime.now(UTC), ended=ended)
        pz = self.pseudonymizer()
        return tuple(pseudonymize_suppression(pz, s) for s in found)

    def lift_suppression(self, ident: int) -> SuppressionInfo:
        """End a suppression now; the alerts it marked stay marked."""
        from datetime import UTC

        from watchkeeper.cases.pseudonyms import pseudonymize_suppression
        from watchkeeper.cases.suppression import lift_suppression
        with self.state.session() as session:
            info = lift_suppression(session, ident, datetime.now(UTC))
        return pseudonymize_suppression(self.pseudonymizer(), info)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _reason_kind(reason: StringValue) -> StringValue:
    """Group quarantine reasons by their first words, not their quoted values."""
    return reason.re_replace(r"(parse|value|class_uid) (\S+|'[^']*') ", r"\1 … ").strip()
