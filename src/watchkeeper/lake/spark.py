"""The PySpark engine: the same Ibis expressions over the same Parquet files, on Spark.

A local session (``local[*]``) serves tests and single machines; on a cluster, point
``spark.master`` at it through the usual Spark configuration. PySpark and a Java runtime
are optional (the ``spark`` extra).
"""

from __future__ import annotations

import tempfile
from typing import Any

import ibis
from ibis.backends import BaseBackend
from ibis.expr.types import Table

from watchkeeper.errors import WorkspaceError

_SESSION: Any = None


def session() -> Any:
    """One Spark session per process, in UTC, quiet, bound to loopback."""
    global _SESSION
    if _SESSION is None:
        try:
            from pyspark.sql import SparkSession
        except ImportError as exc:
            raise WorkspaceError("the pyspark engine needs the 'spark' extra "
                                 "(pip install 'watchkeeper[spark]') and Java") from exc
        _SESSION = (SparkSession.builder.master("local[*]").appName("watchkeeper")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.session.timeZone", "UTC")
                    .config("spark.driver.bindAddress", "127.0.0.1")
                    .config("spark.sql.shuffle.partitions", "4")
                    # the lake only registers temporary views; anything managed goes to a
                    # private folder, never the working directory
                    .config("spark.sql.warehouse.dir",
                            tempfile.mkdtemp(prefix="watchkeeper-spark-"))
                    .getOrCreate())
        _SESSION.sparkContext.setLogLevel("ERROR")
    return _SESSION


def backend() -> BaseBackend:
    return ibis.pyspark.connect(session())


def read_parquet(con: BaseBackend, files: list[str], base: str, view: str,
                 by_day: bool) -> Table:
    """Files of one lake table as an Ibis table; `day` comes from the folder names."""
    reader = session().read.option("mergeSchema", "true")
    if by_day:
        reader = reader.option("basePath", base)
    reader.parquet(*files).createOrReplaceTempView(view)
    return con.table(view)
