"""Battery passports for every module of a simulated month: counts, validity, wall and CPU.

Simulates ``examples/battery`` for ``--days`` (30) into an in-memory DuckDB store, then:

* ``build``: :func:`andon.passport.passports` for the whole period (one columnar pass);
* baselines in the same run: ``read_records`` (reading the unit, inspection and genealogy
  records alone, the floor of any build) and ``one_by_one`` (:func:`andon.passport.passport`
  per unit for ``--sample`` units, scaled to all units: what a naive per-serial build costs);
* ``battery_pass``: every passport at each Annex XIII level as Battery Pass v1.2.0 JSON,
  every aspect validated against its schema from ``../shared/data/batterypass`` (with
  jsonschema-rs when installed, else jsonschema; ``--sample`` passports are also validated
  with jsonschema, and both must agree); reported as absent when the folder is;
* ``aas``: every passport as an AAS V3.0 environment, verified with aas-core3.0 (constraint
  violations counted) and read back with basyx-python-sdk.

Target (issue 20): 100 % valid against the Battery Pass schemas and 0 aas-core3.0
constraint violations for every module of a simulated month.

Usage: python benchmarks/passport.py [--days 30] [--seed 1] [--sample 100]
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aas_core3.jsonization as aas_json
import aas_core3.verification as aas_verification
import jsonschema
from basyx.aas.adapter.json import read_aas_json_file

from andon.model import load_model
from andon.passport import AccessLevel, passport, passports, to_aas, to_battery_pass
from andon.records import RecordKind
from andon.sim import simulate
from andon.sim.sinks import MemorySink
from andon.store import DuckDBStore

try:
    import jsonschema_rs
except ImportError:  # the reference validator alone, slower
    jsonschema_rs = None

ROOT = Path(__file__).resolve().parents[1]
DATA = Path("../shared/data/batterypass")
END = 4_102_444_800_000_000


def timed(work: Callable[[], Any]) -> tuple[Any, dict[str, float]]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = work()
    return value, {
        "wall_s": round(time.perf_counter() - wall, 3),
        "cpu_s": round(time.process_time() - cpu, 3),
    }


def read_json(path: Path) -> Any:
    raw = path.read_bytes()
    utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    return json.loads(raw.decode("utf-16") if utf16 else raw.decode("utf-8-sig"))


def schemas() -> dict[str, Any] | None:
    folder = DATA if DATA.is_absolute() else (Path.cwd() / DATA)
    if not folder.is_dir():
        return None
    return {
        p.name.split("_")[0]: read_json(p) for p in sorted(folder.glob("*_1.2.0_*-schema.json"))
    }


def validators(found: dict[str, Any]) -> tuple[str, dict[str, Callable[[Any], list[str]]]]:
    """Fast validators (jsonschema-rs when installed) and their name."""
    if jsonschema_rs is None:
        return "jsonschema", reference_validators(found)
    out: dict[str, Callable[[Any], list[str]]] = {}
    for name, schema in found.items():
        check = jsonschema_rs.Draft4Validator(schema)
        out[name] = lambda doc, c=check: [str(e) for e in c.iter_errors(doc)]
    return "jsonschema-rs", out


def reference_validators(found: dict[str, Any]) -> dict[str, Callable[[Any], list[str]]]:
    out: dict[str, Callable[[Any], list[str]]] = {}
    for name, schema in found.items():
        check = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
        out[name] = lambda doc, c=check: [e.message for e in c.iter_errors(doc)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sample", type=int, default=100)
    args = parser.parse_args()

    report: dict[str, Any] = {
        "benchmark": "passport",
        "days": args.days,
        "seed": args.seed,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    model = load_model(ROOT / "examples" / "battery")
    sink = MemorySink()
    _, report["simulate"] = timed(
        lambda: simulate(model, days=args.days, seed=args.seed, sink=sink, sample_rate_s=3600)
    )
    store = DuckDBStore(None)
    kinds = (RecordKind.UNIT, RecordKind.INSPECTION, RecordKind.GENEALOGY)
    for kind in (*kinds, RecordKind.ENERGY, RecordKind.TARIFF):
        store.write(kind, sink.table(kind))

    def read() -> int:
        return sum(store.records(kind, start=0, end=END).num_rows for kind in kinds)

    rows, report["read_records"] = timed(read)
    report["read_records"]["rows"] = rows
    built, report["build"] = timed(lambda: passports(store, model, start=0, end=END))
    units = len(built)
    report["modules"] = units
    report["modules_tested"] = len(sink.table(RecordKind.INSPECTION).column("serial").unique())
    report["modules_failed_test"] = sum(1 for p in built if not p.passed)
    step = max(units // max(args.sample, 1), 1)
    sample = built[::step][: args.sample]
    _, one = timed(lambda: [passport(store, model, p.serial) for p in sample])
    report["one_by_one"] = {
        "units": len(sample),
        **one,
        "scaled_to_all_wall_s": round(one["wall_s"] * units / max(len(sample), 1), 1),
        "scaled_to_all_cpu_s": round(one["cpu_s"] * units / max(len(sample), 1), 1),
    }
    report["kwh_in_passports"] = round(sum(p.carbon.kwh for p in built), 1)
    report["kg_co2e_manufacturing_in_passports"] = round(sum(p.carbon.kg_co2e for p in built), 2)
    report["kg_co2e_manufacturing_per_module"] = round(
        report["kg_co2e_manufacturing_in_passports"] / max(units, 1), 4
    )

    found = schemas()
    if found is None:
        report["battery_pass"] = {"skipped": f"no Battery Pass data model at {DATA}"}
    else:
        name, fast = validators(found)
        reference = reference_validators(found)

        def check() -> dict[str, Any]:
            per_level: dict[str, Any] = {}
            disagreements = 0
            for level in AccessLevel:
                invalid = 0
                aspects = 0
                for index, p in enumerate(built):
                    document = to_battery_pass(p, level)
                    bad = False
                    for aspect, body in document["aspects"].items():
                        aspects += 1
                        errors = fast[aspect](body)
                        bad = bad or bool(errors)
                        if index % step == 0 and bool(reference[aspect](body)) != bool(errors):
                            disagreements += 1
                    invalid += bad
                per_level[level.value] = {
                    "passports": units,
                    "aspects_checked": aspects,
                    "invalid_passports": invalid,
                    "valid_pct": round(100.0 * (units - invalid) / max(units, 1), 3),
                }
            return {
                "validator": name,
                "levels": per_level,
                "validator_disagreements": disagreements,
            }

        result, cost = timed(check)
        report["battery_pass"] = {**result, **cost}

    def shells() -> dict[str, Any]:
        violations = 0
        with_violations = 0
        read_back = 0
        for p in built:
            environment = to_aas(p)
            parsed = aas_json.environment_from_jsonable(environment)
            count = sum(1 for _ in aas_verification.verify(parsed))
            violations += count
            with_violations += count > 0
        for p in sample:
            objects = read_aas_json_file(io.StringIO(json.dumps(to_aas(p))), failsafe=False)
            read_back += len(objects) == 3
        return {
            "shells": units,
            "aas_core_violations": violations,
            "shells_with_violations": with_violations,
            "basyx_read_back": f"{read_back}/{len(sample)}",
        }

    result, cost = timed(shells)
    report["aas"] = {**result, **cost}
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
