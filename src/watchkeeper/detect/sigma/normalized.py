"""The processing pipeline for Watchkeeper's normalized event tables.

A Sigma rule with ``logsource: {product: watchkeeper, category: <class>}`` reads the lake
table of that event class (``authentication``, ``peripheral``, ``file``, ``email``,
``web``, ``datastore``, ``process``); its field names are our column names
(``docs/schema.md``), used as they are. Rules for ``product: windows`` keep the Windows
pipeline and read the raw ``windows`` table.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from watchkeeper.detect.sigma.pipeline import WINDOWS, Pipeline, Route
from watchkeeper.errors import UnsupportedRuleError
from watchkeeper.schema.events import EventClass

if TYPE_CHECKING:
    from sigma.rule import SigmaLogSource

PRODUCT = "watchkeeper"
WINDOWS_TABLE = "windows"

#: Event classes a normalized rule may read (findings are our output, not rule input).
CATEGORIES: tuple[str, ...] = tuple(c.value for c in EventClass if c is not EventClass.FINDING)


def normalized_pipeline(placeholders: Mapping[str, Sequence[str]] | None = None) -> Pipeline:
    """``product: watchkeeper`` + ``category: <event class>`` → that class's columns."""
    categories = {name: (Route(f"{PRODUCT}/{name}", system_fields=False),)
                  for name in CATEGORIES}
    return Pipeline(PRODUCT, categories, {}, frozenset({PRODUCT}), placeholders or {})


NORMALIZED = normalized_pipeline()


#: :func:`pipeline_for` as a list for :func:`~.cache.compile_files` (the first pipeline
#: whose products name the rule's product, else the last).
PACK_PIPELINES: tuple[Pipeline, ...] = (NORMALIZED, WINDOWS)


def pipeline_for(logsource: SigmaLogSource) -> Pipeline:
    """The pipeline a rule compiles with: normalized for our product, else Windows."""
    return NORMALIZED if logsource.product == PRODUCT else WINDOWS


def target_table(logsource: SigmaLogSource) -> str:
    """The lake table a rule reads; raises UnsupportedRuleError for unknown log sources."""
    if logsource.product == PRODUCT:
        if logsource.category not in CATEGORIES:
            known = ", ".join(CATEGORIES)
            raise UnsupportedRuleError(f"category {logsource.category!r} is not an event "
                                       f"class (known: {known})")
        return str(logsource.category)
    if logsource.product == "windows":
        return WINDOWS_TABLE
    raise UnsupportedRuleError(f"log source product {logsource.product!r} has no lake table")


__all__ = ["CATEGORIES", "NORMALIZED", "PACK_PIPELINES", "PRODUCT", "WINDOWS_TABLE",
           "normalized_pipeline", "pipeline_for", "target_table"]
