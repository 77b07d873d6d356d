"""The ``andon model`` commands and the command line's handling of mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from andon.cli import app, main
from andon.errors import StoreError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "discrete"

BROKEN = """\
enterprise: {id: acme}
equipment_classes:
  - id: press
    tags: [{name: temperature, unit: degC}]
parts:
  - {id: SEAL, unit_cost: -5, lead_time_days: 3}
sites:
  - id: plant
    timezone: Mars/Olympus
    areas:
      - id: area
        lines:
          - id: line1
            cells:
              - id: pressing
                equipment:
                  - {id: p1, class: presss}
"""

runner = CliRunner()


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    file = tmp_path / "broken.yaml"
    file.write_text(BROKEN)
    return file


def test_validate_accepts_the_example() -> None:
    result = runner.invoke(app, ["model", "validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.stdout
    assert "2 sites" in result.stdout


def test_validate_lists_every_problem_with_its_line(broken: Path) -> None:
    result = runner.invoke(app, ["model", "validate", str(broken)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert len(lines) == 3
    assert lines[0].startswith(f"{broken}:6 SEAL: parts.0.unit_cost")
    assert lines[0].endswith("[schema.greater_than_equal]")
    assert lines[1].startswith(f"{broken}:9 acme/plant: unknown time zone 'Mars/Olympus'")
    assert lines[2].startswith(f"{broken}:17 acme/plant/area/line1/pressing/p1:")
    assert "[model.unknown_class]" in lines[2]
    assert "3 problem(s)" in result.stderr


def test_validate_json_gives_the_same_problems(broken: Path) -> None:
    result = runner.invoke(app, ["model", "validate", "--json", str(broken)])
    assert result.exit_code == 2
    outcome = json.loads(result.stdout)
    assert outcome["valid"] is False
    codes = sorted(p["code"] for p in outcome["problems"])
    assert codes == ["model.unknown_class", "model.unknown_timezone", "schema.greater_than_equal"]
    assert all(p["file"] == str(broken) and p["line"] for p in outcome["problems"])


def test_validate_each_checks_every_model_on_its_own(broken: Path) -> None:
    result = runner.invoke(
        app, ["model", "validate", "--each", "--json", str(EXAMPLE), str(broken)]
    )
    assert result.exit_code == 2
    outcomes = json.loads(result.stdout)
    assert [o["valid"] for o in outcomes] == [True, False]
    assert outcomes[0]["counts"]["equipment"] >= 30


def test_files_given_together_form_one_model(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("enterprise: {id: acme}\n")
    (tmp_path / "b.yaml").write_text("sites: [{id: plant}]\n")
    together = runner.invoke(
        app, ["model", "validate", str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    )
    assert together.exit_code == 0, together.output
    assert "1 site, 0 areas" in together.stdout
    alone = runner.invoke(app, ["model", "validate", str(tmp_path / "b.yaml")])
    assert alone.exit_code == 2
    assert "model.missing_enterprise" in alone.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (None, "no such file [file.missing]"),
        ("enterprise:\n  id: acme\n  name: [unclosed\n", "[yaml.syntax]"),
        (b"\xff\xfeenterprise", "not UTF-8 text (byte 0)"),
        ("enterprise: {id: a}\nenterprise: {id: b}\n", "found duplicate key 'enterprise'"),
    ],
)
def test_a_missing_or_malformed_file_is_one_line(
    text: str | bytes | None, expected: str, tmp_path: Path
) -> None:
    file = tmp_path / "plant.yaml"
    if isinstance(text, bytes):
        file.write_bytes(text)
    elif text is not None:
        file.write_text(text)
    for command in ("validate", "show"):
        result = runner.invoke(app, ["model", command, str(file)])
        assert result.exit_code == 2
        assert result.stderr.strip().count("\n") == 0, result.stderr
        assert expected in result.stderr
        assert str(file) in result.stderr


def test_a_folder_without_yaml_names_the_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["model", "validate", str(tmp_path)])
    assert result.exit_code == 2
    assert f"no .yaml or .yml file in {tmp_path}" in result.stderr


def test_show_draws_the_tree_with_counts() -> None:
    result = runner.invoke(app, ["model", "show", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    for text in ("acme", "lyon", "brno", "press1", "hydraulic_press", "equipment classes"):
        assert text in result.stdout


def test_show_one_site() -> None:
    result = runner.invoke(app, ["model", "show", str(EXAMPLE), "--site", "brno"])
    assert result.exit_code == 0
    assert "brno" in result.stdout
    assert "Lyon" not in result.stdout
    missing = runner.invoke(app, ["model", "show", str(EXAMPLE), "--site", "paris"])
    assert missing.exit_code == 2
    assert "lyon, brno" in missing.stderr


def test_show_refuses_an_invalid_model(broken: Path) -> None:
    result = runner.invoke(app, ["model", "show", str(broken)])
    assert result.exit_code == 2
    assert "[model.unknown_class]" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    "argv", [["model", "validate"], ["model", "show", "--bogus", "x"], ["nonsense"]]
)
def test_usage_mistakes_exit_2(argv: list[str]) -> None:
    result = runner.invoke(app, argv)
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_main_turns_any_andon_error_into_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def refuse(*_: object) -> None:
        raise StoreError("the store at plant.duckdb is locked by another process")

    monkeypatch.setattr("andon.cli.model.load_model", refuse)
    with pytest.raises(SystemExit) as exited:
        main(["model", "show", str(EXAMPLE)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: the store at plant.duckdb is locked by another process [store]"


def test_main_exits_2_on_usage_mistakes(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["model", "validate", "--no-such-option"])
    assert exited.value.code == 2
    assert "No such option" in capsys.readouterr().err


def test_python_dash_m_andon_reports_without_traceback(broken: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "andon", "model", "validate", str(broken)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin", "COLUMNS": "200"},
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert "[model.unknown_class]" in completed.stderr
    good = subprocess.run(
        [sys.executable, "-m", "andon", "model", "validate", str(EXAMPLE)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )
    assert good.returncode == 0, good.stderr
