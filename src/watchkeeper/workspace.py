"""The facade every surface calls: `Workspace.open(path)` and one method per job.

A workspace is a directory::

    watchkeeper.toml     settings (see `watchkeeper.config`)
    lake/                Parquet lake: events, entities, quarantine (see `watchkeeper.lake`)
    state.db             SQLite state store (alerts, cases, audit), created by its first user
    keys/                secrets for pseudonyms and the audit log (0600 files)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from watchkeeper.config import CONFIG_NAME, DEFAULT_CONFIG, Settings
from watchkeeper.errors import OutputError, WorkspaceError
from watchkeeper.facade.dashboard import DashboardJobs
from watchkeeper.facade.evaluation import EvaluationJobs
from watchkeeper.facade.feedback import FeedbackJobs
from watchkeeper.facade.metrics import MetricsJobs
from watchkeeper.facade.ops import OpsJobs
from watchkeeper.facade.people import PeopleJobs
from watchkeeper.facade.playbooks import PlaybookJobs
from watchkeeper.facade.queue import QueueJobs
from watchkeeper.facade.retention import RetentionJobs
from watchkeeper.facade.review import ReviewJobs
from watchkeeper.facade.shifts import ShiftJobs
from watchkeeper.facade.upkeep import LakeJobs
from watchkeeper.facade.violations import ViolationJobs
from watchkeeper.home import default_home
from watchkeeper.ingest import IngestReport, ProgressFn, ingest
from watchkeeper.lake import Lake
from watchkeeper.private import DIR_MODE, restrict_umask, tighten
from watchkeeper.schema import EventClass
from watchkeeper.sources.base import SourceContext

if TYPE_CHECKING:

    from ibis.expr.types import StringValue

    from watchkeeper.analysis import AnalysisReport
    from watchkeeper.detect.engine import DetectReport
    from watchkeeper.detect.review import FindingDetail, FindingSummary
    from watchkeeper.evaluate import EvaluationReport
    from watchkeeper.hunt import QueryResult
    from watchkeeper.risk.explain import Explanation, RiskRank
    from watchkeeper.risk.history import HistorySummary



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


class Workspace(DashboardJobs, PeopleJobs, EvaluationJobs, FeedbackJobs, MetricsJobs,
                ShiftJobs, PlaybookJobs, QueueJobs, LakeJobs, OpsJobs, RetentionJobs,
                ViolationJobs, ReviewJobs):
    """One workspace: settings, lake and jobs (the parts in `watchkeeper.facade`)."""

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

    @contextmanager
    def job_workspace(self) -> Iterator[Workspace]:
        """This workspace for a job in another thread: its own lake reader (a DuckDB
        connection is not shared between threads), the same open state store."""
        other = Workspace(self.root, self.settings)
        other.database_url = self.database_url
        other._state = self.state
        try:
            yield other
        finally:
            other.lake.close()

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

    def analyze(self, *, full: bool = False, progress: ProgressFn | None = None,
                wait: float = 0.0) -> AnalysisReport:
        """Behaviour analytics and risk scoring, incremental on new days; risk takes the
        analysts' verdicts and watchlists in the state store into account."""
        from watchkeeper.analysis import analyze
        report = analyze(self.lake, self.analysis, full=full, progress=progress, wait=wait,
                         feedback=self.risk_feedback(),
                         behaviour_config=self.settings.ueba.behaviour(self.root))
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
        features = self.analysis.optional("features")
        report = evaluate(history, answers, people, dataset, features)
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

def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _reason_kind(reason: StringValue) -> StringValue:
    """Group quarantine reasons by their first words, not their quoted values."""
    return reason.re_replace(r"(parse|value|class_uid) (\S+|'[^']*') ", r"\1 … ").strip()
