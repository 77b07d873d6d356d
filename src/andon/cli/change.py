"""``andon change``: what an engineering change touches before it is released, and what
followed its release."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from andon.cli._output import err_console, fail, number, out_console, table
from andon.errors import AndonError

if TYPE_CHECKING:
    from andon.change import Impact

app = typer.Typer(
    help="Engineering change impact: the lines, equipment, tests and orders a change touches.",
    no_args_is_help=True,
)


def _mistake(text: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _check_paths(file: Path, model_path: Path, store_url: str | None) -> None:
    if not file.is_file():
        raise _mistake(f"no change request at {file}: give a YAML or JSON file")
    if not model_path.exists():
        raise _mistake(f"no plant model at {model_path}: give --model a YAML file or a folder")
    if store_url is not None and "://" not in store_url and not Path(store_url).exists():
        raise _mistake(f"no store at {store_url}: give --store a DuckDB file or a store URL")


@app.command("impact")
def impact_command(
    file: Annotated[Path, typer.Argument(help="The change request, a YAML or JSON file.")],
    model_path: Annotated[
        Path, typer.Option("--model", "-m", help="The plant model: a YAML file or a folder.")
    ],
    store_url: Annotated[
        str | None,
        typer.Option("--store", help="Store URL or DuckDB file, for open orders and units."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the impact as JSON.")] = False,
) -> None:
    """Show what a change request touches: products, routings, lines, equipment, setups, the
    spec-limit checks, spare parts, open orders, units and lots, and its cost and delay."""
    from andon.change import impact, load_request
    from andon.model import load_model

    _check_paths(file, model_path, store_url)
    store = None
    try:
        model = load_model(model_path)
        request = load_request(file, model)
        if store_url is not None:
            from andon.store import open_store

            store = open_store(store_url)
        found = impact(request, model, store)
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    finally:
        if store is not None:
            store.close()
    if as_json:
        out_console.print_json(json.dumps(found.to_json()))
        return
    _print(found)


@app.command("submit")
def submit_command(
    file: Annotated[Path, typer.Argument(help="The change request, a YAML or JSON file.")],
    model_path: Annotated[
        Path, typer.Option("--model", "-m", help="The plant model: a YAML file or a folder.")
    ],
    store_url: Annotated[str, typer.Option("--store", help="Store URL or DuckDB file.")],
) -> None:
    """Record the change as a decision per site it touches, for approval (``andon decisions``)."""
    from andon.change import change_proposals, impact, load_request
    from andon.decisions import DecisionService, ensure_schema
    from andon.model import load_model
    from andon.store import open_store
    from andon.time import from_datetime

    _check_paths(file, model_path, store_url)
    try:
        model = load_model(model_path)
        request = load_request(file, model)
        store = open_store(store_url)
        try:
            ensure_schema(store)
            found = impact(request, model, store)
            proposals = change_proposals(found, now=from_datetime(dt.datetime.now(dt.UTC)))
            if not proposals:
                raise _mistake(
                    f"{file}: the change touches no line or equipment: nothing to decide"
                )
            records = DecisionService(store=store).propose(proposals)
        finally:
            store.close()
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    for record in records:
        out_console.print(f"{record.id}  {record.subject}  {record.action.label}", highlight=False)


@app.command("outcome")
def outcome_command(
    decision_id: Annotated[str, typer.Argument(help="The change decision's id or a prefix.")],
    as_user: Annotated[
        str, typer.Option("--as", help="The user who records it (role and sites apply).")
    ],
    store_url: Annotated[
        str, typer.Option("--store", help="Store URL or DuckDB file.", envvar="ANDON_STORE")
    ] = "andon.duckdb",
    window_days: Annotated[
        float, typer.Option("--window-days", min=0.01, help="Days compared on each side.")
    ] = 7.0,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Measure and record a released change's outcome: yield on the lines and cycle time at
    the equipment it touched, the days before its release against the days after (a
    comparison, not proof that the change caused the difference)."""
    from andon.change.outcome import decision_outcome
    from andon.cli.decisions import _principal, _service, resolve_id
    from andon.decisions import Status
    from andon.time import from_datetime

    if "://" not in store_url and not Path(store_url).exists():
        raise _mistake(f"no store at {store_url}: give --store a DuckDB file or a store URL")
    now = from_datetime(dt.datetime.now(dt.UTC))
    with _service(store_url) as (service, users):
        who = _principal(users, as_user)
        full = resolve_id(service, decision_id, who=who)
        record = service.get(full, who=who)
        found = decision_outcome(service.repository.store, record, now=now, window_days=window_days)
        if found is None:
            raise _mistake(f"{full}: released under a day ago; measure it once a day has passed")
        if record.status is Status.APPROVED and not record.shadow:
            service.execute(full, who=who, now=now)  # people released it: nothing to dispatch
        done = service.record_outcome(full, outcome=found, who=who, now=now)
    detail = dict(done.outcome_detail)
    if as_json:
        out_console.print_json(
            json.dumps({"decision": done.id, "success": done.outcome_success, **detail})
        )
        return
    _print_outcome(done.id, done.outcome_success, detail)


def _share(value: object) -> str:
    return f"{value * 100:.1f}%" if isinstance(value, float) else "-"


def _seconds(value: object) -> str:
    return f"{value:.2f} s" if isinstance(value, float) else "-"


def _print_outcome(decision_id: str, success: bool | None, detail: dict[str, Any]) -> None:
    before, after = detail["before"], detail["after"]
    out = table("", "before", "after", title=f"outcome of {decision_id}")
    out.add_row(
        "yield (touched lines)",
        f"{_share(before['yield'])} of {number(before['inspected_units'])}",
        f"{_share(after['yield'])} of {number(after['inspected_units'])}",
    )
    out.add_row(
        "cycle time (touched equipment)",
        f"{_seconds(before['cycle_time_s'])} over {number(before['cycle_records'])}",
        f"{_seconds(after['cycle_time_s'])} over {number(after['cycle_records'])}",
    )
    out_console.print(out)
    verdict = (
        "not judged: a figure is missing on one side"
        if success is None
        else "not worse after the release"
        if success
        else "worse after the release"
    )
    out_console.print(
        f"{verdict} ({detail['span_days']:g} days each side); {detail['attribution']}",
        highlight=False,
        soft_wrap=True,
    )


def _print(found: Impact) -> None:
    request = found.request
    out_console.print(f"[bold]{request.kind.value}[/] {request.title}".rstrip())
    touched = table("what", "count", "which", title="touched")
    for label, items in (
        ("products", found.products),
        ("routings", found.routings),
        ("lines", found.lines),
        ("equipment", found.equipment),
        ("setups", found.setups),
        ("spare parts", found.spare_parts),
        ("open orders", found.open_orders),
        ("lots", found.lots),
    ):
        shown = ", ".join(items[:6]) + (f" and {len(items) - 6} more" if len(items) > 6 else "")
        touched.add_row(label, number(len(items)), shown or "-")
    touched.add_row("units", number(len(found.units)), "-")
    out_console.print(touched)
    if found.tests:
        tests = table("product", "parameter", "cell", "lines", title="checks of the change")
        for t in found.tests:
            tests.add_row(t.product, t.parameter, t.cell, ", ".join(t.lines))
        out_console.print(tests)
    out_console.print(
        f"cost {number(found.cost)} {found.currency}, schedule {number(found.schedule_h)} h"
    )
    for line in found.basis:
        out_console.print(f"  {line}", highlight=False)
