"""The compiled-rule cache: a hit reads no rule with pySigma, an edited rule alone
recompiles, a corrupt or foreign entry is rebuilt (never trusted), a pipeline or engine
change invalidates, entries are private files, and cached rules equal fresh ones on the
SigmaHQ Windows rules."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

import watchkeeper
from watchkeeper.detect import WINDOWS, compile_rules, load_rules, rulefiles, windows_pipeline
from watchkeeper.detect.fields import field_warnings
from watchkeeper.detect.rejections import rejections
from watchkeeper.detect.ruleset import load_pack
from watchkeeper.detect.selections import rule_selections
from watchkeeper.detect.sigma import cache as cache_module
from watchkeeper.detect.sigma.cache import RuleCache, cache_dir, compile_files
from watchkeeper.detect.sigma.normalized import PACK_PIPELINES

from .conftest import SIGMA

WINDOWS_RULES = SIGMA / "rules" / "windows"
NAMES = ("proc_creation_win_renamed_whoami.yml", "proc_creation_win_net_user_add.yml",
         "proc_creation_win_cmd_del_execution.yml")


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    """Three SigmaHQ rules copied into a folder of the test's own."""
    if not WINDOWS_RULES.exists():
        pytest.skip("SigmaHQ corpus not available")
    folder = tmp_path / "rules"
    folder.mkdir()
    for name in NAMES:
        shutil.copy(next(WINDOWS_RULES.rglob(name)), folder / name)
    return folder


@pytest.fixture
def store(tmp_path: Path) -> RuleCache:
    return RuleCache(tmp_path / "cache")


def entries(store: RuleCache) -> list[Path]:
    return sorted(store.folder.glob("*.json"))


def test_second_run_is_served_from_the_cache(rules: Path, store: RuleCache,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    first = compile_files([rules], WINDOWS, store)
    assert len(first.compiled) == 3 and not first.cached and len(first.rules) == 3

    def refuse(*_: object) -> None:
        raise AssertionError("a cached file was parsed again")

    monkeypatch.setattr(cache_module, "_compile_file", refuse)
    second = compile_files([rules], WINDOWS, store)
    assert not second.compiled and len(second.cached) == 3
    assert second.rules == first.rules  # the same objects as compiled, paths included


def test_only_the_edited_rule_recompiles(rules: Path, store: RuleCache) -> None:
    compile_files([rules], WINDOWS, store)
    edited = rules / NAMES[1]
    edited.write_text(edited.read_text().replace("title: ", "title: Edited ", 1))
    again = compile_files([rules], WINDOWS, store)
    assert again.compiled == (edited,)
    assert len(again.cached) == 2
    assert any(r.title.startswith("Edited ") for r in again.rules)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "checksummed-garbage",
                                    "other-engine", "swap"])
