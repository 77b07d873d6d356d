"""``andon users``: add and change users, issue and revoke API tokens (every change audited)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.table import Table

from andon.cli._output import err_console, out_console, print_json
from andon.decisions import Role, UserService, ensure_schema
from andon.decisions._json import now_us
from andon.errors import AndonError
from andon.store import open_store

app = typer.Typer(help="Users, roles, site scopes and API tokens.", no_args_is_help=True)

StoreUrl = Annotated[
    str, typer.Option("--store", help="Store URL or DuckDB file.", envvar="ANDON_STORE")
]
ACTOR = "cli"


def _fail(exc: AndonError) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


@contextmanager
def _users(store_url: str) -> Iterator[UserService]:
    """Open the store, yield its user service, and turn andon errors into one line, exit 2."""
    try:
        store = open_store(store_url)
    except AndonError as exc:
        raise _fail(exc) from None
    try:
        ensure_schema(store)
        yield UserService(store=store)
    except AndonError as exc:
        raise _fail(exc) from None
    finally:
        store.close()


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return str(typer.prompt("password", hide_input=True, confirmation_prompt=True))


@app.command()
def add(  # noqa: PLR0917 - typer turns each parameter into an option
    username: Annotated[str, typer.Argument(help="Lower-case letters, digits, ._@-")],
    role: Annotated[Role, typer.Option(help="What the user may do.")],
    site: Annotated[
        list[str], typer.Option(help="A site path (enterprise/site) or '*'; repeat for more.")
    ],
    store: StoreUrl = "andon.duckdb",
    password: Annotated[
        bool, typer.Option("--password/--no-password", help="Ask for a password (or tokens only).")
    ] = True,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from the first line of standard input.")
    ] = False,
) -> None:
    """Add a user with a role and the sites it may see."""
    secret = _password(password_stdin) if password else None
    with _users(store) as service:
        user = service.add(username, role=role, sites=site, password=secret, actor=ACTOR)
    out_console.print(f"added {user.username} ({user.role.value}) at {', '.join(user.sites)}")


@app.command(name="list")
def list_users(
    store: StoreUrl = "andon.duckdb",
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List users with their roles and sites."""
    with _users(store) as service:
        users = service.all_users()
    if json_out:
        print_json(
            {
                "username": u.username,
                "role": u.role.value,
                "sites": list(u.sites),
                "active": u.active,
                "password": u.password_hash is not None,
            }
            for u in users
        )
        return
    table = Table("user", "role", "sites", "active", "password", title="andon users")
    for user in users:
        table.add_row(
            user.username,
            user.role.value,
            ", ".join(user.sites),
            "yes" if user.active else "no",
            "set" if user.password_hash else "-",
        )
    out_console.print(table)


@app.command(name="set")
def change(  # noqa: PLR0917 - typer turns each parameter into an option
    username: Annotated[str, typer.Argument(help="The user to change.")],
    store: StoreUrl = "andon.duckdb",
    role: Annotated[Role | None, typer.Option(help="A new role.")] = None,
    site: Annotated[
        list[str] | None, typer.Option(help="Replace the sites; repeat for more.")
    ] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="Enable or disable (revokes tokens).")
    ] = None,
    password: Annotated[bool, typer.Option(help="Ask for a new password.")] = False,
    password_stdin: Annotated[bool, typer.Option(help="Read the new password from stdin.")] = False,
) -> None:
    """Change a user's role, sites, password or whether it is active."""
    secret = _password(password_stdin) if (password or password_stdin) else None
    with _users(store) as service:
        user = service.change(
            username, actor=ACTOR, role=role, sites=site, password=secret, active=active
        )
    out_console.print(
        f"{user.username}: {user.role.value} at {', '.join(user.sites)}, "
        f"{'active' if user.active else 'inactive'}"
    )


@app.command()
def token(
    username: Annotated[str, typer.Argument(help="The user the token acts as.")],
    name: Annotated[str, typer.Option(help="What the token is for.")],
    store: StoreUrl = "andon.duckdb",
    site: Annotated[list[str] | None, typer.Option(help="Narrow the token to these sites.")] = None,
    ttl_days: Annotated[int | None, typer.Option(min=1, help="Expire after days.")] = None,
) -> None:
    """Issue an API token; it is printed once and only its digest is stored."""
    with _users(store) as service:
        issued = service.issue_token(
            username,
            name=name,
            actor=ACTOR,
            sites=site,
            ttl_s=None if ttl_days is None else ttl_days * 86_400,
        )
    err_console.print(f"token {issued.row.id} for {username}; copy it now, it is not shown again:")
    typer.echo(issued.secret)


@app.command()
def tokens(
    username: Annotated[str | None, typer.Argument(help="Only this user's tokens.")] = None,
    store: StoreUrl = "andon.duckdb",
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List API tokens (never their secrets)."""
    with _users(store) as service:
        rows = service.tokens(username)
    now = now_us()
    if json_out:
        print_json(
            {
                "id": r.id,
                "username": r.username,
                "name": r.name,
                "sites": None if r.sites is None else list(r.sites),
                "revoked": r.revoked,
                "expired": r.expires_at is not None and r.expires_at <= now,
            }
            for r in rows
        )
        return
    table = Table("id", "user", "name", "sites", "state", title="andon tokens")
    for row in rows:
        expired = row.expires_at is not None and row.expires_at <= now
        state = "revoked" if row.revoked else "expired" if expired else "active"
        table.add_row(row.id, row.username, row.name, ", ".join(row.sites or ["(user's)"]), state)
    out_console.print(table)


@app.command()
def revoke(
    token_id: Annotated[str, typer.Argument(help="The token's id (from `andon users tokens`).")],
    store: StoreUrl = "andon.duckdb",
) -> None:
    """Revoke an API token."""
    with _users(store) as service:
        service.revoke(token_id, actor=ACTOR)
    out_console.print(f"revoked {token_id}")
