"""The second example plant end to end, as a new user runs it: validate -> simulate -> KPIs ->
decide -> ``andon demo --headless``, each step on what the step before left in the store.

The bottler differs from the acme example wherever the schema lets it: another industry,
three sites (US daylight saving, a half-hour zone, the southern hemisphere), a batch syrup
room beside packaging lines, utilities, machines reporting in degF, psi, in/s and lbf·in,
holidays, bottles -> cases -> pallets.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from typer.testing import CliRunner

from andon.apps.maintenance.pooled import normalise_samples
from andon.cli import app
from andon.model import Model, load_model
from andon.records import RecordKind
from andon.runtime.demo import demo_users
from andon.sim import PipelineSink, SimResult, simulate
from andon.store import Store, open_store
from andon.time import to_iso

ROOT = Path(__file__).resolve().parents[2]
BEVERAGE = ROOT / "examples" / "beverage"
DAYS = 4.0
PSI_TAG = "prairie/joliet/utilities/air/compressors/comp1/discharge_pressure"
FILLER = "prairie/joliet/packaging/pet1/filling/filler1"
PACKER = "prairie/joliet/packaging/pet1/casing/packer1"
PALLETIZER = "prairie/joliet/packaging/pet1/palletizing/palletizer1"


@pytest.fixture(scope="module")
def bottler() -> Model:
    return load_model(BEVERAGE)


@pytest.fixture(scope="module")
def simulated(
    bottler: Model, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, SimResult, dict[str, int]]:
    """Four days of the bottler through the contracts into a DuckDB file."""
    file = tmp_path_factory.mktemp("bottler") / "andon.duckdb"
    store = open_store(f"duckdb://{file.as_posix()}")
    sink = PipelineSink.into(store, model=bottler)
    result = simulate(bottler, days=DAYS, seed=11, sink=sink)
    quarantined = dict(sink.quarantined)
    store.close()
    return file, result, quarantined


@pytest.fixture
def store(simulated: tuple[Path, SimResult, dict[str, int]]) -> Store:
    return open_store(f"duckdb://{simulated[0].as_posix()}")


def test_the_bottler_validates_first_time() -> None:
    result = CliRunner().invoke(app, ["model", "validate", str(BEVERAGE)])
    assert result.exit_code == 0, result.output
    assert "3 sites" in result.output


def test_the_bottler_is_unlike_acme(bottler: Model) -> None:
    zones = {site.timezone for site in bottler.sites.values()}
    assert zones == {"America/Chicago", "Asia/Kolkata", "Australia/Sydney"}
    assert all(site.holidays for site in bottler.sites.values())
    machine_units = {t.source_unit for t in bottler.tags.values()} - {
        t.definition.unit for t in bottler.tags.values()
    }
    assert {"degF", "psi", "in/s", "lbf·in"} <= machine_units
    roles = {info.role.value for info in bottler.equipment.values()}
    assert roles == {"production", "inspection", "utility"}
    counting = {c.counting_unit for line in bottler.lines.values() for c in line.cells}
    assert {"bottle", "case", "pallet", "can", "tray"} <= counting
    leads = [p.lead_time_days for p in bottler.parts.values()]
    assert min(leads) >= 28
    assert max(leads) <= 84
    assert any(
        line.kind.value == "process_cell" and line.id == "room1" for line in bottler.lines.values()
    )
    modes = [m for c in bottler.plant.equipment_classes for m in c.failure_modes]
    assert any(m.signals for m in modes)
    assert any(not m.signals for m in modes)


def test_nothing_simulated_is_quarantined_and_the_store_holds_class_units(
    bottler: Model, simulated: tuple[Path, SimResult, dict[str, int]], store: Store
) -> None:
    _, result, quarantined = simulated
    assert quarantined == {}
    assert store.count_rows(RecordKind.SAMPLE) == result.records["sample"]
    info = bottler.tags[PSI_TAG]
    assert (info.source_unit, info.definition.unit) == ("psi", "bar")
    values = store.samples(tags=[PSI_TAG])["value"].drop_null().to_numpy()
    assert values.size > 0
    # bar, inside the 0-45 bar range; the machine reported psi (up to 14.5 times more)
    assert values.min() >= 0.0
    assert values.max() <= 45.0
    assert np.median(values) > 1.0


def test_the_maintenance_app_reads_class_units_once(bottler: Model, store: Store) -> None:
    stored = pl.from_arrow(store.samples(tags=[PSI_TAG]))
    assert isinstance(stored, pl.DataFrame)
    shares = normalise_samples(stored, bottler)["value"].drop_nulls().to_numpy()
    bar = stored["value"].drop_nulls().to_numpy()
    np.testing.assert_allclose(shares, bar / 45.0)  # a share of 0-45 bar, not of 0-45 psi


def test_counts_are_in_each_cell_s_counting_unit(store: Store) -> None:
    counts = store.records(RecordKind.COUNT, path_prefix="prairie/joliet/packaging/pet1")
    good = {
        path: pc.sum(counts.filter(pc.equal(counts["path"], path))["good"]).as_py() or 0
        for path in (FILLER, PACKER, PALLETIZER)
    }
    assert good[FILLER] > 0
    # 24 bottles to a case (less the rejects of the inspector between), 60 cases to a pallet
    assert good[FILLER] / 24 == pytest.approx(good[PACKER], rel=0.1)
    assert good[PACKER] / 60 == pytest.approx(good[PALLETIZER], abs=2)


def test_kpis_of_every_site(simulated: tuple[Path, SimResult, dict[str, int]]) -> None:
    file, _, _ = simulated
    result = CliRunner().invoke(
        app,
        [
            "kpi",
            str(BEVERAGE),
            "--store",
            str(file),
            "--grain",
            "site",
            "--period",
            "custom",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    sites = {row["path"] for row in rows}
    assert sites == {"prairie/joliet", "prairie/pune", "prairie/sydney"}
    for row in rows:
        assert row["pq"] > 0
        oee = row.get("oee")
        assert oee is None or 0.0 < oee <= 1.0, row
        effectiveness = row.get("effectiveness")
        assert effectiveness is None or effectiveness <= 1.0 + 1e-9, row


def test_the_maintenance_app_decides_on_the_bottler(
    simulated: tuple[Path, SimResult, dict[str, int]],
) -> None:
    file, result, _ = simulated
    now = to_iso(result.end_us)
    decided = CliRunner().invoke(
        app,
        ["decide", "maintenance", str(BEVERAGE), "--store", str(file), "--now", now, "--json"],
    )
    assert decided.exit_code == 0, decided.output
    proposals = json.loads(decided.stdout)
    assert proposals
    subjects = {p["subject"] for p in proposals}
    assert all(s.startswith("prairie/") for s in subjects)
    assert {p["site"] for p in proposals} <= {"prairie/joliet", "prairie/pune", "prairie/sydney"}


def test_the_demo_runs_the_bottler_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no examples/ here: the shipped one is found
    assert not (tmp_path / "examples").exists()
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--headless",
            "--json",
            "--model",
            "examples/beverage",
            "--days",
            "1",
            "--period",
            "0.25",
            "--workdir",
            "demo",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary["oee"]) == {"prairie/joliet", "prairie/pune", "prairie/sydney"}
    assert summary["quarantined"] == {}
    assert (tmp_path / "demo" / "andon.duckdb").exists()


def test_the_demo_s_operators_are_the_model_s_sites(bottler: Model) -> None:
    users = demo_users(bottler)
    operators = {name: sites for name, role, sites in users if role == "operator"}
    assert operators == {
        "joliet": ("prairie/joliet",),
        "pune": ("prairie/pune",),
        "sydney": ("prairie/sydney",),
    }
    assert "lyon" not in {name for name, _, _ in users}


def test_pune_stops_for_holi(store: Store) -> None:
    # 4 March 2026 is a holiday in Pune (Asia/Kolkata, UTC+05:30): no filler runs that day.
    kolkata = dt.timezone(dt.timedelta(hours=5, minutes=30))
    # The night shift of the 3rd runs until 06:30 on the 4th, and counts are reported
    # hourly: from 07:30 to the end of the day nothing may be counted.
    lo = int(dt.datetime(2026, 3, 4, 7, 30, tzinfo=kolkata).timestamp() * 1e6)
    hi = int(dt.datetime(2026, 3, 5, tzinfo=kolkata).timestamp() * 1e6)
    counts = store.records(RecordKind.COUNT, path_prefix="prairie/pune/packaging")
    ts = counts["ts"].cast(pa.int64()).to_numpy()
    inside = (ts > lo) & (ts <= hi)
    assert counts.num_rows > 0
    assert not np.any(inside & (counts["good"].to_numpy() > 0))
