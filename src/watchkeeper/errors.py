"""Every error Watchkeeper raises on purpose, as one tree.

::

    WatchkeeperError                 base: the CLI prints its message as one red line, exit 1
    ├── ConfigError                  watchkeeper.toml or a setting is wrong
    ├── WorkspaceError               the workspace is missing, locked or damaged
    ├── InputError                   an input file cannot be read at all (names the file)
    │   └── MappingError             a YAML source mapping is invalid (names file and field)
    ├── LakeError                    the lake's manifest or a Parquet file is damaged
    ├── NotFoundError                a person, day, rule, finding or record named is absent
    ├── OutputError                  a file the user asked for cannot be written (names it)
    ├── RuleError                    a detection rule is invalid (names file and rule id)
    │   └── UnsupportedRuleError     a valid rule that the compiler cannot express
    ├── QueryError                   a hunting query is not one read-only SELECT, or fails
    ├── StoreError                   the state database is unreachable, outdated or its backup bad
    ├── PagingError                  a list's cursor, limit or offset is not valid (names it)
    ├── SimulationError              simulator parameters are inconsistent
    ├── IntakeError                  an alert or event payload is malformed or of no known
    │                                format (names the JSON path of the field, and file:line)
    ├── TimelineError                a case timeline's window or limit is invalid
    ├── AuditError                   the audit log cannot record an action (which is then
    │                                refused: nothing is shown) or cannot be read
    ├── CaseError                    a case change the workflow forbids (a transition, a
    │                                resolve without a verdict, an unknown value)
    ├── AccessError                  the acting account may not open this case (recused,
    │                                restricted, or its role reads no case content)
    ├── AccountError                 an account, team or token request is invalid (names the
    │                                field: name, role, password, region, label)
    ├── ConflictError                the name or change clashes with what is stored
    ├── JobError                     a scheduled job failed (`scheduler run-once`)
    ├── AuthenticationError          no credentials, or unknown, revoked or disabled ones
    ├── PermissionDeniedError        the caller's role may not do this
    ├── RevealError                  a reveal's request is invalid (no meaningful reason)
    ├── FeedbackError                a watchlist entry, allow-list proposal or review is
    │                                invalid (names the field)
    ├── OpsError                     a shift, holiday, hand-off or SLA request is invalid
    │                                (names the field, or file:line of a teams.yml)
    ├── PolicyError                  a Cedar access policy does not parse or validate
    │                                against the schema (names file and line)
    ├── GrantError                   an access request, approval or grant change is
    │                                invalid (names the field)
    ├── RetentionError               a legal hold or a retention setting is invalid (names
    │                                the field)
    └── PlaybookError                a playbook file, golden test or run request is invalid
                                     (names file:line and the field)

A malformed *row* is never an exception: it goes to the quarantine with its file, line,
reason and raw text. Exceptions are for things that stop a whole file or command.
"""

from __future__ import annotations

from pathlib import Path


class WatchkeeperError(Exception):
    """Base of every expected error; its message is one line meant for a person."""


class ConfigError(WatchkeeperError):
    """A setting or the workspace configuration file is invalid."""


class WorkspaceError(WatchkeeperError):
    """The workspace cannot be opened or is inconsistent."""


class InputError(WatchkeeperError):
    """An input file cannot be read at all."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None) -> None:
        self.path = str(path)
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")


class MappingError(InputError):
    """A declarative source mapping is invalid; names the mapping file and the field."""

    def __init__(self, path: Path | str, field: str, reason: str) -> None:
        self.field = field
        super().__init__(path, f"field {field!r}: {reason}")


class LakeError(WatchkeeperError):
    """The lake's manifest or one of its files is damaged."""


class RuleError(WatchkeeperError):
    """A detection rule cannot be loaded or compiled (``line``: 1-based, when known)."""

    def __init__(self, reason: str, *, path: Path | str | None = None,
                 rule_id: str | None = None, line: int | None = None) -> None:
        self.path = str(path) if path is not None else None
        self.rule_id = rule_id
        self.reason = reason
        self.line = line
        where = f"{self.path}:{line}" if self.path and line is not None else self.path
        parts = [p for p in (where, f"rule {rule_id}" if rule_id else None) if p]
        prefix = ": ".join(parts)
        super().__init__(f"{prefix}: {reason}" if prefix else reason)


class UnsupportedRuleError(RuleError):
    """A valid rule that the compiler cannot express on our tables."""


class QueryError(WatchkeeperError):
    """A hunting query is not a single read-only SELECT over the lake's views, or fails."""


class SimulationError(WatchkeeperError):
    """Simulator parameters are inconsistent."""


