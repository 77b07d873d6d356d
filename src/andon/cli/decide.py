"""``andon decide``: one round of the decision loop for an app, now, and its plan.

``andon decide maintenance MODEL`` runs one round of the same :class:`andon.runtime.Runtime`
that ``andon serve`` runs on a schedule: it fits the app when asked (``--fit``), assesses
every asset, solves the maintenance plan and prints it as a table; with ``--keep`` the
proposals become decision records (status ``proposed``), superseding the open decision of
the same asset and failure mode, every change audited.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from andon.cli._output import Column, err_console, number, out_console, print_json, table
from andon.errors import AndonError, ModelError
from andon.model import Model, load_model

if TYPE_CHECKING:
    from andon.proposals import DecisionApp, Proposal
    from andon.runtime import AppStatus
    from andon.store import Store

app = typer.Typer(help="Run a decision app and show what it proposes.", no_args_is_help=True)


def _parse_now(text: str | None) -> int:
    from andon.records import to_micros

    if text is None or text == "now":
        return to_micros(dt.datetime.now(tz=dt.UTC))
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        err_console.print(
            f"[bold red]error:[/] --now {text!r} is not an ISO 8601 time "
            "(e.g. 2026-03-02T08:00:00+01:00)"
        )
        raise typer.Exit(code=2) from None
    if value.tzinfo is None:
        err_console.print(
            f"[bold red]error:[/] --now {text!r} has no time zone; add one, e.g. {text}+00:00"
        )
        raise typer.Exit(code=2)
    return to_micros(value)


def _load(model_path: Path) -> Model:
    try:
        return load_model(model_path)
    except ModelError as exc:
        err_console.print(f"[bold red]{model_path}[/]: {len(exc.problems)} problem(s)")
        for problem in exc.problems:
            err_console.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(code=2) from None


def _where(subject: str) -> tuple[str, str]:
    """Return the site and the rest of a subject path (``acme/lyon/a/l/c/e`` -> ``lyon``,
    ``a/l/c/e``), so that two plants' ``m1/sawing/saw1`` are told apart."""
    parts = subject.split("/")
    return (parts[1] if len(parts) > 1 else subject), "/".join(parts[2:])


def render_plan(proposals: list[Proposal], *, currency: str, limit: int) -> Table:
    """Return the plan as a Rich table, best expected saving first, readable at 80 columns."""
    plan = table(
        Column("site", wrap=False),
        "asset",
        "action",
        Column("P(fail)", numeric=True),
        Column(f"saving {currency}", numeric=True),
        Column("conf.", numeric=True),
        "cannot judge",
        title="maintenance plan",
    )
    for p in proposals[:limit]:
        quality = [f.text for f in p.factors if f.name == "data_quality"]
        p_fail = p.evidence.get("p_fail")
        site, asset = _where(p.subject)
        plan.add_row(
            escape(site),
            escape(asset),
            escape(p.title),
            f"{p_fail:.0%}" if isinstance(p_fail, float) else "",
            f"{number(p.expected_value)}\n"
            f"({number(p.value_low or 0)} to {number(p.value_high or 0)})",
            f"{p.confidence:.2f}",
            escape(quality[0]) if quality else "",
        )
    return plan


def plan_json(proposal: Proposal) -> dict[str, Any]:
    """Return one proposal of the plan as the plain values ``--json`` prints."""
    return {
        "app": proposal.app,
        "subject": proposal.subject,
        "site": proposal.site,
        "title": proposal.title,
        "action": proposal.action.to_json(),
        "p_fail": proposal.evidence.get("p_fail"),
        "expected_value": proposal.expected_value,
        "value_low": proposal.value_low,
        "value_high": proposal.value_high,
        "confidence": proposal.confidence,
        "factors": [f.text for f in proposal.factors],
        "model_version": proposal.model_version,
    }


