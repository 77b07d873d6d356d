"""``andon decisions``: the decision inbox from the command line, acting as a named user."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.markup import escape

from andon.cli._output import Column, err_console, number, out_console, print_json, table
from andon.decisions import (
    DecisionFilter,
    DecisionRecord,
    DecisionService,
    Principal,
    Status,
    UserService,
    ensure_schema,
)
from andon.decisions.errors import (
    DecisionNotFoundError,
    InvalidInputError,
    NotAuthenticatedError,
)
from andon.decisions.outcomes import AppRecord, summarise
from andon.errors import AndonError
from andon.store import open_store
from andon.store.decisions import DecisionTable
from andon.time import to_iso

app = typer.Typer(help="List, approve, reject and execute decisions.", no_args_is_help=True)

StoreUrl = Annotated[
    str, typer.Option("--store", help="Store URL or DuckDB file.", envvar="ANDON_STORE")
]
AsUser = Annotated[str, typer.Option("--as", help="The user who decides (role and sites apply).")]


@contextmanager
def _service(store_url: str) -> Iterator[tuple[DecisionService, UserService]]:
    try:
        store = open_store(store_url)
    except AndonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    try:
        ensure_schema(store)
        yield DecisionService(store=store), UserService(store=store)
    except AndonError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    finally:
        store.close()


def _principal(users: UserService, username: str) -> Principal:
    user = users.find(username)
    if user is None or not user.active:
        msg = f"no active user {username!r}; add one with `andon users add`"
        raise NotAuthenticatedError(msg)
    return Principal(username=user.username, role=user.role, sites=user.sites)


def _when(micros: int | None) -> str:
    if micros is None:
        return "-"
    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=micros)
    return moment.strftime("%Y-%m-%d %H:%M")


def _iso(micros: int | None) -> str | None:
    return None if micros is None else to_iso(micros)


def _show(record: DecisionRecord) -> None:
    out_console.print(
        f"{record.id} {record.status.value}: {record.title} on {record.subject} "
        f"(value {number(record.expected_value)}, confidence {record.confidence:.2f})",
        highlight=False,
        soft_wrap=True,
    )


def as_json(record: DecisionRecord) -> dict[str, Any]:
    """Return a decision as the plain values ``--json`` prints (times in ISO 8601 UTC)."""
    return {
        "id": record.id,
        "app": record.app,
        "subject": record.subject,
        "site": record.site,
        "title": record.title,
        "action": record.action.to_json(),
        "status": record.status.value,
        "shadow": record.shadow,
        "required_role": record.required_role.value,
        "escalation": record.escalation,
        "expected_value": record.expected_value,
        "value_low": record.value_low,
        "value_high": record.value_high,
        "confidence": record.confidence,
        "explanation": record.explanation,
        "factors": [f.text for f in record.factors],
        "options": [
            {"action": o.action, "expected_cost": o.expected_cost, "description": o.description}
            for o in record.options
        ],
        "model_version": record.model_version,
        "created_at": _iso(record.created_at),
        "expires_at": _iso(record.expires_at),
        "decided_by": record.decided_by,
        "decided_at": _iso(record.decided_at),
        "reason": record.reason,
        "outcome_at": _iso(record.outcome_at),
        "realised_value": record.realised_value,
        "outcome_success": record.outcome_success,
    }


MIN_ID_CHARS = 8
"""The shortest id prefix a listing prints; longer where more are needed to be unique."""
_HEX = frozenset("0123456789abcdef")


def _common(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def short_ids(table: DecisionTable, ids: list[str]) -> dict[str, str]:
    """Return each id's shortest unique prefix among every stored decision (at least
    :data:`MIN_ID_CHARS` characters), so that each printed id can be typed back."""
    shortest: dict[str, str] = {}
    for group in sorted({i[:MIN_ID_CHARS] for i in ids}):
        known = sorted(r["id"] for r in table.ids_with_prefix(group, limit=1_000_000))
        position = {value: n for n, value in enumerate(known)}
        for decision_id in (i for i in ids if i.startswith(group)):
            n = position.get(decision_id)
            shared = 0
            if n is not None and n > 0:
                shared = max(shared, _common(decision_id, known[n - 1]))
            if n is not None and n + 1 < len(known):
                shared = max(shared, _common(decision_id, known[n + 1]))
            shortest[decision_id] = decision_id[: max(MIN_ID_CHARS, shared + 1)]
    return shortest


def resolve_id(service: DecisionService, text: str, *, who: Principal | None) -> str:
    """Return the full id of the one decision ``text`` (a full id or a prefix) names.

    Only decisions the user may see count, so a prefix says nothing of other sites.
    Raises :class:`~andon.decisions.errors.DecisionNotFoundError` when none matches and
    :class:`~andon.decisions.errors.InvalidInputError` when several do.
    """
    prefix = text.strip().lower()
    if not prefix or not set(prefix) <= _HEX:
        msg = f"{text!r} is not a decision id (hexadecimal digits, as `andon decisions list` shows)"
        raise InvalidInputError(msg)
    rows = DecisionTable(store=service.repository.store).ids_with_prefix(prefix, limit=50)
    found = [r["id"] for r in rows if who is None or who.can_see(str(r["subject"]))]
    if not found:
        msg = f"no decision has an id starting with {prefix!r}"
        raise DecisionNotFoundError(msg)
    if prefix in found:
        return prefix
    if len(found) > 1:
        shown = ", ".join(f[: len(prefix) + 4] for f in found[:3])
        more = ", ..." if len(found) > 3 else ""
        msg = f"{prefix!r} starts {len(found)} decisions' ids ({shown}{more}); give more characters"
        raise InvalidInputError(msg)
    return str(found[0])


JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.command(name="list")
def list_decisions(  # noqa: PLR0917 - typer turns each parameter into an option
    store: StoreUrl = "andon.duckdb",
    status: Annotated[list[Status] | None, typer.Option(help="Only these statuses.")] = None,
    app_name: Annotated[str | None, typer.Option("--app", help="Only this app.")] = None,
    path: Annotated[str | None, typer.Option(help="Only at or below this path.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many, newest first.")] = 20,
    as_user: Annotated[
        str | None, typer.Option("--as", help="Only what this user may see.")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """List decisions, newest first; each id is printed as its shortest unique prefix."""
    with _service(store) as (service, users):
        who = _principal(users, as_user) if as_user else None
        records = service.list(
            DecisionFilter(statuses=tuple(status or ()), app=app_name, subject_prefix=path),
            who=who,
            limit=limit,
        )
        ids = short_ids(DecisionTable(store=service.repository.store), [r.id for r in records])
    if json_out:
        print_json(as_json(r) for r in records)
        return
    listing = table(
        Column("id", wrap=False),
        Column("value", numeric=True),
        Column("conf", numeric=True),
        "status",
        "decision",
        show_lines=True,
    )
    for r in records:
        state = [r.status.value]
        if r.shadow:
            state.append("shadow")
        if r.escalation:
            state.append(f"needs {r.required_role.value}")
        listing.add_row(
            ids[r.id],
            number(r.expected_value),
            f"{r.confidence:.2f}",
            escape(" · ".join(state)),
            escape(f"{r.app} · {r.subject}\n{r.title}\nexpires {_when(r.expires_at)}"),
        )
    out_console.print(listing)
    out_console.print(
        f"{len(records)} decision(s); an id or its prefix works with approve, reject and show",
        highlight=False,
        style="dim",
    )


@app.command()
def show(
    decision_id: Annotated[str, typer.Argument(help="The decision's id or a unique prefix.")],
    store: StoreUrl = "andon.duckdb",
    as_user: Annotated[
        str | None, typer.Option("--as", help="See it as this user (sites apply).")
    ] = None,
    json_out: JsonFlag = False,
) -> None:
    """Show one decision: its action, value, evidence in words, options and who decided."""
    with _service(store) as (service, users):
        who = _principal(users, as_user) if as_user else None
        record = service.get(resolve_id(service, decision_id, who=who), who=who)
    if json_out:
        typer.echo(json.dumps(as_json(record), indent=1, default=str))
        return
    _show(record)
    low, high = record.value_low, record.value_high
    band = f" ({number(low)} to {number(high)})" if low is not None and high is not None else ""
    lines = [
        (
            f"  {record.app} · {record.subject} · proposed {_when(record.created_at)}"
            f" · expires {_when(record.expires_at)}"
        ),
        f"  expected saving {number(record.expected_value)}{band}",
        f"  {record.explanation}",
        *(f"  - {f.text}" for f in record.factors),
        *(f"  option {o.action}: cost {number(o.expected_cost)}" for o in record.options),
    ]
    if record.decided_by:
        lines.append(
            f"  {record.status.value} by {record.decided_by} at {_when(record.decided_at)}"
            + (f": {record.reason}" if record.reason else "")
        )
    for line in lines:
        out_console.print(line, highlight=False, markup=False, soft_wrap=True)


@app.command()
def approve(
    decision_id: Annotated[str, typer.Argument(help="The decision's id or a unique prefix.")],
    as_user: AsUser,
    store: StoreUrl = "andon.duckdb",
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Approve a proposed decision."""
    with _service(store) as (service, users):
        who = _principal(users, as_user)
        full = resolve_id(service, decision_id, who=who)
        _show(service.approve(full, who=who, reason=reason))


