"""Engineering change impact on the example plants: for each kind of change, the exact
products, lines, equipment, setups, spec-limit checks, spare parts and estimate, worked out
by hand from examples/discrete (acme) and examples/smt (voltec)."""

from __future__ import annotations

from pathlib import Path

import pytest

from andon.change import ChangeKind, impact, parse_request
from andon.model import Model, load_model

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
LYON_A1, LYON_A2, BRNO_A1 = (
    "acme/lyon/assembly/a1",
    "acme/lyon/assembly/a2",
    "acme/brno/assembly/a1",
)
S1, S2 = "voltec/dresden/smt/s1", "voltec/dresden/smt/s2"


@pytest.fixture(scope="module")
def acme() -> Model:
    return load_model(EXAMPLES / "discrete")


@pytest.fixture(scope="module")
def voltec() -> Model:
    return load_model(EXAMPLES / "smt")


def test_seal_kit_substitution_reaches_every_press_and_its_products(acme: Model) -> None:
    request = parse_request(
        {
            "kind": "part_substitution",
            "part": "SEAL-KIT-P",
            "replacement": "SEAL-KIT-P2",
            "replacement_unit_cost": 150,
            "replacement_lead_time_days": 6,
            "effective": "2026-03-01",
        },
        acme,
    )
    assert request.kind is ChangeKind.PART_SUBSTITUTION
    found = impact(request, acme)
    # SEAL-KIT-P is used by both failure modes of the hydraulic press, and presses stand in
    # the pressfit cells of the three assembly lines (two at Brno).
    assert found.equipment == (
        f"{BRNO_A1}/pressfit/press1",
        f"{BRNO_A1}/pressfit/press2",
        f"{LYON_A1}/pressfit/press1",
        f"{LYON_A2}/pressfit/press1",
    )
    assert found.lines == (BRNO_A1, LYON_A1, LYON_A2)
    assert found.products == ("GB-200", "GB-400")
    # GB-400 is not routed over a2.
    assert f"GB-400@{LYON_A2}" not in found.routings
    assert len(found.routings) == 5
    # press force checked at pressfit, noise at the end-of-line bench (an inspection class).
    assert {(t.product, t.parameter, t.cell) for t in found.tests} == {
        ("GB-200", "press_force", "pressfit"),
        ("GB-200", "noise_level", "testing"),
        ("GB-400", "press_force", "pressfit"),
        ("GB-400", "noise_level", "testing"),
    }
    # pressfit setups: GB-200 at Brno (15 min), GB-400 at Lyon and Brno; GB-200 on Lyon none.
    assert found.setups == (
        f"GB-200@{BRNO_A1}/pressfit",
        f"GB-400@{BRNO_A1}/pressfit",
        f"GB-400@{LYON_A1}/pressfit",
    )
    assert found.spare_parts == ("SEAL-KIT-P", "SEAL-KIT-P2")
    # 7 kits on hand (5 Lyon + 2 Brno) at 140, plus 2 per press x 4 presses of the new at 150.
    assert found.cost == pytest.approx(7 * 140 + 8 * 150)
    assert found.schedule_h == pytest.approx(6 * 24)


def test_replacement_in_the_model_takes_its_cost_and_lead_time(acme: Model) -> None:
    found = impact(
        parse_request(
            {"kind": "part_substitution", "part": "BRG-6308", "replacement": "BRG-7014"}, acme
        ),
        acme,
    )
    # BRG-6308: curing oven fan bearing and compressor air-end bearing.
    assert found.lines == (
        "acme/brno/assembly/a1",
        "acme/brno/utilities/air",
        "acme/lyon/assembly/a1",
        "acme/lyon/assembly/a2",
        "acme/lyon/utilities/air",
    )
    assert found.schedule_h == pytest.approx(21 * 24)  # BRG-7014's lead time
    assert found.products == ("GB-200", "GB-400")


def test_firmware_of_one_oven_touches_one_line_and_its_checks(voltec: Model) -> None:
    found = impact(
        parse_request(
            {"kind": "firmware", "station": f"{S1}/reflow/oven1", "version": "4.2.0"}, voltec
        ),
        voltec,
    )
    assert found.lines == (S1,)
    assert found.equipment == (f"{S1}/reflow/oven1",)
    assert found.products == ("PCB-CTRL", "PCB-PWR")
    assert [(t.product, t.parameter, t.cell, t.lines) for t in found.tests] == [
        ("PCB-CTRL", "peak_temperature", "reflow", (S1,)),
        ("PCB-PWR", "peak_temperature", "reflow", (S1,)),
    ]
    assert found.spare_parts == ("BRG-6204", "HTR-RF2")
    assert found.cost == pytest.approx(900.0)  # 1 h at the oven's 900/h downtime cost
    assert found.schedule_h == pytest.approx(1.0)


def test_parameter_limit_reaches_the_cell_that_checks_it_on_each_line(voltec: Model) -> None:
    found = impact(
        parse_request(
            {
                "kind": "parameter_limit",
                "product": "PCB-CTRL",
                "parameter": "solder_volume",
                "lsl": 80,
            },
            voltec,
        ),
        voltec,
    )
    assert found.products == ("PCB-CTRL",)
    assert found.lines == (S1, S2)
    assert found.equipment == (f"{S1}/aoi/aoi1", f"{S2}/aoi/aoi1")
    assert [(t.parameter, t.cell, t.lines) for t in found.tests] == [
        ("solder_volume", "aoi", (S1, S2))
    ]


def test_routing_change_dropping_aoi_loses_its_check(voltec: Model) -> None:
    found = impact(
        parse_request(
            {
                "kind": "routing",
                "product": "PCB-CTRL",
                "line": "dresden/smt/s2",
                "steps": [
                    "print",
                    {"cell": "placement", "setup_min": 10},
                    "reflow",
                    "ict",
                ],
            },
            voltec,
        ),
        voltec,
    )
    assert found.lines == (S2,)
    assert found.routings == (f"PCB-CTRL@{S2}",)
    # aoi dropped (solder volume no longer checked), placement setup 25 -> 10 min.
    assert [(t.parameter, t.cell) for t in found.tests] == [
        ("placement_offset", "placement"),
        ("solder_volume", "aoi"),
    ]
    assert found.setups == (f"PCB-CTRL@{S2}/placement",)
    assert f"{S2}/aoi/aoi1" not in found.equipment
    assert len(found.equipment) == 4


def test_impact_json_names_every_part(voltec: Model) -> None:
    request = parse_request(
        {"kind": "firmware", "station": f"{S2}/ict/ict1", "version": "2", "requalification_h": 2},
        voltec,
    )
    data = impact(request, voltec).to_json()
    assert data["request"] == {
        "kind": "firmware",
        "station": f"{S2}/ict/ict1",
        "version": "2",
        "requalification_h": 2.0,
    }
    assert data["cost"] == pytest.approx(600.0)
    assert data["currency"] == "EUR"
    # ICT has no spec limit of its own: an inspection cell checks the units' other limits?
    # No: only the limits at the station's cell and at inspection cells, and ict has none.
    assert data["tests"] == []
