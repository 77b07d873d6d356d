"""``andon ingest``: bring plant data into the store from MQTT, Sparkplug B, OPC UA, files, NATS.

Streaming commands run until Ctrl-C or SIGTERM, showing what they received, wrote and
quarantined; ``andon ingest status`` reads a store (and an agent's status file) to say the
same afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from andon.cli._output import err_console, fail, out_console
from andon.cli._output import setup_logging as _setup_logging
from andon.errors import AndonError
from andon.model import Model, load_model

if TYPE_CHECKING:
    from pydantic import SecretStr

    from andon.connect.opcua import OpcUaSettings
    from andon.runtime.edge import EdgeSettings

__all__ = [
    "OPTION_LABELS",
    "app",
    "edge_settings",
    "load",
    "node_mappings",
    "opcua_settings",
    "password_from",
    "print_status",
    "read_status",
    "run_until_stopped",
    "setup_logging",
]

app = typer.Typer(
    help="Ingest plant data: MQTT UNS JSON, Sparkplug B, OPC UA, historian files, NATS.",
    no_args_is_help=True,
)

ModelOpt = Annotated[Path, typer.Option("--model", "-m", help="Plant model YAML file or folder.")]
StoreOpt = Annotated[
    str, typer.Option("--store", "-s", help="Store URL: a DuckDB file or postgresql://...")
]
BrokerOpt = Annotated[
    str, typer.Option("--mqtt", help="Broker URL: mqtt://host:1883 or mqtts://host:8883.")
]
PasswordEnvOpt = Annotated[
    str | None,
    typer.Option(help="Name of the environment variable that holds the broker password."),
]
BufferOpt = Annotated[
    Path | None,
    typer.Option(help="Durable buffer file (SQLite); messages are acknowledged once on it."),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log every connection event.")]

OPTION_LABELS: dict[str, str] = {
    "site": "--site",
    "name": "--name",
    "mqtt_url": "--mqtt",
    "protocol": "--protocol",
    "mqtt_topics": "--topic",
    "mqtt_prefix": "--prefix",
    "sparkplug_group": "--group",
    "mqtt_username": "--username",
    "mqtt_password": "--password-env",
    "mqtt_ca_file": "--ca-file",
    "mqtt_cert_file": "--cert-file",
    "mqtt_key_file": "--key-file",
    "mqtt_tls_insecure": "--tls-insecure",
    "opcua_endpoint": "--opcua",
    "opcua_security": "--security",
    "opcua_certificate": "--certificate",
    "opcua_private_key": "--private-key",
    "opcua_server_certificate": "--server-certificate",
    "opcua_trust_on_first_use": "--trust-on-first-use",
    "opcua_nodes": "--node",
    "buffer_path": "--buffer",
    "max_buffer_mb": "--max-buffer-mb",
    "when_full": "--when-full",
    "bus": "--nats",
    "store_url": "--store",
    "nats_url": "--nats",
}
"""The command-line option of each edge setting, to name it in an error."""


def setup_logging(*, verbose: bool) -> None:
    """Send andon's log lines to stderr, one plain line each (the CLI decides what is shown)."""
    _setup_logging(verbose=verbose)


def load(path: Path) -> Model:
    """Load a model or exit 2 with its problems."""
    try:
        return load_model(path)
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None


def password_from(password_env: str | None) -> SecretStr | None:
    """Return the broker password from the variable named, never from the command line."""
    if password_env is None:
        return None
    from pydantic import SecretStr

    password = os.environ.get(password_env)
    if password is None:
        err_console.print(f"[red]error:[/] environment variable {password_env} is not set")
        raise typer.Exit(code=2)
    return SecretStr(password)


def edge_settings(values: dict[str, Any], *, environ: bool) -> EdgeSettings:
    """Return the edge settings of a command's options (over ``ANDON_EDGE_*`` with
    ``environ``), or exit 2 naming each bad option."""
    from andon.runtime.edge import load_edge_settings

    given = {key: value for key, value in values.items() if value is not None}
    try:
        return load_edge_settings(given, environ=environ, labels=OPTION_LABELS)
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None


