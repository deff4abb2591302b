"""Web categories: domain suffix rules and URL/content keyword rules, loaded from YAML."""

from __future__ import annotations

import functools
import operator
from dataclasses import dataclass
from pathlib import Path

import ibis
import pyarrow as pa
import yaml
from ibis.expr.types import BooleanValue, StringValue, Table

from watchkeeper.errors import ConfigError, yaml_location


@dataclass(frozen=True)
class Category:
    """One web category."""

    name: str
    domains: tuple[str, ...]
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class Categories:
    """All categories, in file order."""

    items: tuple[Category, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.items)

    def classify_domain(self, domain: str | None) -> str | None:
        """The category of the longest domain suffix rule that matches, if any."""
        if not domain:
            return None
        domain = domain.lower().rstrip(".")
        best: tuple[int, str] | None = None
        for cat in self.items:
            for suffix in cat.domains:
                hit = domain == suffix or domain.endswith("." + suffix)
                if hit and (best is None or len(suffix) > best[0]):
                    best = (len(suffix), cat.name)
        return best[1] if best else None

    def domain_table(self, domains: list[str]) -> Table:
        """A small (domain, category) table for the domains that match some category."""
        pairs = [(d, self.classify_domain(d)) for d in domains]
        kept = [(d, c) for d, c in pairs if c is not None]
        return ibis.memtable(pa.table({
            "wk_domain": pa.array([d for d, _ in kept], pa.string()),
            "wk_category": pa.array([c for _, c in kept], pa.string()),
        }))

    def keyword_match(self, name: str, texts: list[StringValue]) -> BooleanValue:
        """Whether one of `texts` (URL, content) holds one of the category's keywords,
        case-insensitively (ILIKE: far cheaper than lower-casing or a regex; a ``%`` or
        ``_`` in a keyword is a LIKE wildcard)."""
        cat = next(c for c in self.items if c.name == name)
        hits = [t.ilike(f"%{w}%").fill_null(False)
                for w in cat.keywords for t in texts]
        return functools.reduce(operator.or_, hits)


def load_categories(path: Path, extra: dict[str, tuple[str, ...]] | None = None
                    ) -> Categories:
    """Read a category file, with the `extra` domain suffixes added to its categories; a
    malformed file or an extra category it lacks raises `ConfigError` naming it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        where, problem = yaml_location(path, exc)
        raise ConfigError(f"{where}: web categories {problem}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read web categories: {exc.strerror or exc}") from None
    raw = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{path}: expected a 'categories:' mapping")
    items = []
    for name, spec in raw.items():
        if not isinstance(spec, dict) or not str(name).isidentifier():
            raise ConfigError(f"{path}: category {name!r}: expected domains/keywords")
        domains = tuple(str(d).lower() for d in spec.get("domains") or ())
        keywords = tuple(str(k).lower() for k in spec.get("keywords") or ())
        items.append(Category(str(name), domains, keywords))
    unknown = sorted(set(extra or {}) - {c.name for c in items})
    if unknown:
        raise ConfigError(f"ueba.category_domains: {unknown[0]!r} is not a category of "
                          f"{path} ({', '.join(c.name for c in items)})")
    return Categories(tuple(
        Category(c.name, c.domains + tuple(d.lower() for d in (extra or {}).get(c.name, ())),
                 c.keywords) for c in items))
