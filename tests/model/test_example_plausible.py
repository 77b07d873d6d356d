"""The bundled enterprise stays plausible to a plant engineer, not only valid.

The simulator and the decision apps run on it, so its numbers carry weight: these checks
state the engineering sense behind them (ratios and orderings, not exact values).
"""

from __future__ import annotations

from collections import defaultdict
from statistics import mean

from andon.model import Model

CRITICALITY_RANK = {"A": 0, "B": 1, "C": 2}


def test_the_enterprise_has_the_size_the_issue_asks(example_model: Model) -> None:
    counts = example_model.counts()
    assert counts["sites"] >= 2
    assert counts["lines"] >= 3
    assert counts["equipment"] >= 30
    assert len({info.equipment_class.id for info in example_model.equipment.values()}) >= 6
    assert counts["parts"] >= 10
    assert all(product.routings for product in example_model.plant.products)
    assert all(site.tariff is not None for site in example_model.plant.sites)


def test_sites_differ_as_described(example_model: Model) -> None:
    lyon, brno = (example_model.sites[f"acme/{s}"] for s in ("lyon", "brno"))
    assert lyon.timezone != brno.timezone
    assert len(brno.shifts) > len(lyon.shifts)  # Brno runs a night shift
    assert lyon.tariff is not None
    assert brno.tariff is not None
    assert mean(brno.tariff.gco2e_per_kwh) > 5 * mean(lyon.tariff.gco2e_per_kwh)
    ages = {
        site: mean(
            info.equipment.install_year or 0
            for info in example_model.equipment_under(f"acme/{site}")
        )
        for site in ("lyon", "brno")
    }
    assert ages["brno"] < ages["lyon"] - 5  # older machines
    stock = {
        site: sum(part.stock.get(site, 0) for part in example_model.plant.parts)
        for site in ("lyon", "brno")
    }
    assert stock["brno"] < stock["lyon"]  # fewer spare parts on the shelf


def test_failure_modes_are_sensible(example_model: Model) -> None:
    for cls in example_model.plant.equipment_classes:
        for mode in cls.failure_modes:
            assert mode.mtbf_h >= 100 * mode.repair_h, (cls.id, mode.id)  # availability > 99 %
            assert 300 <= mode.mtbf_h <= 50_000, (cls.id, mode.id)
            assert mode.parts, (cls.id, mode.id)
            part_cost = sum(example_model.part(p).unit_cost * q for p, q in mode.parts.items())
            assert mode.repair_cost > 0
            assert part_cost < 10 * max(mode.repair_cost, 100), (cls.id, mode.id)


def test_spare_parts_are_sensible(example_model: Model) -> None:
    used = {
        part for cls in example_model.plant.equipment_classes for m in cls.failure_modes
        for part in m.parts
    }  # fmt: skip
    for part in example_model.plant.parts:
        assert part.id in used, f"{part.id} repairs nothing"
        assert part.expedite_lead_time_days is not None
        assert part.expedite_lead_time_days < part.lead_time_days
        assert part.expedite_cost > 0
        assert 0.1 <= part.holding_cost_per_year / part.unit_cost <= 0.3  # capital and space


def test_criticality_follows_downtime_cost_within_a_line(example_model: Model) -> None:
    by_line: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for info in example_model.equipment.values():
        rank = CRITICALITY_RANK[info.equipment.criticality.value]
        by_line[info.line_path].append((rank, info.equipment.downtime_cost_per_hour))
    for line, items in by_line.items():
        for rank_a, cost_a in items:
            for rank_b, cost_b in items:
                if rank_a < rank_b:
                    assert cost_a >= cost_b, line


def test_every_routed_station_has_a_speed_and_one_bottleneck(example_model: Model) -> None:
    for product in example_model.plant.products:
        for routing in product.routings:
            line = f"acme/{routing.line}"
            station_time = {}
            for step in routing.steps:
                cell = f"{line}/{step.cell}"
                machines = list(example_model.equipment_under(cell))
                assert machines, cell
                times = [step.cycle_time_s or i.ideal_cycle_time_s for i in machines]
                assert all(t is not None and 20 <= t <= 600 for t in times), cell
                # parallel machines share the load of one station
                station_time[step.cell] = 1 / sum(1 / t for t in times if t)
            slowest = max(station_time.values())
            assert 30 <= slowest <= 300, (product.id, routing.line, station_time)


def test_power_draw_is_ordered_by_state(example_model: Model) -> None:
    for cls in example_model.plant.equipment_classes:
        power = cls.power_kw
        assert power.off <= power.idle < power.running, cls.id
        assert power.idle <= 0.6 * power.running, cls.id


def test_tariffs_peak_by_day(example_model: Model) -> None:
    for site in example_model.plant.sites:
        tariff = site.tariff
        assert tariff is not None
        night = mean(tariff.price_per_kwh[0:6])
        evening = mean(tariff.price_per_kwh[17:20])
        assert evening > 1.5 * night, site.id
