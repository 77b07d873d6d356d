"""``andon export data-act``: EU Data Act (2023/2854) grants, their tokens and bundles.

A grant names equipment paths, record kinds, a time range, a recipient (the user, or a
third party the user names) and an expiry; ``bundle`` writes all the granted data in
Parquet and CSV with the Art. 3 metadata, a data dictionary and a SHA-256 manifest;
``token`` issues the token that reads the grant through the REST API. Every grant,
revocation, token and export is an entry of the audit chain.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from andon.cli._output import Column, err_console, fail, out_console, print_json, table
from andon.errors import AndonError

if TYPE_CHECKING:
    from andon.decisions import AuditLog
    from andon.model import Model
    from andon.store import Store
    from andon.trace.data_act import Grant

app = typer.Typer(
    help="Export data: EU Data Act grants, their API tokens and reproducible bundles.",
    no_args_is_help=True,
)
data_act = typer.Typer(
    help="EU Data Act access: grant, list, revoke, issue a token, write a bundle.",
    no_args_is_help=True,
)
app.add_typer(data_act, name="data-act")

ACTOR = "cli"
_DAY_US = 86_400_000_000

StoreUrl = Annotated[
    str, typer.Option("--store", help="Store URL or DuckDB file.", envvar="ANDON_STORE")
]
ModelPath = Annotated[
    str, typer.Option("--model", "-m", help="The plant model: a YAML file, a folder or an example.")
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _mistake(text: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def _now_us() -> int:
    return time.time_ns() // 1000


def _when(text: str, option: str) -> int:
    from andon.time import from_iso

    try:
        return from_iso(text)
    except ValueError as exc:
        raise _mistake(f"{option}: {exc}") from None


@dataclass(frozen=True, slots=True)
class _Opened:
    store: Store
    audit: AuditLog

    def record(self, action: str, data: dict[str, Any]) -> None:
        """Write one audit entry of a grant (inside the audit transaction of the change)."""
        self.audit.append(
            actor=ACTOR,
            action=action,
            entity="data_act_grant",
            entity_id=str(data["grant_id"]),
            data=data,
        )


@contextmanager
def _opened(store_url: str) -> Iterator[_Opened]:
    """Open an existing store with its audit chain; andon errors become one line, exit 2."""
    if "://" not in store_url and not Path(store_url).exists():
        raise _mistake(f"no store at {store_url}: give --store a DuckDB file or a store URL")
    from andon.decisions import AuditLog, ensure_schema
    from andon.store import open_store

    try:
        store = open_store(store_url)
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    try:
        ensure_schema(store)
        yield _Opened(store=store, audit=AuditLog(store=store))
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    finally:
        store.close()


def _model(path: str) -> Model:
    from andon.model import load_model
    from andon.sim.examples import find_model

    try:
        return load_model(find_model(path))
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None


def _status(g: Grant, now_us: int) -> str:
    if g.revoked_at_us is not None:
        return "revoked"
    return "active" if g.active(now_us) else "expired"


def _iso(micros: int) -> str:
    from andon.time import to_iso

    return to_iso(micros)


def _day(micros: int) -> str:
    from andon.time import to_datetime

    return to_datetime(micros).strftime("%Y-%m-%d %H:%M")


@data_act.command("grant")
def grant_command(  # noqa: PLR0917 - typer turns each parameter into an option
    recipient: Annotated[
        str, typer.Option(help="Who receives the data: the user, or the third party named.")
    ],
    path: Annotated[list[str], typer.Option("--path", help="An equipment path; repeat for more.")],
    kind: Annotated[
        list[str], typer.Option("--kind", help="A record kind (sample, state...); repeat.")
    ],
    since: Annotated[str, typer.Option(help="Start of the range, ISO 8601 with a zone.")],
    until: Annotated[str, typer.Option(help="End of the range (excluded), ISO 8601.")],
    model_path: ModelPath,
    store_url: StoreUrl = "andon.duckdb",
    expires: Annotated[
        str | None, typer.Option(help="When the grant ends, ISO 8601 (default: in --days).")
    ] = None,
    days: Annotated[int, typer.Option(min=1, help="Days the grant lasts, without --expires.")] = 30,
    third_party: Annotated[
        bool, typer.Option("--third-party", help="The recipient is a third party (Art. 5).")
    ] = False,
    json_out: JsonOut = False,
) -> None:
    """Grant a recipient the data of equipment paths and record kinds over a time range."""
    from andon.trace.data_act import grant

    start, end = _when(since, "--since"), _when(until, "--until")
    now = _now_us()
    expires_us = _when(expires, "--expires") if expires is not None else now + days * _DAY_US
    if expires_us <= now:
        raise _mistake("--expires: the grant would end before it starts")
    model = _model(model_path)
    with _opened(store_url) as opened, opened.audit.transaction():
        made = grant(
            opened.store,
            model,
            recipient=recipient,
            paths=path,
            kinds=kind,
            start_us=start,
            end_us=end,
            expires_us=expires_us,
            actor=ACTOR,
            now_us=now,
            third_party=third_party,
            record=opened.record,
        )
    if json_out:
        typer.echo(json.dumps(made.to_json(), indent=1))
        return
    who = "third party" if third_party else "user"
    out_console.print(
        f"granted {made.grant_id} to {made.recipient} ({who}): {', '.join(made.paths)}; "
        f"{', '.join(k.value for k in made.kinds)}; {_iso(start)} to {_iso(end)}; "
        f"until {_iso(made.expires_us)}",
        highlight=False,
        soft_wrap=True,
    )


@data_act.command("list")
def list_command(store_url: StoreUrl = "andon.duckdb", json_out: JsonOut = False) -> None:
    """List every grant with its status (active, expired, revoked)."""
    from andon.trace.data_act import grants

    now = _now_us()
    with _opened(store_url) as opened:
        found = sorted(grants(opened.store).values(), key=lambda g: (g.granted_at_us, g.grant_id))
    if json_out:
        print_json({**g.to_json(), "status": _status(g, now)} for g in found)
        return
    out = table(
        Column("grant", wrap=False),
        "recipient",
        "status",
        "paths",
        "kinds",
        "from",
        "to",
        "expires",
    )
    for g in found:
        out.add_row(
            g.grant_id,
            g.recipient + (" (third party)" if g.third_party else ""),
            _status(g, now),
            ", ".join(g.paths),
            ", ".join(k.value for k in g.kinds),
            _day(g.start_us),
            _day(g.end_us),
            _day(g.expires_us),
        )
    out_console.print(out)


@data_act.command("revoke")
def revoke_command(
    grant_id: Annotated[str, typer.Argument(help="The grant to revoke.", show_default=False)],
    store_url: StoreUrl = "andon.duckdb",
) -> None:
    """Revoke a grant, and with it every token of the grant."""
    from andon.trace.data_act import revoke

    with _opened(store_url) as opened, opened.audit.transaction():
        done = revoke(
            opened.store,
            grant_id,
            actor=ACTOR,
            now_us=_now_us(),
            record=opened.record,
        )
    out_console.print(f"revoked {done.grant_id} of {done.recipient}", highlight=False)


@data_act.command("token")
def token_command(
    grant_id: Annotated[str, typer.Argument(help="The grant the token reads.", show_default=False)],
    store_url: StoreUrl = "andon.duckdb",
) -> None:
    """Issue an API token that reads exactly this grant; it is shown once, stored hashed."""
    from andon.trace.data_act import issue_token

    with _opened(store_url) as opened, opened.audit.transaction():
        issued = issue_token(
            opened.store,
            grant_id,
            actor=ACTOR,
            now_us=_now_us(),
            record=opened.record,
        )
    err_console.print(
        f"token {issued.token_id} for {issued.grant_id}; it is shown this once only:",
        highlight=False,
    )
    typer.echo(issued.secret)


@data_act.command("bundle")
def bundle_command(
    grant_id: Annotated[str, typer.Argument(help="The grant to export.", show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder to write the bundle into.")],
    model_path: ModelPath,
    store_url: StoreUrl = "andon.duckdb",
    json_out: JsonOut = False,
) -> None:
    """Write a grant's bundle: Parquet and CSV per kind, metadata, dictionary, manifest."""
    from andon.trace.data_act import export_bundle

    if out.exists() and not out.is_dir():
        raise _mistake(f"--out {out} is a file: give a folder")
    model = _model(model_path)
    with _opened(store_url) as opened, opened.audit.transaction():
        manifest = export_bundle(
            opened.store,
            model,
            grant_id,
            out,
            now_us=_now_us(),
            record=opened.record,
        )
    if json_out:
        typer.echo(json.dumps(manifest, indent=1, sort_keys=True))
        return
    size = sum(int(f["bytes"]) for f in manifest["files"])
    withheld = ", ".join(w["tag"] for w in manifest["withheld"]) or "nothing"
    out_console.print(
        f"wrote {len(manifest['files']) + 1} files ({size:,} bytes) of {grant_id} to {out}; "
        f"checksums in manifest.json; withheld as trade secrets: {withheld}",
        highlight=False,
        soft_wrap=True,
    )
