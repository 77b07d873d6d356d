"""``andon sim``: run the plant simulator into the store, an MQTT broker or an OPC UA server."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from andon.cli._output import out_console
from andon.model import load_model
from andon.sim.examples import find_model

if TYPE_CHECKING:
    from andon.sim import MaintenancePolicy, SimResult

app = typer.Typer(help="Simulate a plant from its model.", no_args_is_help=True)


def policies() -> dict[str, type[MaintenancePolicy]]:
    """Return the baseline maintenance policies by the name ``--policy`` takes."""
    from andon.sim import ConditionThreshold, FixedInterval, Oracle, RunToFailure, TrueHealth

    return {
        "run_to_failure": RunToFailure,
        "fixed_interval": FixedInterval,
        "condition_threshold": ConditionThreshold,
        "oracle": Oracle,
        "true_health": TrueHealth,
    }


def _positive(value: float) -> float:
    if value <= 0:
        msg = f"must be positive, got {value:g}"
        raise typer.BadParameter(msg)
    return value


def _policy(value: str) -> str:
    known = policies()
    if value not in known:
        msg = f"unknown policy {value!r}; choose one of {', '.join(known)}"
        raise typer.BadParameter(msg)
    return value


def _target(value: str) -> str:
    if value == "store" or value.split("://", 1)[0] in {"mqtt", "sparkplug", "opc.tcp"}:
        return value
    msg = (
        f"unknown target {value!r}; use store, mqtt://HOST:PORT, sparkplug://HOST:PORT "
        "or opc.tcp://HOST:PORT"
    )
    raise typer.BadParameter(msg)


@app.command()
def run(  # noqa: PLR0917 - typer passes options by keyword, one per parameter
    model_path: Annotated[Path, typer.Argument(help="Plant model YAML file or folder.")],
    days: Annotated[float, typer.Option(help="Simulated days.", callback=_positive)] = 7.0,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed, the same records.")] = 0,
    to: Annotated[
        str,
        typer.Option(
            "--to",
            help="store, mqtt://HOST:PORT, sparkplug://HOST:PORT or opc.tcp://HOST:PORT.",
            callback=_target,
        ),
    ] = "store",
    store: Annotated[
        str, typer.Option(help="Store URL or DuckDB file for --to store.")
    ] = "andon.duckdb",
    speed: Annotated[
        float | None,
        typer.Option(help="Pace at this many times real time (default: as fast as it can)."),
    ] = None,
    policy: Annotated[
        str, typer.Option(help="Baseline maintenance policy.", callback=_policy)
    ] = "run_to_failure",
    scenario: Annotated[
        Path | None, typer.Option(help="Scenario YAML (default: *.scenario beside the model).")
    ] = None,
    epoch_h: Annotated[
        float, typer.Option(help="Decision epoch and output chunk, hours.", callback=_positive)
    ] = 24.0,
    rate_s: Annotated[
        float | None, typer.Option(help="Sample every tag at this interval, seconds.")
    ] = None,
    back_history: Annotated[
        bool, typer.Option(help="First write the work orders the plant implies before its start.")
    ] = True,
) -> None:
    """Simulate DAYS of the plant and send its records to the target, with a progress bar."""
    from andon.sim import simulate
    from andon.sim.outputs import open_sink

    if speed is not None:
        _positive(speed)
    if rate_s is not None:
        _positive(rate_s)
    model = load_model(find_model(model_path))
    sink = open_sink(to, store_url=store, model=model)
    columns = (
        TextColumn("[bold]simulating[/] {task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.1f}/{task.total:.1f} days"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=out_console, transient=False) as progress:
        task = progress.add_task(model.root, total=days)

        def advance(t_s: float, horizon_s: float) -> None:
            del horizon_s
            progress.update(task, completed=t_s / 86_400.0)

        result = simulate(
            model,
            days=days,
            seed=seed,
            policy=policies()[policy](),
            sink=sink,
            scenario=scenario,
            epoch_h=epoch_h,
            sample_rate_s=rate_s,
            progress=advance,
            speed=speed,
            back_history=back_history,
        )
    out_console.print(summary(result, currency=model.currency))


def summary(result: SimResult, *, currency: str) -> Table:
    """Return the run's outcome as a table for people."""
    m, q, e = result.maintenance, result.quality, result.energy
    table = Table(title=f"{result.days:g} days, seed {result.seed}, policy {result.policy}")
    table.add_column("what")
    table.add_column("value", justify="right")
    rows = [
        ("records", f"{result.total_records:,}"),
        ("good units", f"{result.good_units:,}"),
        ("orders completed", f"{result.orders_completed} ({result.orders_late} late)"),
        ("failures", f"{m.failures}"),
        ("preventive jobs", f"{m.preventive_count}"),
        ("unplanned downtime", f"{m.unplanned_downtime_h:.1f} h"),
        ("maintenance cost", f"{m.total:,.0f} {currency}"),
        ("defective units", f"{q.defective} ({q.detected} caught, {q.latent_shipped} latent)"),
        ("energy", f"{e.kwh:,.0f} kWh, {e.cost:,.0f} {currency}, {e.kg_co2e:,.0f} kg CO2e"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    return table