def _one_round(
    name: str,
    decision_app: DecisionApp,
    *,
    model: Model,
    store_url: str,
    at: int,
    fit: bool,
    keep: bool,
    fitting: str,
    working: str,
    fitted_line: Callable[[AppStatus], str],
) -> tuple[list[Proposal], float]:
    """Run one round of ``decision_app`` through the runtime ``andon serve`` runs on a
    schedule: fit it when asked (``fitted_line`` says what was fitted), propose, record the
    proposals with ``keep``. Return them and the seconds proposing took; a store that does
    not open exits 2, a round that fails exits 1, each with one line."""
    from andon.runtime import Runtime, Schedule
    from andon.store import open_store

    store: Store
    try:
        store = open_store(store_url)
    except AndonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    try:
        runtime = Runtime(
            store=store,
            model=model,
            apps={name: decision_app},
            clock=lambda: at,
            schedule=Schedule(fit_every_s=0, propose_every_s=0, upkeep_every_s=0, kpi_every_s=0),
        )
        if fit:
            with out_console.status(fitting):
                fitted = runtime.fit(name, now=at)
            [status] = runtime.status()
            if fitted:
                out_console.print(fitted_line(status))
            else:
                out_console.print(f"[yellow]not fitted: {status.failure}[/]", highlight=False)
            for note in status.fit_notes:
                out_console.print(f"  [yellow]{note}[/]", highlight=False)
        started = time.perf_counter()
        with out_console.status(working):
            proposals = runtime.propose(now=at, record=keep)[name]
        seconds = time.perf_counter() - started
        [status] = runtime.status()
        if status.failure is not None and status.failed_stage == "propose":
            err_console.print(f"[bold red]error:[/] {status.failure}", highlight=False)
            raise typer.Exit(code=1)
    finally:
        store.close()
    return proposals, seconds


@app.command()
def maintenance(  # noqa: PLR0917  (typer maps parameters to options)
    model_path: Annotated[Path, typer.Argument(help="Plant model YAML file or folder.")],
    now: Annotated[
        str | None, typer.Option("--now", help="Decision time, ISO 8601 with zone (default: now).")
    ] = None,
    store_url: Annotated[
        str, typer.Option("--store", help="Store URL or DuckDB file.")
    ] = "andon.duckdb",
    fit: Annotated[
        bool, typer.Option("--fit/--no-fit", help="Fit the risk models on history first.")
    ] = False,
    keep: Annotated[
        bool, typer.Option("--keep/--no-keep", help="Record the proposals as decisions.")
    ] = True,
    limit: Annotated[int, typer.Option(help="Rows of the plan to print.")] = 30,
    horizon_h: Annotated[float, typer.Option(help="Planning horizon, hours.")] = 168.0,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the plan as JSON instead of a table.")
    ] = False,
) -> None:
    """Assess every asset, solve the maintenance plan and print it as a table."""
    from andon.apps.maintenance import MaintenanceApp, MaintenanceSettings

    model = _load(model_path)
    proposals, seconds = _one_round(
        "maintenance",
        MaintenanceApp(settings=MaintenanceSettings(horizon_h=horizon_h)),
        model=model,
        store_url=store_url,
        at=_parse_now(now),
        fit=fit,
        keep=keep,
        fitting="fitting failure-risk models on history ...",
        working="assessing assets and solving the plan ...",
        fitted_line=lambda status: (
            f"fitted {status.fit_metrics.get('models_fitted', 0):.0f} model(s) on "
            f"{status.fit_rows:,} rows (version {status.fit_version})"
        ),
    )
    if json_out:
        print_json(plan_json(p) for p in proposals[:limit])
        return
    out_console.print(render_plan(proposals, currency=model.currency, limit=limit))
    total = sum(p.expected_value for p in proposals)
    low = sum(1 for p in proposals if p.confidence < 0.4)
    out_console.print(
        f"{len(proposals)} proposal(s), expected saving {total:,.0f} {model.currency} over "
        f"{horizon_h / 24:.0f} days; {low} with low confidence (data-quality reasons shown); "
        f"planned in {seconds:.1f} s"
        + ("; recorded as decisions, status proposed" if keep and proposals else "")
    )


def render_quality(proposals: list[Proposal], *, currency: str, limit: int) -> Table:
    """Return the quality decisions as a Rich table, one row per station and kind."""
    rows = table(
        Column("site", wrap=False),
        "station",
        "action",
        Column("units", numeric=True),
        Column(f"saving {currency}", numeric=True),
        Column("conf.", numeric=True),
        "top factor",
        title="quality decisions",
    )
    for p in proposals[:limit]:
        site, station = _where(p.subject)
        rows.add_row(
            escape(site),
            escape(station),
            escape(p.action.kind),
            str(len(p.action.units)),
            f"{number(p.expected_value)}\n"
            f"({number(p.value_low or 0)} to {number(p.value_high or 0)})",
            f"{p.confidence:.2f}",
            escape(p.factors[0].text) if p.factors else "",
        )
    return rows


