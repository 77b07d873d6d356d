"""``andon edge``: the edge runtime of a site: sources, a durable bounded buffer, forwarding.

The edge acknowledges MQTT messages only once they are in its buffer on disk, forwards in
order to the central store or to NATS JetStream, retries forever, and loses nothing when
it is killed, the broker vanishes or the store refuses writes. The command only reads its
options into :class:`andon.runtime.edge.EdgeSettings` (over ``ANDON_EDGE_*`` variables)
and runs what :func:`andon.runtime.edge.edge_runtime` builds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from andon.cli._output import err_console
from andon.cli.ingest import (
    edge_settings,
    load,
    password_from,
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
    buffer: Annotated[
        Path | None,
        typer.Option(
            help="Durable buffer file (SQLite, WAL); required, here or in ANDON_EDGE_BUFFER_PATH."
        ),
    ] = None,
    store: Annotated[str | None, typer.Option("--store", "-s", help="Central store URL.")] = None,
    nats: Annotated[str | None, typer.Option(help="NATS URL to forward to instead.")] = None,
    site: Annotated[str | None, typer.Option(help="Site id (names the NATS stream).")] = None,
    mqtt: Annotated[str | None, typer.Option(help="Broker URL to read from.")] = None,
    protocol: Annotated[
        str | None, typer.Option(help="uns (JSON, the default) or sparkplug.")
    ] = None,
    topic: Annotated[list[str] | None, typer.Option(help="Topic filter (repeatable).")] = None,
    prefix: Annotated[str | None, typer.Option(help="Topic prefix before element paths.")] = None,
    group: Annotated[str | None, typer.Option(help="Sparkplug group id.")] = None,
    username: Annotated[str | None, typer.Option(help="Broker user name.")] = None,
    password_env: Annotated[
        str | None, typer.Option(help="Environment variable with the broker password.")
    ] = None,
    ca_file: Annotated[Path | None, typer.Option(help="CA certificate for TLS.")] = None,
    opcua: Annotated[str | None, typer.Option(help="OPC UA endpoint to read from.")] = None,
    security: Annotated[
        str | None, typer.Option(help="OPC UA: basic256sha256 (the default) or none.")
    ] = None,
    certificate: Annotated[Path | None, typer.Option(help="OPC UA client certificate.")] = None,
    private_key: Annotated[Path | None, typer.Option(help="OPC UA client key.")] = None,
    server_certificate: Annotated[Path | None, typer.Option(help="OPC UA server cert.")] = None,
    max_buffer_mb: Annotated[
        int | None, typer.Option(help="Disk the buffer may use, MiB (default 1024).")
    ] = None,
    when_full: Annotated[
        str | None, typer.Option(help="block (the default) or drop_oldest.")
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(help="Edge name: client id, source, batch ids (default andon-edge)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log connections.")] = False,
) -> None:
    """Run the edge agent until Ctrl-C or SIGTERM; a restart resumes from the buffer.

    An option not given is read from ANDON_EDGE_<SETTING> (e.g. ANDON_EDGE_SITE), else
    takes its default.
    """
    setup_logging(verbose=verbose)
    if store is not None and nats is not None:
        err_console.print("[red]error:[/] give exactly one of --store and --nats")
        raise typer.Exit(code=2)
    settings = edge_settings(
        {
            "name": name,
            "site": site,
            "buffer_path": buffer,
            "max_buffer_mb": max_buffer_mb,
            "when_full": when_full,
            "store_url": store,
            "bus": None if nats is None else "nats",
            "nats_url": nats,
            "mqtt_url": mqtt,
            "protocol": protocol,
            "mqtt_topics": tuple(topic) if topic else None,
            "mqtt_prefix": prefix,
            "sparkplug_group": group,
            "mqtt_username": username,
            "mqtt_password": password_from(password_env),
            "mqtt_ca_file": ca_file,
            "opcua_endpoint": opcua,
            "opcua_security": security,
            "opcua_certificate": certificate,
            "opcua_private_key": private_key,
            "opcua_server_certificate": server_certificate,
        },
        environ=True,
    )
    if settings.buffer_path is None:
        err_console.print(
            "[red]error:[/] the edge keeps a durable buffer: give --buffer "
            "(or ANDON_EDGE_BUFFER_PATH)",
            soft_wrap=True,
        )
        raise typer.Exit(code=2)
    run_until_stopped(settings, load(model))


@app.command()
def status(
    buffer: Annotated[Path, typer.Option(help="The agent's buffer file.")],
) -> None:
    """Print the agent's counters: received, written, quarantined by reason, depth, lag."""
    print_status({"agent": read_status(buffer)})
