"""The data-asset catalogue's VIP flag: both column forms, and lakes whose asset files
were written before the column existed."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from access.conftest import ASSETS
from helpers.accounts import new_workspace
from sources.source_helpers import read_all, write
from watchkeeper.sources import catalog
from watchkeeper.sources.catalog import AssetsSource
from watchkeeper.workspace import Workspace

LONG = ("dataset,region,sensitivity,owner_team,description,vip\n"
        "crm-eu,EU,High,crm,Profiles,yes\n"
        "crm-us,US,low,crm,Profiles,\n")


def test_both_forms_read_the_flag(tmp_path: Path) -> None:
    short = read_all(AssetsSource(), write(tmp_path, "a.csv", ASSETS))
    assert [(r["dataset"], r["description"], r["vip"]) for r in short.rows] == [
        ("eu-users", "EU customers", False), ("us-users", "US customers", False),
        ("eu-vip", "EU prominent customers", True)]
    long = read_all(AssetsSource(), write(tmp_path, "b.csv", LONG))
    assert [(r["dataset"], r["sensitivity"], r["vip"]) for r in long.rows] == [
        ("crm-eu", "high", True), ("crm-us", "low", False)]
    assert catalog.sniff_assets(tmp_path / "a.csv") and catalog.sniff_assets(tmp_path / "b.csv")


def test_a_bad_flag_is_quarantined_with_its_line(tmp_path: Path) -> None:
    result = read_all(AssetsSource(), write(tmp_path, "a.csv", ASSETS + "x,X,EU,low,maybe\n"))
    assert list(result.reasons()) == [5] and "vip" in result.reasons()[5]


def test_files_written_before_the_flag_read_it_as_null(tmp_path: Path) -> None:
    ws = new_workspace(tmp_path / "ws")
    (tmp_path / "old.csv").write_text("dataset,region,sensitivity\nold-eu,EU,high\n")
    ws.ingest([tmp_path / "old.csv"], "assets")
    (stored,) = (ws.lake.root / f.path for f in ws.lake.manifest().files(
        "entities/data_assets"))
    table = pq.read_table(stored)
    pq.write_table(table.drop_columns(["vip"]), stored)   # as an older release wrote it
    ws.lake.close()
    ws = Workspace.open(tmp_path / "ws", create=False)
    rows = ws.lake.table("data_assets").to_pyarrow().to_pylist()
    assert [(r["dataset"], r["vip"]) for r in rows] == [("old-eu", None)]
    assert ws.lake_check().ok
    (tmp_path / "new.csv").write_text(ASSETS)
    report = ws.ingest([tmp_path / "new.csv"], "assets")
    assert report.accepted == 3
    again = ws.ingest([tmp_path / "old.csv"], "assets")   # same row, now with vip false
    assert again.accepted == 1
    rows = {r["dataset"]: r["vip"] for r in ws.lake.table("data_assets").to_pyarrow()
            .to_pylist()}
    assert rows == {"old-eu": False, "eu-users": False, "us-users": False, "eu-vip": True}
    directory = ws.access_directory(ws.clock.now().date())
    assert directory.assets["eu-vip"].vip and not directory.assets["old-eu"].vip