@app.command()
def quality(  # noqa: PLR0917  (typer maps parameters to options)
    model_path: Annotated[Path, typer.Argument(help="Plant model YAML file or folder.")],
    now: Annotated[
        str | None, typer.Option("--now", help="Decision time, ISO 8601 with zone (default: now).")
    ] = None,
    store_url: Annotated[
        str, typer.Option("--store", help="Store URL or DuckDB file.")
    ] = "andon.duckdb",
    fit: Annotated[
        bool, typer.Option("--fit/--no-fit", help="Fit the latent-defect risk model first.")
    ] = False,
    keep: Annotated[
        bool, typer.Option("--keep/--no-keep", help="Record the proposals as decisions.")
    ] = True,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 30,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the decisions as JSON instead of a table.")
    ] = False,
) -> None:
    """Score the latest units' latent-defect risk and print hold / extra-test decisions."""
    from andon.apps.quality import QualityApp

    model = _load(model_path)
    proposals, _ = _one_round(
        "quality",
        QualityApp(),
        model=model,
        store_url=store_url,
        at=_parse_now(now),
        fit=fit,
        keep=keep,
        fitting="fitting the latent-defect risk model ...",
        working="scoring units ...",
        fitted_line=lambda status: (
            f"fitted on {status.fit_rows:,} inspected units (version {status.fit_version})"
        ),
    )
    if json_out:
        print_json(plan_json(p) for p in proposals[:limit])
        return
    out_console.print(render_quality(proposals, currency=model.currency, limit=limit))
    total = sum(p.expected_value for p in proposals)
    out_console.print(
        f"{len(proposals)} proposal(s), expected saving {total:,.0f} {model.currency}"
        + ("; recorded as decisions, status proposed" if keep and proposals else "")
    )


def render_energy(proposals: list[Proposal], *, currency: str, limit: int) -> Table:
    """Return the energy waste decisions as a Rich table, one row per subject and kind."""
    rows = table(
        Column("site", wrap=False),
        "where",
        "action",
        Column("kWh/yr", numeric=True),
        Column("kg CO2e/yr", numeric=True),
        Column(f"{currency}/yr", numeric=True),
        Column("conf.", numeric=True),
        title="energy waste decisions",
    )
    for p in sorted(proposals, key=lambda p: -p.expected_value)[:limit]:
        site, where = _where(p.subject)
        rows.add_row(
            escape(site),
            escape(where),
            escape(p.title),
            number(float(p.evidence.get("kwh_per_year", 0.0))),
            number(float(p.evidence.get("kg_co2e_per_year", 0.0))),
            number(p.expected_value),
            f"{p.confidence:.2f}",
        )
    return rows


@app.command()
def energy(  # noqa: PLR0917  (typer maps parameters to options)
    model_path: Annotated[Path, typer.Argument(help="Plant model YAML file or folder.")],
    now: Annotated[
        str | None, typer.Option("--now", help="Decision time, ISO 8601 with zone (default: now).")
    ] = None,
    store_url: Annotated[
        str, typer.Option("--store", help="Store URL or DuckDB file.")
    ] = "andon.duckdb",
    fit: Annotated[
        bool, typer.Option("--fit/--no-fit", help="Fit the meters' baselines first.")
    ] = False,
    keep: Annotated[
        bool, typer.Option("--keep/--no-keep", help="Record the proposals as decisions.")
    ] = True,
    limit: Annotated[int, typer.Option(help="Rows to print.")] = 30,
    json_out: Annotated[
        bool, typer.Option("--json", help="Print the decisions as JSON instead of a table.")
    ] = False,
) -> None:
    """Account the recent energy and print the waste decisions worth a year's money."""
    from andon.apps.energy import EnergyApp

    model = _load(model_path)
    proposals, _ = _one_round(
        "energy",
        EnergyApp(),
        model=model,
        store_url=store_url,
        at=_parse_now(now),
        fit=fit,
        keep=keep,
        fitting="fitting the meters' baselines ...",
        working="accounting energy and finding waste ...",
        fitted_line=lambda status: (
            f"fitted {status.fit_metrics.get('meters', 0):.0f} baseline(s), "
            f"{status.fit_metrics.get('guideline_14_met', 0):.0f} meeting Guideline 14 "
            f"(version {status.fit_version})"
        ),
    )
    if json_out:
        print_json(
            {**plan_json(p), "evidence": dict(p.evidence)}
            for p in sorted(proposals, key=lambda p: -p.expected_value)[:limit]
        )
        return
    out_console.print(render_energy(proposals, currency=model.currency, limit=limit))
    total = sum(p.expected_value for p in proposals)
    out_console.print(
        f"{len(proposals)} proposal(s), expected saving {total:,.0f} {model.currency} a year"
        + ("; recorded as decisions, status proposed" if keep and proposals else "")
    )
