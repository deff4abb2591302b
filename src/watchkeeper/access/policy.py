"""Loading Cedar policies: every ``*.cedar`` file of a folder, each statement parsed on
its own (so a broken one is named by file and line), the whole set validated against
the schema (`schema.CEDAR_SCHEMA`), every policy carrying a unique ``@id`` and a
``@reason`` that decisions quote.

The shipped policies are in ``watchkeeper/access/policies`` with their golden cases
(``NAME.cases.yml``, see `golden`); ``[access] policies`` in watchkeeper.toml names a
folder to load instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import cedarpy

from watchkeeper.access.schema import CEDAR_SCHEMA
from watchkeeper.errors import PolicyError

SHIPPED = Path(__file__).parent / "policies"
_ANNOTATION = re.compile(r'@(\w+)\s*\(\s*"((?:[^"\\]|\\.)*)"\s*\)')
_VALIDATION_ID = re.compile(r"policy(\d+)")
_ENTITY_LITERAL = re.compile(r"\b(Employee|Asset)\s*::")
_EFFECT = re.compile(r"\b(permit|forbid)\s*\(")


@dataclass(frozen=True)
class PolicyInfo:
    """One policy: its ``@id``, ``@reason``, effect and where it is written."""

    id: str
    reason: str
    effect: str
    path: str
    line: int


@dataclass(frozen=True)
class Statement:
    text: str
    line: int


@dataclass(frozen=True)
class PolicyBundle:
    """A validated policy set and what each of its policies is."""

    policies: cedarpy.PolicySet
    info: dict[str, PolicyInfo]
    folder: str
    by_attributes: bool = True   # no policy names an entity by id
    reads_ticket: bool = True    # a policy reads context.ticket
    _order: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_order", {name: k for k, name in enumerate(self.info)})

    def rank(self, policy_id: str) -> int:
        """Where a policy is written: deciding policies are listed in file order."""
        return self._order.get(policy_id, len(self._order))

    def reason(self, policy_id: str) -> str:
        found = self.info.get(policy_id)
        return found.reason if found is not None else policy_id


def statements(text: str) -> list[Statement]:
    """The policies of one file, split at top-level ``;`` (outside strings and ``//``
    comments), each with the line its first token is on."""
    out: list[Statement] = []
    start: int | None = None
    line, start_line, i, n = 1, 1, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "/" and text.startswith("//", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        if ch == "\n":
            line += 1
        elif not ch.isspace() and start is None:
            start, start_line = i, line
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                if text[i] == "\n":
                    line += 1
                i += 2 if text[i] == "\\" else 1
        elif ch == ";" and start is not None:
            out.append(Statement(text[start:i + 1], start_line))
            start = None
        i += 1
    if start is not None and text[start:].strip():
        out.append(Statement(text[start:], start_line))
    return out


def _info(statement: Statement, path: Path) -> PolicyInfo:
    head = _ANNOTATION.sub("", statement.text)
    found = _EFFECT.search(head)
    effect = found.group(1) if found is not None else "permit"
    notes = dict(_ANNOTATION.findall(statement.text))
    if not notes.get("id"):
        raise PolicyError(path, statement.line, 'a policy needs @id("...") naming it')
    if not notes.get("reason"):
        raise PolicyError(path, statement.line,
                          f'policy {notes["id"]!r} needs @reason("...") saying why')
    return PolicyInfo(notes["id"], notes["reason"], effect, str(path), statement.line)


def load(folder: Path | None = None) -> PolicyBundle:
    """Every ``*.cedar`` file of `folder` (default: the shipped policies), parsed and
    validated; a `PolicyError` names the file and line of the first problem."""
    where = folder or SHIPPED
    if not where.is_dir():
        raise PolicyError(where, None, "no such folder of Cedar policies")
    texts: list[str] = []
    located: list[tuple[Path, Statement, PolicyInfo]] = []
    for path in sorted(where.glob("*.cedar")):
        try:
            text = path.read_text("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(path, None, f"cannot be read: {exc}") from None
        for statement in statements(text):
            try:
                cedarpy.PolicySet.from_str(statement.text)
            except ValueError as exc:
                raise PolicyError(path, statement.line, f"does not parse: {exc}") from None
            info = _info(statement, path)
            texts.append(statement.text)
            located.append((path, statement, info))
    seen: dict[str, PolicyInfo] = {}
    for path, statement, info in located:
        if info.id in seen:
            first = seen[info.id]
            raise PolicyError(path, statement.line, f"@id {info.id!r} is used already at "
                              f"{Path(first.path).name}:{first.line}")
        seen[info.id] = info
    whole = "\n".join(texts)
    result = cedarpy.validate_policies(whole, CEDAR_SCHEMA)
    if not result.validation_passed:
        error = result.errors[0]
        number = _VALIDATION_ID.fullmatch(error.policy_id or "")
        path, statement, _ = located[int(number.group(1)) if number else 0]
        raise PolicyError(path, statement.line, f"does not validate against the schema: "
                          f"{error.error}")
    plain = _ANNOTATION.sub("", whole)   # comments kept: a mention only costs speed
    return PolicyBundle(cedarpy.PolicySet.from_str(whole), seen, str(where),
                        by_attributes=not _ENTITY_LITERAL.search(plain),
                        reads_ticket="ticket" in plain)

