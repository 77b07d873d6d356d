"""``andon decide``: run a decision app now and show its plan.

``andon decide maintenance MODEL`` assesses every asset, solves the maintenance plan and
prints it as a table; the proposals are kept in the store as decision-shaped rows
(``aux_proposals``: id, app, subject, kind, action, options, expected value and its band,
confidence, evidence, model version, explanation, factors, created and expiry times,
status), ready for the decision workflow to take up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.table import Table

from andon.apps.maintenance import MaintenanceApp, MaintenanceSettings
from andon.cli._output import err_console, out_console
from andon.errors import AndonError, ModelError
from andon.model import Model, load_model
from andon.proposals import Proposal
from andon.records import to_micros
from andon.store import Store, open_store

app = typer.Typer(help="Run a decision app and show what it proposes.", no_args_is_help=True)

PROPOSAL_TABLE = "proposals"


def _parse_now(text: str | None) -> int:
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


def proposal_rows(proposals: list[Proposal]) -> pa.Table:
    """Return proposals as decision-shaped rows (status ``proposed``)."""

    def ident(p: Proposal) -> str:
        key = f"{p.app}|{p.subject}|{p.action}|{p.created_at}"
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    return pa.table(
        {
            "id": [ident(p) for p in proposals],
            "app": [p.app for p in proposals],
            "subject": [p.subject for p in proposals],
            "kind": [p.kind for p in proposals],
            "action": [p.action for p in proposals],
            "options": [
                json.dumps(
                    [
                        {
                            "action": o.action,
                            "expected_cost": o.expected_cost,
                            "kind": o.description,
                        }
                        for o in p.options
                    ]
                )
                for p in proposals
            ],
            "expected_value": pa.array([p.expected_value for p in proposals], pa.float64()),
            "value_low": pa.array([p.value_low for p in proposals], pa.float64()),
            "value_high": pa.array([p.value_high for p in proposals], pa.float64()),
            "confidence": pa.array([p.confidence for p in proposals], pa.float64()),
            "evidence": [json.dumps(dict(p.evidence), default=str) for p in proposals],
            "model_version": [p.model_version for p in proposals],
            "explanation": [p.explanation for p in proposals],
            "factors": [
                json.dumps(
                    [{"name": f.name, "text": f.text, "weight": f.weight} for f in p.factors]
                )
                for p in proposals
            ],
            "created_at": pa.array([p.created_at for p in proposals], pa.int64()),
            "expires_at": pa.array([p.expires_at for p in proposals], pa.int64()),
            "status": ["proposed"] * len(proposals),
        }
    )


def render_plan(proposals: list[Proposal], *, currency: str, limit: int) -> Table:
    """Return the plan as a Rich table, best expected saving first."""
    table = Table(title="maintenance plan", show_lines=False)
    table.add_column("asset")
    table.add_column("action")
    table.add_column("P(fail)", justify="right")
    table.add_column(f"saving {currency}", justify="right")
    table.add_column("conf.", justify="right")
    table.add_column("cannot judge")
    for p in proposals[:limit]:
        quality = [f.text for f in p.factors if f.name == "data_quality"]
        p_fail = p.evidence.get("p_fail")
        table.add_row(
            "/".join(p.subject.split("/")[-3:]),
            p.action,
            f"{p_fail:.0%}" if isinstance(p_fail, float) else "",
            f"{p.expected_value:,.0f} ({p.value_low or 0:,.0f}..{p.value_high or 0:,.0f})",
            f"{p.confidence:.2f}",
            quality[0] if quality else "",
        )
    return table


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
        bool, typer.Option("--keep/--no-keep", help="Store the proposals as decision rows.")
    ] = True,
    limit: Annotated[int, typer.Option(help="Rows of the plan to print.")] = 30,
    horizon_h: Annotated[float, typer.Option(help="Planning horizon, hours.")] = 168.0,
) -> None:
    """Assess every asset, solve the maintenance plan and print it as a table."""
    model = _load(model_path)
    at = _parse_now(now)
    store: Store
    try:
        store = open_store(store_url)
    except AndonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(code=2) from None
    decision_app = MaintenanceApp(settings=MaintenanceSettings(horizon_h=horizon_h))
    try:
        if fit:
            with out_console.status("fitting failure-risk models on history ..."):
                report = decision_app.fit(store, model, until=at)
            out_console.print(
                f"fitted {report.metrics.get('models_fitted', 0):.0f} model(s), "
                f"{report.metrics.get('models_insufficient', 0):.0f} without enough history "
                f"(version {report.version})"
            )
            for note in report.notes:
                out_console.print(f"  [yellow]{note}[/]", highlight=False)
        started = time.perf_counter()
        with out_console.status("assessing assets and solving the plan ..."):
            proposals = decision_app.propose(store, model, now=at)
        seconds = time.perf_counter() - started
        if keep and proposals:
            store.write_table(PROPOSAL_TABLE, proposal_rows(proposals))
    finally:
        store.close()
    out_console.print(render_plan(proposals, currency=model.currency, limit=limit))
    total = sum(p.expected_value for p in proposals)
    low = sum(1 for p in proposals if p.confidence < 0.4)
    out_console.print(
        f"{len(proposals)} proposal(s), expected saving {total:,.0f} {model.currency} over "
        f"{horizon_h / 24:.0f} days; {low} with low confidence (data-quality reasons shown); "
        f"planned in {seconds:.1f} s"
        + (f"; stored in {PROPOSAL_TABLE}" if keep and proposals else "")
    )