def test_a_corrupt_entry_is_rebuilt(rules: Path, store: RuleCache, damage: str) -> None:
    fresh = compile_files([rules], WINDOWS, store)
    target, other = entries(store)[:2]
    data = target.read_bytes()
    if damage == "truncate":
        target.write_bytes(data[: len(data) // 2])
    elif damage == "garbage":
        target.write_bytes(b"\x00\xffnot an entry")
    elif damage == "checksummed-garbage":  # a valid checksum over a body we never wrote
        body = b'{"format": 1, "rules": [["s", 1]]}'
        target.write_bytes(cache_module.hashlib.sha256(body).hexdigest().encode() + b"\n"
                           + body)
    elif damage == "other-engine":
        body = data.partition(b"\n")[2].replace(cache_module.engine_version().encode(),
                                                b"0.0.0/1/other")
        target.write_bytes(cache_module.hashlib.sha256(body).hexdigest().encode() + b"\n"
                           + body)
    else:  # another file's entry under this key: intact, but not for this key
        target.write_bytes(other.read_bytes())
    again = compile_files([rules], WINDOWS, store)
    assert len(again.compiled) == 1 and again.rules == fresh.rules
    assert target.read_bytes() == data  # rebuilt in place


def test_a_pipeline_or_engine_change_invalidates(rules: Path, store: RuleCache,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    compile_files([rules], WINDOWS, store)
    other = windows_pipeline({"admins": ["root"]})  # another placeholder: another pipeline
    assert len(compile_files([rules], other, store).compiled) == 3
    assert len(compile_files([rules], WINDOWS, store).cached) == 3  # both kept
    monkeypatch.setattr(watchkeeper, "__version__", "99.0.0")
    cache_module.engine_version.cache_clear()
    try:
        assert len(compile_files([rules], WINDOWS, store).compiled) == 3
    finally:
        monkeypatch.undo()
        cache_module.engine_version.cache_clear()


def test_entries_are_private_and_the_folder_follows_the_environment(
        rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WATCHKEEPER_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"
    compile_files([rules])  # the default cache
    folder = tmp_path / "mine" / "sigma"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = list(folder.iterdir())
    assert len(files) == 3  # no temporary file left behind
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    monkeypatch.delenv("WATCHKEEPER_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "watchkeeper"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "watchkeeper"


def test_an_unwritable_cache_still_compiles(rules: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder should be")
    result = compile_files([rules], WINDOWS, RuleCache(blocked))
    assert len(result.rules) == 3 and len(result.compiled) == 3


def test_errors_and_correlations_are_cached_too(tmp_path: Path, store: RuleCache) -> None:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "broken.yml").write_text("title: [unclosed\n")
    (folder / "linux.yml").write_text(
        "title: Linux rule\nid: 9b5a1f0e-1c1e-4b8e-9a43-0f7d1b1d7c01\nstatus: test\n"
        "logsource: {product: linux, category: process_creation}\n"
        "detection: {sel: {Image|endswith: /sh}, condition: sel}\nlevel: low\n")
    (folder / "pair.yml").write_text(
        "title: Base\nname: base_rule\nid: 0c5a1f0e-1c1e-4b8e-9a43-0f7d1b1d7c02\n"
        "logsource: {product: windows, category: process_creation}\n"
        "detection: {sel: {Image|endswith: '\\\\whoami.exe'}, condition: sel}\n---\n"
        "title: Many\nid: 1c5a1f0e-1c1e-4b8e-9a43-0f7d1b1d7c03\n"
        "correlation: {type: event_count, rules: [base_rule], group-by: [Computer],\n"
        "  timespan: 1h, condition: {gte: 2}}\n")
    fresh = compile_files([folder], WINDOWS, store)
    cached = compile_files([folder], WINDOWS, store)
    assert len(cached.cached) == 3
    assert [str(e) for e in cached.errors] == [str(e) for e in fresh.errors]
    assert len(cached.errors) == 2 and len(cached.unsupported) == 1
    assert cached.correlated == (folder / "pair.yml",) and len(cached.rules) == 1


@pytest.mark.slow
def test_cached_rules_equal_a_fresh_compile_on_sigmahq_windows(tmp_path: Path) -> None:
    if not WINDOWS_RULES.exists():
        pytest.skip("SigmaHQ corpus not available")
    folders = sorted(p for p in WINDOWS_RULES.iterdir() if p.is_dir())
    subset = folders[: len(folders) // 2]  # a third to a half of the 2,407 files
    fresh = compile_rules(load_rules(subset).rules, WINDOWS)
    store = RuleCache(tmp_path / "cache")
    cold = compile_files(subset, WINDOWS, store)
    warm = compile_files(subset, WINDOWS, store)
    assert len(warm.cached) == len(cold.compiled) > 500 and not warm.compiled
    assert fresh.rules == cold.rules == warm.rules
    assert [str(e) for e in fresh.errors] == [str(e) for e in warm.errors]


def test_pack_pipelines_compile_as_the_pack_does(store: RuleCache) -> None:
    """The insider pack's Sigma rules: ``PACK_PIPELINES`` picks what ``pipeline_for`` picks."""
    pack = load_pack()
    sigma = {str(r.path): r.sigma for r in pack.rules if r.sigma is not None}
    found = compile_files([Path(p) for p in sigma], PACK_PIPELINES, store)
    assert len(found.rules) == len(sigma) > 5
    for rule in found.rules:
        assert rule.path is not None
        assert rule.branches == sigma[rule.path].branches


PLAIN_BASE = (
    "title: Whoami\nname: whoami_run\nid: 2c5a1f0e-1c1e-4b8e-9a43-0f7d1b1d7c04\n"
    "logsource: {product: windows, category: process_creation}\n"
    "detection: {sel: {Image|endswith: '\\\\whoami.exe'}, condition: sel}\nlevel: low\n")
PLAIN_CORRELATION = (
    "title: Many whoami\nid: 3c5a1f0e-1c1e-4b8e-9a43-0f7d1b1d7c05\nlevel: high\n"
    "correlation: {type: event_count, rules: [whoami_run], group-by: [Computer],\n"
    "  timespan: 1h, condition: {gte: 2}}\n")


def test_a_correlation_finds_a_cached_rule_of_another_file(tmp_path: Path) -> None:
    """A file a correlation refers to is parsed with it (its rule becomes a helper);
    the other files are served by the cache."""
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "base.yml").write_text(PLAIN_BASE)
    (folder / "other.yml").write_text(PLAIN_BASE.replace("whoami_run", "other_run")
                                      .replace("7c04", "7c06"))
    store = RuleCache(tmp_path / "cache")
    load_pack([folder], store)  # every file cached, none correlated yet
    (folder / "many.yml").write_text(PLAIN_CORRELATION)
    pack = load_pack([folder], store)
    assert [str(e) for e in pack.errors] == []
    assert sorted(r.kind for r in pack.rules) == ["correlation", "sigma"]
    assert [h.rule.rule_id for h in pack.helpers] == ["whoami_run"]
    assert pack.cache.to_dict() == {"files": 3, "cached": 1, "compiled": 2}
    again = load_pack([folder], store)
    assert again.rules == pack.rules and again.helpers == pack.helpers


@pytest.mark.slow
def test_a_cached_rule_set_equals_a_fresh_one_on_sigmahq_windows(tmp_path: Path) -> None:
    """``load_pack`` from the cache: the same rules, errors (with lines) and field
    warnings as parsing every file."""
    if not WINDOWS_RULES.exists():
        pytest.skip("SigmaHQ corpus not available")
    subset = sorted(p for p in WINDOWS_RULES.iterdir() if p.is_dir())[:6]
    store = RuleCache(tmp_path / "cache")
    cold, warm = load_pack(subset, store), load_pack(subset, store)
    assert warm.cache.compiled == 0 and warm.cache.cached == cold.cache.compiled > 100
    assert warm.rules == cold.rules
    assert rejections(warm.errors) == rejections(cold.errors) and warm.errors
    assert field_warnings(warm.rules) == field_warnings(cold.rules)
    parsed = rule_selections(warm.rules, store)  # parsed, then stored in the cache
    assert [c for c, _ in parsed] == [r.sigma for r in warm.rules]
    assert rule_selections(warm.rules, store) == parsed  # read back from the cache


def test_files_parsed_in_worker_processes_equal_parsed_here(
        rules: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (rules / "broken.yml").write_text("title: [unclosed\n")
    here = load_pack([rules], RuleCache(tmp_path / "here"))
    monkeypatch.setattr(rulefiles, "PARALLEL_FROM", 1)
    monkeypatch.setattr(rulefiles, "_idle_cores", lambda: 2)
    spread = load_pack([rules], RuleCache(tmp_path / "spread"))
    assert spread.cache.compiled == 4 and spread.rules == here.rules
    assert [str(e) for e in spread.errors] == [str(e) for e in here.errors]
    assert sorted(p.name for p in (tmp_path / "spread" / "sigma").glob("*.json")) == sorted(
        p.name for p in (tmp_path / "here" / "sigma").glob("*.json"))


def reads(store: RuleCache, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The keys ``store`` is asked for from now on."""
    asked: list[str] = []
    original = RuleCache.read_doc

    def counting(self: RuleCache, key: str) -> dict[str, object] | None:
        asked.append(key)
        return original(self, key)

    monkeypatch.setattr(RuleCache, "read_doc", counting)
    return asked


def test_a_warm_rule_set_is_read_from_its_index_alone(rules: Path, store: RuleCache,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    cold = load_pack([rules], store)
    asked = reads(store, monkeypatch)
    warm = load_pack([rules], store)
    files = sorted(rules.glob("*.yml"))
    assert asked == [rulefiles.index_key(files)]
    assert warm.rules == cold.rules and warm.cache.cached == 3 and warm.cache.compiled == 0


def test_an_edited_file_is_read_alone_and_the_index_rewritten(
        rules: Path, store: RuleCache, monkeypatch: pytest.MonkeyPatch) -> None:
    load_pack([rules], store)
    edited = rules / NAMES[1]
    edited.write_text(edited.read_text().replace("title: ", "title: Edited ", 1))
    asked = reads(store, monkeypatch)
    again = load_pack([rules], store)
    assert again.cache.compiled == 1 and again.cache.cached == 2
    assert any(r.meta.title.startswith("Edited ") for r in again.rules)
    assert len(asked) == 2  # the index, then the edited file's own entry (a miss)
    asked.clear()
    assert load_pack([rules], store).rules == again.rules and len(asked) == 1


@pytest.mark.parametrize("damage", ["truncate", "swap"])
def test_a_damaged_index_is_not_trusted(rules: Path, store: RuleCache, damage: str,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    cold = load_pack([rules], store)
    files = sorted(rules.glob("*.yml"))
    index = store.path(rulefiles.index_key(files))
    if damage == "truncate":
        index.write_bytes(index.read_bytes()[:-40])
    else:  # another rule set's index (intact, but not this set's) under this key
        load_pack(files[:1], store)
        index.write_bytes(store.path(rulefiles.index_key(files[:1])).read_bytes())
    warm = load_pack([rules], store)
    assert warm.rules == cold.rules and warm.cache.compiled == 0 and warm.cache.cached == 3
    asked = reads(store, monkeypatch)  # rewritten from the files' own entries
    assert load_pack([rules], store).rules == cold.rules and len(asked) == 1
