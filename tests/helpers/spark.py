"""A shared local Spark session for engine-parity tests (needs Java and PySpark)."""

from __future__ import annotations

import importlib.util
import shutil

from helpers.runtime import require


def require_spark() -> None:
    require(shutil.which("java") is not None, "Java is not installed (Spark tests)")
    require(importlib.util.find_spec("pyspark") is not None,
            "PySpark is not installed (pip install '.[spark]')")