class PagingError(WatchkeeperError):
    """A list was asked for with a cursor that is not one of its own, or a limit or offset
    out of range: the caller's mistake, not the store's; `field` names the parameter."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class StoreError(WatchkeeperError):
    """The state store (SQLite or PostgreSQL) cannot be opened, needs `watchkeeper db
    upgrade`, or a backup cannot be made or restored; names the database (password hidden)
    or the backup file."""


class NotFoundError(WatchkeeperError):
    """A record, person, day or rule the user named is not there (a typo), or an id
    prefix is ambiguous."""


class OutputError(WatchkeeperError):
    """A file the user asked for (an export, a CSV) cannot be written."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: cannot write: {reason}")


class IntakeError(WatchkeeperError):
    """An alert payload cannot be taken in; `field` is the JSON path at fault
    (``alerts[3].severity_id``), `path`/`line` the file and line it came from, if any."""

    def __init__(self, field: str, reason: str, *, path: Path | str | None = None,
                 line: int | None = None) -> None:
        self.field = field
        self.reason = reason
        self.path = str(path) if path is not None else None
        self.line = line
        where = f"{self.path}:{line}" if self.path and line is not None else self.path
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{field}: {reason}")

    def located(self, path: Path | str, line: int | None = None) -> IntakeError:
        """The same error, naming the file (and line) the payload was read from."""
        return IntakeError(self.field, self.reason, path=path, line=line)


def yaml_location(path: Path | str, exc: Exception) -> tuple[str, str]:
    """(``file:line:column``, problem) of a YAML parse error, for a one-line message.

    PyYAML's own message spans several lines and counts from 0; this counts from 1 like
    editors do.
    """
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = (getattr(exc, "problem", None) or getattr(exc, "context", None)
               or " ".join(str(exc).split()) or type(exc).__name__)
    if mark is None:
        return str(path), f"not valid YAML: {problem}"
    return f"{path}:{mark.line + 1}:{mark.column + 1}", f"not valid YAML: {problem}"


class TimelineError(WatchkeeperError):
    """A case timeline was asked for an empty or inverted window, or a bad limit."""


class AuditError(WatchkeeperError):
    """The audit log cannot record an action, so the action is refused (fail closed), or
    an entry cannot be read back; names the action or the entry."""


class CaseError(WatchkeeperError):
    """A case change is not allowed: a status transition the workflow forbids, resolving
    without a verdict, an unknown verdict, priority or severity; names the case."""


class AccessError(WatchkeeperError):
    """The acting account may not open or change a case: it is recused (the subject is
    themselves, in their management chain or a direct report), the case is restricted
    to others, or its role reads no case content. Never names the subject."""


class AccountError(WatchkeeperError):
    """An account, team or token request is invalid; `field` names the part at fault
    (``name``, ``role``, ``password``, ``regions``, ``label``)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class JobError(WatchkeeperError):
    """A scheduled job failed; names the job and its one-line error."""


class ConflictError(WatchkeeperError):
    """A name that must be unique is taken, or a change clashes with what is stored."""


class AuthenticationError(WatchkeeperError):
    """No credentials were given, or they are unknown, revoked, expired or belong to a
    disabled account. The message never repeats the credential."""


class PermissionDeniedError(WatchkeeperError):
    """The caller is known but their role (or scope) does not allow this."""


class RevealError(WatchkeeperError):
    """A request to reveal the identity behind a pseudonym is invalid; `field` names the
    part at fault (``reason``: missing, too short, too long)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class CaseWorkflowError(CaseError):
    """A case change clashes with the case's state rather than with a value: a status
    transition the workflow forbids (from a final status, say), or an alert that is in
    another case already. The API answers it 409, other `CaseError`s 422."""


class FeedbackError(WatchkeeperError):
    """A watchlist entry, an allow-list proposal or its review is invalid; `field` names
    the part at fault (``watchlist``, ``reason``, ``until``, ``value``, ``status`` …)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class OpsError(WatchkeeperError):
    """A shift, holiday, hand-off or SLA request is invalid; `field` names the part at
    fault (``timezone``, ``hours``, ``acknowledge``, ``party``, ``teams.yml:12 shifts``)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class PolicyError(WatchkeeperError):
    """A Cedar access policy (or its golden cases) is broken: `path` and `line` name it."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = str(path)
        self.line = line
        self.reason = reason
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {reason}")


class GrantError(WatchkeeperError):
    """An access request, approval, denial or revocation is invalid; `field` names the
    part at fault (``duration``, ``purpose``, ``approver``, ``resource`` ...)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class RetentionError(WatchkeeperError):
    """A legal hold or a retention setting is invalid; `field` names the part at fault
    (``person``, ``until``, ``reason``, ``retention.classes.web`` …)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class PlaybookError(WatchkeeperError):
    """A playbook file, golden test or playbook request is invalid: `where` is
    ``file:line`` (or a name), `field` the dotted field at fault (``steps.2.webhook.url``;
    empty: the whole file)."""

    def __init__(self, where: str, field: str, reason: str) -> None:
        self.where, self.field, self.reason = where, field, reason
        super().__init__(f"{where} {field}: {reason}" if field else f"{where}: {reason}")