@app.command()
def reject(
    decision_id: Annotated[str, typer.Argument(help="The decision's id or a unique prefix.")],
    as_user: AsUser,
    reason: Annotated[str, typer.Option(help="Why (required).")],
    store: StoreUrl = "andon.duckdb",
) -> None:
    """Reject a proposed decision, with a reason."""
    with _service(store) as (service, users):
        who = _principal(users, as_user)
        full = resolve_id(service, decision_id, who=who)
        _show(service.reject(full, who=who, reason=reason))


@app.command()
def execute(
    decision_id: Annotated[str, typer.Argument(help="The decision's id or a unique prefix.")],
    as_user: AsUser,
    store: StoreUrl = "andon.duckdb",
) -> None:
    """Mark an approved decision as carried out."""
    with _service(store) as (service, users):
        who = _principal(users, as_user)
        _show(service.execute(resolve_id(service, decision_id, who=who), who=who))


@app.command()
def expire(store: StoreUrl = "andon.duckdb") -> None:
    """Mark every undecided decision past its expiry as expired."""
    with _service(store) as (service, _users):
        count = service.expire_due()
    out_console.print(f"{count} decision(s) expired")


@app.command()
def summary(store: StoreUrl = "andon.duckdb", json_out: JsonFlag = False) -> None:
    """Each app's record: proposals, approvals, realised against expected value, calibration."""
    with _service(store) as (service, _users):
        records = summarise(service.repository.outcome_table(sites=None, app=None))
    # One column per app and one row per figure: a handful of apps fit 80 columns, ten
    # figures side by side do not.
    listing = table(
        "", *(Column(r.app, numeric=True) for r in records), title="andon decisions: record per app"
    )
    figures: list[tuple[str, Callable[[AppRecord], str]]] = [
        ("proposals", lambda r: number(r.proposals)),
        ("approved", lambda r: number(r.approved)),
        ("rejected", lambda r: number(r.rejected)),
        ("expired", lambda r: number(r.expired)),
        ("executed", lambda r: number(r.executed)),
        ("shadow", lambda r: number(r.shadow)),
        ("with outcome", lambda r: number(r.with_outcome)),
        ("expected value", lambda r: number(r.expected_value)),
        ("realised value", lambda r: number(r.realised_value)),
        ("Brier score", lambda r: "-" if r.brier is None else f"{r.brier:.3f}"),
    ]
    for label, cell in figures:
        listing.add_row(label, *(cell(r) for r in records))
    if json_out:
        print_json(
            {
                "app": r.app, "proposals": r.proposals, "approved": r.approved,
                "rejected": r.rejected, "expired": r.expired, "executed": r.executed,
                "shadow": r.shadow, "with_outcome": r.with_outcome,
                "expected_value": r.expected_value, "realised_value": r.realised_value,
                "realisation": r.realisation, "brier": r.brier,
            }
            for r in records
        )  # fmt: skip
        return
    out_console.print(listing)