def run_until_stopped(settings: EdgeSettings, model: Model) -> None:
    """Run the edge runtime until Ctrl-C or SIGTERM, with a live line of counts."""
    from andon.runtime.edge import edge_runtime

    stop = threading.Event()

    def request_stop(*_: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    with err_console.status("starting") as status:

        def show(snapshot: dict[str, Any]) -> None:
            status.update(
                f"received {snapshot.get('received_messages', 0)} msg, "
                f"written {snapshot.get('written_records', 0)}, "
                f"quarantined {snapshot.get('quarantined_records', 0)}, "
                f"buffer {snapshot.get('buffer_depth', 0)} batch(es), "
                f"lag {snapshot.get('lag_s', 0):.2f} s"
            )

        try:
            runtime = edge_runtime(settings, model, on_status=show)
            final = runtime.run(stop)
        except AndonError as exc:
            fail(exc)
            raise typer.Exit(code=2) from None
    out_console.print_json(json.dumps(final))


@app.command()
def mqtt(  # noqa: PLR0917 - typer passes each option by keyword
    model: ModelOpt,
    store: StoreOpt,
    broker: BrokerOpt = "mqtt://127.0.0.1:1883",
    topic: Annotated[list[str] | None, typer.Option(help="Topic filter (repeatable).")] = None,
    prefix: Annotated[str, typer.Option(help="Topic prefix before element paths.")] = "",
    name: Annotated[str, typer.Option(help="Source name and client id.")] = "andon-ingest",
    username: Annotated[str | None, typer.Option(help="Broker user name.")] = None,
    password_env: PasswordEnvOpt = None,
    ca_file: Annotated[Path | None, typer.Option(help="CA certificate for TLS.")] = None,
    cert_file: Annotated[Path | None, typer.Option(help="Client certificate.")] = None,
    key_file: Annotated[Path | None, typer.Option(help="Client private key.")] = None,
    tls_insecure: Annotated[bool, typer.Option(help="Do not verify the broker (logged).")] = False,
    buffer: BufferOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Subscribe to a Unified Namespace (UNS JSON, see docs/uns.md) and write to the store."""
    setup_logging(verbose=verbose)
    settings = edge_settings(
        {
            "name": name,
            "buffer_path": buffer,
            "store_url": store,
            "mqtt_url": broker,
            "mqtt_username": username,
            "mqtt_password": password_from(password_env),
            "mqtt_ca_file": ca_file,
            "mqtt_cert_file": cert_file,
            "mqtt_key_file": key_file,
            "mqtt_tls_insecure": tls_insecure,
            "mqtt_topics": tuple(topic) if topic else None,
            "mqtt_prefix": prefix,
        },
        environ=False,
    )
    run_until_stopped(settings, load(model))


@app.command()
def sparkplug(  # noqa: PLR0917 - typer passes each option by keyword
    model: ModelOpt,
    store: StoreOpt,
    broker: BrokerOpt = "mqtt://127.0.0.1:1883",
    group: Annotated[str | None, typer.Option(help="Sparkplug group id (default: all).")] = None,
    name: Annotated[str, typer.Option(help="Host application id and client id.")] = "andon",
    username: Annotated[str | None, typer.Option(help="Broker user name.")] = None,
    password_env: PasswordEnvOpt = None,
    ca_file: Annotated[Path | None, typer.Option(help="CA certificate for TLS.")] = None,
    buffer: BufferOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Be a Sparkplug B 3.0 host application and write device metrics to the store."""
    setup_logging(verbose=verbose)
    settings = edge_settings(
        {
            "name": name,
            "buffer_path": buffer,
            "store_url": store,
            "mqtt_url": broker,
            "protocol": "sparkplug",
            "sparkplug_group": group,
            "mqtt_username": username,
            "mqtt_password": password_from(password_env),
            "mqtt_ca_file": ca_file,
        },
        environ=False,
    )
    run_until_stopped(settings, load(model))


def opcua_settings(
    endpoint: str,
    security: str,
    certificate: Path | None,
    private_key: Path | None,
    server_certificate: Path | None,
    *,
    trust_on_first_use: bool = False,
) -> OpcUaSettings:
    """Return OPC UA settings from command-line values (``andon ingest browse``)."""
    from andon.connect.opcua import OpcUaSettings

    if security not in {"basic256sha256", "none"}:
        err_console.print(f"[red]error:[/] --security {security!r}: use basic256sha256 or none")
        raise typer.Exit(code=2)
    mode: Literal["basic256sha256", "none"] = "none" if security == "none" else "basic256sha256"
    return OpcUaSettings(
        endpoint=endpoint,
        security=mode,
        certificate=certificate,
        private_key=private_key,
        server_certificate=server_certificate,
        trust_on_first_use=trust_on_first_use,
    )


def node_mappings(nodes: list[str] | None) -> dict[str, str] | None:
    """Return ``--node NODE_ID=TAG_PATH`` options as a mapping, or exit 2 on a bad one."""
    if not nodes:
        return None
    extra: dict[str, str] = {}
    for item in nodes:
        node_id, sep, path = item.rpartition("=")
        if not sep or not node_id or not path:
            err_console.print(f"[red]error:[/] --node {item!r}: write NODE_ID=TAG_PATH")
            raise typer.Exit(code=2)
        extra[node_id] = path
    return extra


@app.command()
def opcua(  # noqa: PLR0917 - typer passes each option by keyword
    model: ModelOpt,
    store: StoreOpt,
    endpoint: Annotated[str, typer.Option(help="Server endpoint, opc.tcp://host:4840.")],
    security: Annotated[str, typer.Option(help="basic256sha256 or none.")] = "basic256sha256",
    certificate: Annotated[Path | None, typer.Option(help="Client certificate (DER).")] = None,
    private_key: Annotated[Path | None, typer.Option(help="Client private key (PEM).")] = None,
    server_certificate: Annotated[
        Path | None, typer.Option(help="The server's certificate, pinned (DER or PEM).")
    ] = None,
    trust_on_first_use: Annotated[
        bool,
        typer.Option(help="Without a pinned certificate, trust the first one seen (logged)."),
    ] = False,
    node: Annotated[
        list[str] | None, typer.Option(help="Extra mapping NODE_ID=TAG_PATH (repeatable).")
    ] = None,
    name: Annotated[str, typer.Option(help="Source name.")] = "opcua",
    buffer: BufferOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Subscribe to the OPC UA nodes the model maps to tags and write their samples."""
    setup_logging(verbose=verbose)
    settings = edge_settings(
        {
            "name": name,
            "buffer_path": buffer,
            "store_url": store,
            "opcua_endpoint": endpoint,
            "opcua_security": security,
            "opcua_certificate": certificate,
            "opcua_private_key": private_key,
            "opcua_server_certificate": server_certificate,
            "opcua_trust_on_first_use": trust_on_first_use,
            "opcua_nodes": node_mappings(node),
        },
        environ=False,
    )
    run_until_stopped(settings, load(model))


@app.command(name="browse")
def browse_command(  # noqa: PLR0917 - typer passes each option by keyword
    endpoint: Annotated[str, typer.Option(help="Server endpoint, opc.tcp://host:4840.")],
    security: Annotated[str, typer.Option(help="basic256sha256 or none.")] = "basic256sha256",
    certificate: Annotated[Path | None, typer.Option(help="Client certificate (DER).")] = None,
    private_key: Annotated[Path | None, typer.Option(help="Client private key (PEM).")] = None,
    server_certificate: Annotated[
        Path | None, typer.Option(help="The server's certificate, pinned (DER or PEM).")
    ] = None,
    trust_on_first_use: Annotated[
        bool,
        typer.Option(help="Without a pinned certificate, trust the first one seen (logged)."),
    ] = False,
) -> None:
    """List the variables of an OPC UA server, to map them to tags (TagOverride.node_id)."""
    from andon.connect.opcua import browse

    setup_logging(verbose=False)
    settings = opcua_settings(
        endpoint,
        security,
        certificate,
        private_key,
        server_certificate,
        trust_on_first_use=trust_on_first_use,
    )
    try:
        found = asyncio.run(browse(settings))
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    table = Table("node id", "browse path", "type")
    for variable in found:
        table.add_row(variable.node_id, variable.browse_path, variable.data_type)
    out_console.print(table)


@app.command()
def file(  # noqa: PLR0917 - typer passes each option by keyword
    path: Annotated[Path, typer.Argument(help="CSV or Parquet historian export.")],
    model: ModelOpt,
    store: StoreOpt,
    layout: Annotated[
        str, typer.Option(help="long (ts, tag, value) or wide (ts, one column a tag).")
    ] = "long",
    timezone: Annotated[str, typer.Option(help="Zone of timestamps written without one.")] = "UTC",
    tag_prefix: Annotated[str, typer.Option(help="Prefix that turns tag names into paths.")] = "",
    ts_column: Annotated[str, typer.Option(help="Timestamp column.")] = "ts",
    ts_unit: Annotated[str, typer.Option(help="Unit of numeric timestamps: s, ms, us, ns.")] = "ms",
    chunk_rows: Annotated[int, typer.Option(help="Rows per chunk.")] = 100_000,
) -> None:
    """Import a historian export in chunks (flat memory); importing twice stores once.

    A row that cannot be read (a value that is not a number, a time that is not one) is
    quarantined with its reason and the rest is stored; importing the same file again
    writes and quarantines nothing more.
    """
    from andon.connect.files import HistorianFile, import_historian
    from andon.connect.metrics import Metrics
    from andon.connect.pipeline import Pipeline
    from andon.store import open_store

    setup_logging(verbose=False)
    if layout not in {"long", "wide"}:
        err_console.print(f"[red]error:[/] --layout {layout!r}: use long or wide")
        raise typer.Exit(code=2)
    plant = load(model)
    spec = HistorianFile(
        path=path,
        layout="long" if layout == "long" else "wide",
        timezone=timezone,
        tag_prefix=tag_prefix,
        ts_column=ts_column,
        ts_unit=ts_unit,
        chunk_rows=chunk_rows,
    )
    metrics = Metrics()
    try:
        target = open_store(store)
        try:
            pipeline = Pipeline(store=target, model=plant, metrics=metrics)
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.completed:,} rows"),
                TimeElapsedColumn(),
                console=err_console,
            ) as progress:
                task = progress.add_task(f"importing {path.name}", total=None)
                result = import_historian(
                    spec, pipeline=pipeline, on_chunk=lambda rows: progress.advance(task, rows)
                )
        finally:
            target.close()
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    quarantined = sum(result.quarantined.values())
    line = (
        f"written {result.written}, already there {result.duplicates}, "
        f"quarantined {quarantined} {result.quarantined or ''}"
    )
    if result.skipped_rows:
        line += f", {result.skipped_rows} row(s) imported before (same content) not read again"
    out_console.print(line.rstrip())


def _pairs(option: str, items: list[str] | None) -> dict[str, str]:
    """Return ``--OPTION LEFT=RIGHT`` options as a mapping, or exit 2 on a bad one."""
    pairs: dict[str, str] = {}
    for item in items or ():
        left, sep, right = item.rpartition("=")
        if not sep or not left.strip() or not right.strip():
            err_console.print(f"[red]error:[/] {option} {item!r}: write LEFT=RIGHT")
            raise typer.Exit(code=2)
        pairs[left.strip()] = right.strip()
    return pairs


def _asset_file(path: Path | None) -> dict[str, str]:
    """Return the aliases of a two-column CSV (CMMS asset, equipment path), or exit 2."""
    import csv

    if path is None:
        return {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        err_console.print(f"[red]error:[/] --assets {path}: cannot read: {exc}")
        raise typer.Exit(code=2) from None
    aliases: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        if len(row) != 2:
            err_console.print(
                f"[red]error:[/] --assets {path} line {number}: write CMMS_ASSET,EQUIPMENT_PATH"
            )
            raise typer.Exit(code=2)
        if number == 1 and "/" not in row[1]:
            continue  # a header line
        aliases[row[0].strip()] = row[1].strip()
    return aliases


@app.command()
def cmms(  # noqa: PLR0917 - typer passes each option by keyword
    path: Annotated[Path, typer.Argument(help="CSV of work orders exported from a CMMS.")],
    model: ModelOpt,
    store: StoreOpt,
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=FIELD where a column's name is not known (repeatable)."),
    ] = None,
    asset: Annotated[
        list[str] | None, typer.Option(help="CMMS_ASSET=EQUIPMENT_PATH (repeatable).")
    ] = None,
    assets: Annotated[
        Path | None, typer.Option(help="CSV of CMMS asset, equipment path (one alias a line).")
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            help="TYPE=KIND: a work-order type as failure, corrective, preventive "
            "or inspection (repeatable)."
        ),
    ] = None,
    code: Annotated[
        list[str] | None, typer.Option(help="CODE=FAILURE_MODE for problem codes (repeatable).")
    ] = None,
    timezone: Annotated[
        str | None,
        typer.Option(help="Zone of times without an offset (default: the asset's site zone)."),
    ] = None,
    time_format: Annotated[
        str | None, typer.Option(help="strptime format of the times (default: ISO 8601).")
    ] = None,
    delimiter: Annotated[
        str | None, typer.Option(help="Field separator (default: found from the header).")
    ] = None,
    downtime_unit: Annotated[str, typer.Option(help="Unit of downtime: h, min or s.")] = "h",
    source: Annotated[
        str, typer.Option(help="Source name of the records (one per CMMS).")
    ] = "cmms",
) -> None:
    """Import a CMMS export of work orders into maintenance records; importing twice stores once.

    Columns are found by their usual names (Maximo, SAP PM, spreadsheets; see
    docs/maintenance.md); a row that cannot be read is quarantined with its row number and
    reason, and the rest is stored.
    """
    from andon.connect.cmms import WorkOrderFile, import_work_orders
    from andon.connect.metrics import Metrics
    from andon.connect.pipeline import Pipeline
    from andon.records import MaintenanceKind
    from andon.store import open_store

    setup_logging(verbose=False)
    kinds: dict[str, MaintenanceKind] = {}
    for word, name in _pairs("--kind", kind).items():
        if name not in set(MaintenanceKind):
            err_console.print(
                f"[red]error:[/] --kind {word}={name}: use failure, corrective, preventive "
                "or inspection"
            )
            raise typer.Exit(code=2)
        kinds[word] = MaintenanceKind(name)
    columns = _pairs("--map", map_)
    aliases = {**_asset_file(assets), **_pairs("--asset", asset)}
    plant = load(model)
    spec = WorkOrderFile(
        path=path,
        columns=columns,
        assets=aliases,
        kinds=kinds,
        codes=_pairs("--code", code),
        timezone=timezone,
        time_format=time_format,
        delimiter=delimiter,
        downtime_unit=downtime_unit,
        source=source,
    )
    try:
        target = open_store(store)
        try:
            pipeline = Pipeline(store=target, model=plant, metrics=Metrics())
            with Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TextColumn("{task.completed:,} rows"),
                TimeElapsedColumn(),
                console=err_console,
            ) as progress:
                task = progress.add_task(f"importing {path.name}", total=None)
                result = import_work_orders(
                    spec, pipeline=pipeline, on_rows=lambda rows: progress.advance(task, rows)
                )
        finally:
            target.close()
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    quarantined = sum(result.quarantined.values())
    line = (
        f"rows {result.rows}: work orders {result.work_orders}, records written "
        f"{result.written}, already there {result.duplicates}, quarantined {quarantined} "
        f"{result.quarantined or ''}"
    ).rstrip()
    if result.seen_rows:
        line += f"; {result.seen_rows} row(s) imported before (same content) not read again"
    out_console.print(line)


@app.command()
def bus(  # noqa: PLR0917 - typer passes each option by keyword
    model: ModelOpt,
    store: StoreOpt,
    nats: Annotated[str, typer.Option(help="NATS URL.")] = "nats://127.0.0.1:4222",
    site: Annotated[str, typer.Option(help="Site whose stream to read.")] = "",
    durable: Annotated[str, typer.Option(help="Durable consumer name.")] = "andon-central",
    stream_replicas: Annotated[
        int,
        typer.Option(
            min=1, max=5, help="Copies of the stream to create when it is missing (3 on a cluster)."
        ),
    ] = 1,
    verbose: VerboseOpt = False,
) -> None:
    """Central side: read a site's NATS JetStream stream and write its batches to the store."""
    from andon.connect.bus import NatsConsumer
    from andon.connect.metrics import Metrics
    from andon.connect.pipeline import Pipeline
    from andon.store import open_store

    setup_logging(verbose=verbose)
    if not site:
        err_console.print("[red]error:[/] --site is required: each site has its own stream")
        raise typer.Exit(code=2)
    plant = load(model)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    metrics = Metrics()
    try:
        target = open_store(store)
        pipeline = Pipeline(store=target, model=plant, metrics=metrics)
        consumer = NatsConsumer(
            url=nats, site=site, durable=durable, metrics=metrics, replicas=stream_replicas
        )
        consumer.consume(lambda batch, batch_id: pipeline.write(batch, batch_id=batch_id))
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    with err_console.status("reading") as status:
        while not stop.wait(1.0):
            snap = metrics.snapshot()
            status.update(
                f"batches {snap.get('bus_received_batches', 0)}, "
                f"written {snap.get('written_records', 0)}, "
                f"quarantined {snap.get('quarantined_records', 0)}"
            )
    consumer.close()
    target.close()
    out_console.print_json(json.dumps(metrics.snapshot()))


@app.command()
def status(
    store: Annotated[str | None, typer.Option("--store", "-s", help="Store URL to count.")] = None,
    buffer: Annotated[
        Path | None, typer.Option(help="An agent's buffer file: read its status.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Say what was received, written, quarantined (by reason), buffered, and the lag."""
    from andon.records import RecordKind
    from andon.store import open_store

    if store is None and buffer is None:
        err_console.print("[red]error:[/] give --store, --buffer, or both")
        raise typer.Exit(code=2)
    report: dict[str, Any] = {}
    if buffer is not None:
        report["agent"] = read_status(buffer)
    if store is not None:
        try:
            target = open_store(store)
            report["stored"] = {kind.value: target.count_rows(kind) for kind in RecordKind}
            report["quarantined_by_reason"] = target.quarantine_summary().to_pylist()
            target.close()
        except AndonError as exc:
            fail(exc)
            raise typer.Exit(code=2) from None
    if as_json:
        out_console.print_json(json.dumps(report, default=str))
        return
    print_status(report)


def read_status(buffer: Path) -> dict[str, Any]:
    """Return an agent's last status, with its age, or exit 2 when there is none."""
    from andon.connect.agent import status_path_for

    path = status_path_for(buffer)
    if not path.exists():
        err_console.print(f"[red]error:[/] no agent status at {path} (has an agent run there?)")
        raise typer.Exit(code=2)
    data: dict[str, Any] = json.loads(path.read_text())
    data["age_s"] = round(time.time() - float(data.get("updated_at", 0)), 1)
    return data


def print_status(report: dict[str, Any]) -> None:
    """Print a status report as tables."""
    agent = report.get("agent")
    if agent is not None:
        table = Table("agent", "value", title="agent (status written every second)")
        for key in (
            "received_messages",
            "decoded_records",
            "rejected_messages",
            "written_records",
            "duplicate_records",
            "quarantined_records",
            "buffer_depth",
            "buffer_bytes",
            "lag_s",
            "forward_retries",
            "disconnects",
            "dropped_records",
            "age_s",
        ):
            table.add_row(key, str(agent.get(key, 0)))
        for reason, count in agent.get("quarantined_by_reason", {}).items():
            table.add_row(f"quarantined: {reason}", str(count))
        out_console.print(table)
    if "stored" in report:
        table = Table("kind", "stored records", title="store")
        for kind, count in report["stored"].items():
            if count:
                table.add_row(kind, f"{count:,}")
        out_console.print(table)
        quarantine = Table("kind", "source", "reason", "rows", title="quarantine")
        for row in report["quarantined_by_reason"]:
            quarantine.add_row(row["kind"], str(row["source"]), row["reason"], str(row["rows"]))
        out_console.print(quarantine)
