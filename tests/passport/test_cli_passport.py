"""``andon passport``: the JSON of a unit's passport; one-line refusals with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.cli import app
from andon.model import Model
from andon.passport import passports
from andon.sim.sinks import MemorySink
from andon.store import DuckDBStore
from conftest import END, ROOT, fill


@pytest.fixture(scope="module")
def store_file(tmp_path_factory: pytest.TempPathFactory, battery_sink: MemorySink) -> Path:
    path = tmp_path_factory.mktemp("passport") / "andon.duckdb"
    store = DuckDBStore(str(path))
    fill(store, battery_sink)
    store.close()
    return path


@pytest.fixture(scope="module")
def serial(store_file: Path, battery_model: Model) -> str:
    store = DuckDBStore(str(store_file))
    try:
        return passports(store, battery_model, start=0, end=END)[3].serial
    finally:
        store.close()


def _run(*args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["passport", *args])


def test_prints_the_battery_pass_and_the_shell(
    store_file: Path, serial: str, tmp_path: Path
) -> None:
    model = str(ROOT / "examples" / "battery")
    result = _run(serial, "--model", model, "--store", str(store_file), "--level", "authorities")
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["serial"] == serial
    assert body["accessLevel"] == "authorities"
    out = tmp_path / "shell.json"
    shell = _run(
        serial, "--model", model, "--store", str(store_file), "--format", "aas", "-o", str(out)
    )
    assert shell.exit_code == 0, shell.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written["assetAdministrationShells"][0]["assetInformation"]["globalAssetId"].endswith(
        serial
    )


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["SN-1", "--format", "xml"], "unknown --format 'xml'"),
        (["SN-1", "--level", "everyone"], "unknown --level 'everyone'"),
        (["SN-1", "--store", "/nonexistent/andon.duckdb"], "no store at"),
        (["SN-404"], "[passport.unknown]"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(store_file: Path, args: list[str], says: str) -> None:
    full = [*args] if "--store" in args else [*args, "--store", str(store_file)]
    result = _run(*full, "--model", str(ROOT / "examples" / "battery"))
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert says in lines[0]
