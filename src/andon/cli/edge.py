"""``andon edge``: the agent at a site: sources, a durable bounded buffer, forwarding.

The edge acknowledges MQTT messages only once they are in its buffer on disk, forwards in
order to the central store or to NATS JetStream, retries forever, and loses nothing when
it is killed, the broker vanishes or the store refuses writes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from andon.cli._output import err_console
from andon.cli.ingest import (
    buffer_policy,
    load,
    mqtt_settings,
    opcua_settings,
    print_status,
    read_status,
    run_until_stopped,
    setup_logging,
)

__all__ = ["app"]

app = typer.Typer(help="Run the edge agent of a site and read its status.", no_args_is_help=True)


@app.command()
def run(  # noqa: PLR0917 - typer passes each option by keyword
    model: Annotated[Path, typer.Option("--model", "-m", help="Plant model YAML file or folder.")],
    buffer: Annotated[Path, typer.Option(help="Durable buffer file (SQLite, WAL).")],
    store: Annotated[str | None, typer.Option("--store", "-s", help="Central store URL.")] = None,
    nats: Annotated[str | None, typer.Option(help="NATS URL to forward to instead.")] = None,
    site: Annotated[str | None, typer.Option(help="Site id (names the NATS stream).")] = None,
    mqtt: Annotated[str | None, typer.Option(help="Broker URL to read from.")] = None,
    protocol: Annotated[str, typer.Option(help="uns (JSON) or sparkplug.")] = "uns",
    topic: Annotated[list[str] | None, typer.Option(help="Topic filter (repeatable).")] = None,
    prefix: Annotated[str, typer.Option(help="Topic prefix before element paths.")] = "",
    group: Annotated[str | None, typer.Option(help="Sparkplug group id.")] = None,
    username: Annotated[str | None, typer.Option(help="Broker user name.")] = None,
    password_env: Annotated[
        str | None, typer.Option(help="Environment variable with the broker password.")
    ] = None,
    ca_file: Annotated[Path | None, typer.Option(help="CA certificate for TLS.")] = None,
    opcua: Annotated[str | None, typer.Option(help="OPC UA endpoint to read from.")] = None,
    security: Annotated[
        str, typer.Option(help="OPC UA: basic256sha256 or none.")
    ] = "basic256sha256",
    certificate: Annotated[Path | None, typer.Option(help="OPC UA client certificate.")] = None,
    private_key: Annotated[Path | None, typer.Option(help="OPC UA client key.")] = None,
    server_certificate: Annotated[Path | None, typer.Option(help="OPC UA server cert.")] = None,
    max_buffer_mb: Annotated[int, typer.Option(help="Disk the buffer may use, MiB.")] = 1024,
    when_full: Annotated[str, typer.Option(help="block (default) or drop_oldest.")] = "block",
    name: Annotated[
        str, typer.Option(help="Agent name: client id, source, batch ids.")
    ] = "andon-edge",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log connections.")] = False,
) -> None:
    """Run the edge agent until Ctrl-C or SIGTERM; a restart resumes from the buffer."""
    from andon.connect.agent import AgentSettings

    setup_logging(verbose=verbose)
    if (store is None) == (nats is None):
        err_console.print("[red]error:[/] give exactly one of --store and --nats")
        raise typer.Exit(code=2)
    if protocol not in {"uns", "sparkplug"}:
        err_console.print(f"[red]error:[/] --protocol {protocol!r}: use uns or sparkplug")
        raise typer.Exit(code=2)
    if mqtt is None and opcua is None:
        err_console.print("[red]error:[/] give a source: --mqtt and/or --opcua")
        raise typer.Exit(code=2)
    if max_buffer_mb <= 0:
        err_console.print("[red]error:[/] --max-buffer-mb must be positive")
        raise typer.Exit(code=2)
    settings = AgentSettings(
        name=name,
        buffer_path=buffer,
        max_buffer_bytes=max_buffer_mb << 20,
        when_full=buffer_policy(when_full),
        store_url=store,
        nats_url=nats,
        site=site,
        mqtt=None
        if mqtt is None
        else mqtt_settings(
            mqtt,
            client_id=name,
            username=username,
            password_env=password_env,
            ca_file=ca_file,
            cert_file=None,
            key_file=None,
            tls_insecure=False,
        ),
        protocol="sparkplug" if protocol == "sparkplug" else "uns",
        topics=tuple(topic or [f"{prefix}#"]),
        prefix=prefix,
        sparkplug_group=group,
        opcua=None
        if opcua is None
        else opcua_settings(opcua, security, certificate, private_key, server_certificate),
    )
    run_until_stopped(settings, load(model))


@app.command()
def status(
    buffer: Annotated[Path, typer.Option(help="The agent's buffer file.")],
) -> None:
    """Print the agent's counters: received, written, quarantined by reason, depth, lag."""
    print_status({"agent": read_status(buffer)})
