"""``andon sim run``: into a store, with clear one-line errors for user mistakes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from andon.cli import main
from andon.store import open_store

ROOT = Path(__file__).resolve().parent.parent.parent


def test_sim_run_into_a_duckdb_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "sim.duckdb"
    tiny_file = tmp_path / "model" / "tiny.yaml"
    tiny_file.parent.mkdir()
    text = (Path(__file__).parent / "tiny.yaml").read_text(encoding="utf-8")
    tiny_file.write_text(text.replace("MTBF_WEAR", "40").replace("MTBF_SHOCK", "60"))
    with pytest.raises(SystemExit) as exit_info:
        main(
            [
                "sim",
                "run",
                str(tiny_file),
                "--days",
                "0.5",
                "--seed",
                "3",
                "--store",
                f"duckdb://{db}",
                "--policy",
                "oracle",
            ]
        )
    assert exit_info.value.code in (0, None)
    out = capsys.readouterr().out
    assert "policy oracle" in out
    store = open_store(f"duckdb://{db}")
    try:
        assert store.count_rows("sample") > 0  # type: ignore[arg-type]
        assert store.count_rows("state") > 0  # type: ignore[arg-type]
        assert store.read_table("truth_health").num_rows > 0
    finally:
        store.close()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "-1"], "must be positive"),
        (["--to", "kafka://x:1"], "unknown target"),
        (["--policy", "magic"], "unknown policy"),
    ],
)
def test_sim_run_user_mistakes_exit_2_with_one_line(args: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "andon", "sim", "run", str(ROOT / "examples" / "discrete"), *args],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_sim_run_unreachable_broker_is_one_clear_error(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "andon",
            "sim",
            "run",
            str(ROOT / "examples" / "discrete"),
            "--days",
            "0.1",
            "--to",
            "mqtt://127.0.0.1:9",
        ],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert "cannot reach the MQTT broker at 127.0.0.1:9" in done.stderr
    assert "Traceback" not in done.stderr
