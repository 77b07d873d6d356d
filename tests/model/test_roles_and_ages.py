"""Equipment roles decide where KPIs count; installation and restoration dates give ages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from andon.model import EquipmentRole, load_model

PLANT = """\
enterprise: {id: brew}
equipment_classes:
  - id: filler
    ideal_cycle_time_s: 0.5
    failure_modes:
      - {id: valve, mtbf_h: 900, repair_h: 3}
      - {id: nozzle, mtbf_h: 700, repair_h: 1}
  - id: compressor
    failure_modes:
      - {id: bearing, mtbf_h: 5000, repair_h: 8}
  - id: checkweigher
    role: inspection
    ideal_cycle_time_s: 0.5
  - id: chiller
    role: utility
    ideal_cycle_time_s: 10
sites:
  - id: plant
    inbox_min_value: 250
    areas:
      - id: packaging
        lines:
          - id: line1
            cells:
              - id: filling
                equipment:
                  - {id: f1, class: filler, installed: 2019-06-15, restored: {valve: 2025-02-01}}
                  - {id: f2, class: filler, install_year: 2017}
                  - {id: f3, class: filler}
              - id: check
                equipment: [{id: cw1, class: checkweigher}]
      - id: utilities
        lines:
          - id: air
            cells:
              - id: compressors
                equipment:
                  - {id: c1, class: compressor}
                  - {id: ch1, class: chiller, ideal_cycle_time_s: 5}
"""


def test_roles_are_declared_or_follow_the_cycle_time(tmp_path: Path) -> None:
    (tmp_path / "plant.yaml").write_text(PLANT, encoding="utf-8")
    model = load_model(tmp_path)
    roles = {path.rsplit("/", 1)[1]: info.role for path, info in model.equipment.items()}
    assert roles == {
        "f1": EquipmentRole.PRODUCTION,
        "f2": EquipmentRole.PRODUCTION,
        "f3": EquipmentRole.PRODUCTION,
        "cw1": EquipmentRole.INSPECTION,
        "c1": EquipmentRole.UTILITY,
        "ch1": EquipmentRole.UTILITY,  # declared: a cycle time does not make it produce
    }
    producing = sorted(p.rsplit("/", 1)[1] for p, i in model.equipment.items() if i.produces)
    assert producing == ["f1", "f2", "f3"]


def test_ages_count_from_installation_or_the_last_restoration(tmp_path: Path) -> None:
    (tmp_path / "plant.yaml").write_text(PLANT, encoding="utf-8")
    model = load_model(tmp_path)
    f1, f2, f3 = (model.equipment[f"brew/plant/packaging/line1/filling/f{i}"] for i in (1, 2, 3))
    assert f1.installed_on == dt.date(2019, 6, 15)
    assert f1.restored_on("valve") == dt.date(2025, 2, 1)
    assert f1.restored_on("nozzle") == dt.date(2019, 6, 15)
    assert f2.installed_on == dt.date(2017, 1, 1)
    assert f2.restored_on("valve") == dt.date(2017, 1, 1)
    assert f3.installed_on is None
    assert f3.restored_on("valve") is None
    assert model.sites["brew/plant"].inbox_min_value == 250
