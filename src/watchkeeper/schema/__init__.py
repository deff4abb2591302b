"""Normalized event and entity schemas (Arrow), shared by every layer."""

from watchkeeper.schema.entities import (
    DATA_ASSETS,
    DEVICES,
    ENTITIES,
    PEOPLE,
    PEOPLE_OBSERVATIONS,
    PSYCHOMETRIC,
    EntitySpec,
)
from watchkeeper.schema.events import (
    CLASSES,
    CORE_COLUMNS,
    ClassSpec,
    Column,
    EventClass,
    class_spec,
    empty_table,
)

__all__ = [
    "CLASSES",
    "CORE_COLUMNS",
    "DATA_ASSETS",
    "DEVICES",
    "ENTITIES",
    "PEOPLE",
    "PEOPLE_OBSERVATIONS",
    "PSYCHOMETRIC",
    "ClassSpec",
    "Column",
    "EntitySpec",
    "EventClass",
    "class_spec",
    "empty_table",
]
