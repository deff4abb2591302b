"""Playbook files in, checked playbooks out; every error names the file, the line and
the field (``playbooks/leaver.yml:14 steps.2.webhook.url: ...``).

Playbooks live in the workspace's ``playbooks/`` folder (``*.yml`` and ``*.yaml``) and
in the files and folders of ``[playbooks] paths``; the examples shipped with Watchkeeper
are in `EXAMPLES` (they run only when copied into a workspace). `load_all` collects
every file's problem instead of stopping at the first, so one broken file never stops
the others from running.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from watchkeeper.errors import InputError, PlaybookError, yaml_location
from watchkeeper.ops.playbooks.spec import ACTIONS, Playbook, StepError

EXAMPLES = Path(__file__).resolve().parents[2] / "rules" / "playbooks"
FOLDER = "playbooks"
SUFFIXES = (".yml", ".yaml")
MAX_BYTES = 1_000_000


class YamlLoader(yaml.SafeLoader):
    """YAML 1.2 booleans: only true and false (YAML 1.1 reads ``on:``, the trigger's
    key, and ``yes``/``no`` as booleans)."""


YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in found if tag != "tag:yaml.org,2002:bool"]
    for first, found in yaml.SafeLoader.yaml_implicit_resolvers.items()}
YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))


@dataclass(frozen=True)
class Loaded:
    """A checked playbook, where it came from and the hash of its text (a run records
    which version it ran)."""

    playbook: Playbook
    path: Path
    version: str


@dataclass(frozen=True)
class LoadReport:
    playbooks: tuple[Loaded, ...]
    errors: tuple[PlaybookError, ...]


def files(paths: Iterable[Path]) -> list[Path]:
    """The playbook files among `paths` (folders walked, sorted); a missing path is
    an `InputError`."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in SUFFIXES
                                and p.is_file() and "golden" not in p.parts))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(path, "no such playbook file or folder")
    return found


def load_file(path: Path) -> Loaded:
    """One playbook file, checked; a `PlaybookError` names file, line and field."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlaybookError(str(path), "", exc.strerror or str(exc)) from None
    if len(raw) > MAX_BYTES:
        raise PlaybookError(str(path), "", f"larger than {MAX_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8")
        node = yaml.compose(text, Loader=YamlLoader)
        doc = yaml.load(text, Loader=YamlLoader)
    except UnicodeDecodeError:
        raise PlaybookError(str(path), "", "not UTF-8 text") from None
    except yaml.YAMLError as exc:
        where, problem = yaml_location(path, exc)
        raise PlaybookError(where, "", problem) from None
    if not isinstance(doc, dict) or node is None:
        raise PlaybookError(str(path), "", "expected a mapping with id, title, trigger "
                            "and steps")
    try:
        playbook = Playbook.model_validate(doc)
    except ValidationError as exc:
        raise _located(path, node, exc) from None
    return Loaded(playbook, path, hashlib.sha256(raw).hexdigest()[:16])


def load_all(paths: Sequence[Path]) -> LoadReport:
    """Every playbook under `paths`; a file in error is left out and reported, and so
    is a second playbook of an id already loaded."""
    loaded: list[Loaded] = []
    errors: list[PlaybookError] = []
    seen: dict[str, Path] = {}
    try:
        found = files(paths)
    except InputError as exc:
        return LoadReport((), (PlaybookError(exc.path, "", exc.reason),))
    for path in found:
        try:
            one = load_file(path)
        except PlaybookError as exc:
            errors.append(exc)
            continue
        first = seen.get(one.playbook.id)
        if first is not None:
            errors.append(PlaybookError(f"{path}:1", "id", f"{one.playbook.id!r} is the id "
                                        f"of {first} already"))
            continue
        seen[one.playbook.id] = path
        loaded.append(one)
    return LoadReport(tuple(loaded), tuple(errors))


def _located(path: Path, root: yaml.Node, exc: ValidationError) -> PlaybookError:
    """The first error of `exc` with the line of the YAML node it is about."""
    err = exc.errors()[0]
    loc: list[str | int] = [p for p in err["loc"] if isinstance(p, str | int)]
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden" and len(loc) == 3 and loc[0] == "steps":
        message = f"not an action (known: {', '.join(ACTIONS)})"
    cause = (err.get("ctx") or {}).get("error")
    if isinstance(cause, StepError):
        loc = ["steps", cause.index, cause.action]
        message = str(cause).split(": ", 1)[1]
    node = _node_at(root, loc)
    field = ".".join(str(p) for p in loc).replace("in_", "in").replace("for_", "for")
    return PlaybookError(f"{path}:{node.start_mark.line + 1}", field, message)


def _node_at(node: yaml.Node, loc: Sequence[str | int]) -> yaml.Node:
    """The deepest node along `loc` (a key's node when its value is the one missing)."""
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            name = str(part).removesuffix("_")
            match = next(((k, v) for k, v in node.value
                          if isinstance(k, yaml.ScalarNode) and k.value == name), None)
            if match is None:
                return node
            node = match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) \
                and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return node
    return node


def as_document(loaded: Loaded) -> dict[str, Any]:
    """The playbook as its file says, with the defaults filled in (``--json``)."""
    return loaded.playbook.model_dump(mode="json", by_alias=True, exclude_none=True)


__all__ = ["EXAMPLES", "FOLDER", "LoadReport", "Loaded", "as_document", "files",
           "load_all", "load_file"]
