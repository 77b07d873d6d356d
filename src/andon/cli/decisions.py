"""``andon decisions``: the decision inbox from the command line, acting as a named user."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from andon.cli._output import err_console, out_console
from andon.decisions import (
    DecisionFilter,
    DecisionRecord,
    DecisionService,
    Principal,
    Status,
    UserService,
    ensure_schema,
)
from andon.decisions.errors import NotAuthenticatedError
from andon.decisions.outcomes import summarise
from andon.errors import AndonError
from andon.store import open_store

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


def _show(record: DecisionRecord) -> None:
    out_console.print(
        f"{record.id} {record.status.value}: {record.title} on {record.subject} "
        f"(value {record.expected_value:,.0f}, confidence {record.confidence:.2f})",
        highlight=False,
    )


@app.command(name="list")
def list_decisions(
    store: StoreUrl = "andon.duckdb",
    status: Annotated[list[Status] | None, typer.Option(help="Only these statuses.")] = None,
    app_name: Annotated[str | None, typer.Option("--app", help="Only this app.")] = None,
    path: Annotated[str | None, typer.Option(help="Only at or below this path.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="How many, newest first.")] = 20,
) -> None:
    """List decisions, newest first."""
    with _service(store) as (service, _users):
        records = service.list(
            DecisionFilter(statuses=tuple(status or ()), app=app_name, subject_prefix=path),
            limit=limit,
        )
    table = Table("id", "app", "subject", "action", "value", "conf", "status", "expires")
    for r in records:
        table.add_row(
            r.id[:12],
            r.app,
            r.subject,
            r.title,
            f"{r.expected_value:,.0f}",
            f"{r.confidence:.2f}",
            r.status.value
            + (" (shadow)" if r.shadow else "")
            + (f" [{r.required_role.value}]" if r.escalation else ""),
            _when(r.expires_at),
        )
    out_console.print(table)


@app.command()
def approve(
    decision_id: Annotated[str, typer.Argument(help="The decision's id.")],
    as_user: AsUser,
    store: StoreUrl = "andon.duckdb",
    reason: Annotated[str | None, typer.Option(help="Why.")] = None,
) -> None:
    """Approve a proposed decision."""
    with _service(store) as (service, users):
        _show(service.approve(decision_id, who=_principal(users, as_user), reason=reason))


@app.command()
def reject(
    decision_id: Annotated[str, typer.Argument(help="The decision's id.")],
    as_user: AsUser,
    reason: Annotated[str, typer.Option(help="Why (required).")],
    store: StoreUrl = "andon.duckdb",
) -> None:
    """Reject a proposed decision, with a reason."""
    with _service(store) as (service, users):
        _show(service.reject(decision_id, who=_principal(users, as_user), reason=reason))


@app.command()
def execute(
    decision_id: Annotated[str, typer.Argument(help="The decision's id.")],
    as_user: AsUser,
    store: StoreUrl = "andon.duckdb",
) -> None:
    """Mark an approved decision as carried out."""
    with _service(store) as (service, users):
        _show(service.execute(decision_id, who=_principal(users, as_user)))


@app.command()
def expire(store: StoreUrl = "andon.duckdb") -> None:
    """Mark every undecided decision past its expiry as expired."""
    with _service(store) as (service, _users):
        count = service.expire_due()
    out_console.print(f"{count} decision(s) expired")


@app.command()
def summary(store: StoreUrl = "andon.duckdb") -> None:
    """Each app's record: proposals, approvals, realised against expected value, calibration."""
    with _service(store) as (service, _users):
        records = summarise(service.repository.outcome_table(sites=None, app=None))
    table = Table(
        "app", "proposals", "approved", "rejected", "expired", "shadow", "outcomes",
        "expected", "realised", "brier", title="andon decisions: record per app",
    )  # fmt: skip
    for r in records:
        table.add_row(
            r.app,
            str(r.proposals),
            str(r.approved),
            str(r.rejected),
            str(r.expired),
            str(r.shadow),
            str(r.with_outcome),
            f"{r.expected_value:,.0f}",
            f"{r.realised_value:,.0f}",
            "-" if r.brier is None else f"{r.brier:.3f}",
        )
    out_console.print(table)
