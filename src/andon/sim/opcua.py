"""Expose the simulated equipment as an OPC UA server (asyncua) whose values follow the run.

The address space mirrors the model: one folder per site, area, line and cell, one object per
equipment with a Double variable per tag and a String variable ``state``. A tag's node id is
the model's ``node_id`` override when it has one (``ns=2;s=Lyon.M1.Mill1.SpindleTemp``), else
``ns=<ns>;s=<tag path>``. Each batch sets every variable to its latest value with the
record's source timestamp. The server runs in its own thread and event loop.

The endpoint offers no security (``NoSecurity``): it is a simulator meant for loopback tests;
bind it to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from concurrent.futures import Future
from typing import Any
from urllib.parse import urlparse

import pyarrow as pa
from asyncua import ua
from asyncua.server.server import Server

from andon.errors import ConnectError
from andon.model import Model
from andon.records import RecordKind

_ua: Any = ua  # asyncua's NewType-style fields do not take plain str, int or datetime

__all__ = ["OpcUaSink"]

NAMESPACE = "urn:andon:sim"


class OpcUaSink:
    """An OPC UA server fed by the simulator; ``close`` stops it."""

    def __init__(self, url: str, *, model: Model) -> None:
        parsed = urlparse(url)
        self.endpoint = f"opc.tcp://{parsed.hostname or '127.0.0.1'}:{parsed.port or 4840}/"
        self.model = model
        self.nodes: dict[str, Any] = {}
        self.node_ids: dict[str, str] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server: Server | None = None
        try:
            self._call(self._start())
        except Exception as exc:  # asyncua raises plain OSError and its own errors
            self._loop.call_soon_threadsafe(self._loop.stop)
            msg = f"cannot start the OPC UA server at {self.endpoint}: {exc}"
            raise ConnectError(msg) from exc

    def _call(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result(timeout=60)

    async def _start(self) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(self.endpoint)
        server.set_server_name(
            f"andon simulator: {self.model.plant.enterprise.name or self.model.root}"
        )
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        ns = await server.register_namespace(NAMESPACE)
        folders: dict[str, Any] = {}
        root = await server.nodes.objects.add_folder(
            _ua.NodeId(self.model.root, ns), self.model.root
        )
        folders[self.model.root] = root
        for path, info in self.model.equipment.items():
            parts = path.split("/")
            parent = root
            for depth in range(2, len(parts)):
                key = "/".join(parts[:depth])
                if key not in folders:
                    folders[key] = await parent.add_folder(_ua.NodeId(key, ns), parts[depth - 1])
                parent = folders[key]
            obj = await parent.add_object(_ua.NodeId(path, ns), parts[-1])
            state = await obj.add_variable(_ua.NodeId(f"{path}/state", ns), "state", "offline")
            self.nodes[path] = state
            self.node_ids[path] = state.nodeid.to_string()
            for tag in info.equipment_class.tags:
                tag_path = f"{path}/{tag.name}"
                override = self.model.tags[tag_path].node_id
                node_id = ua.NodeId.from_string(override) if override else _ua.NodeId(tag_path, ns)
                var = await obj.add_variable(
                    node_id, tag.name, ua.Variant(float("nan"), ua.VariantType.Double)
                )
                self.nodes[tag_path] = var
                self.node_ids[tag_path] = var.nodeid.to_string()
        await server.start()
        self._server = server

    def write(self, kind: RecordKind, table: pa.Table, *, batch_id: str) -> None:
        """Set each tag (samples) or equipment state (states) to its latest value in the batch."""
        del batch_id
        kind = RecordKind(kind)
        if kind not in {RecordKind.SAMPLE, RecordKind.STATE} or table.num_rows == 0:
            return
        column = "value" if kind is RecordKind.SAMPLE else "state"
        latest = table.group_by("path", use_threads=False).aggregate(
            [(column, "last"), ("ts", "max")]
        )
        paths = latest.column("path").to_pylist()
        values = latest.column(f"{column}_last").to_pylist()
        stamps = latest.column("ts_max").to_pylist()
        self._call(self._set(kind, paths, values, stamps))

    async def _set(
        self, kind: RecordKind, paths: list[str], values: list[Any], stamps: list[dt.datetime]
    ) -> None:
        for path, value, stamp in zip(paths, values, stamps, strict=True):
            node = self.nodes.get(path)
            if node is None:
                continue
            if kind is RecordKind.SAMPLE:
                variant = ua.Variant(
                    float("nan") if value is None else float(value), ua.VariantType.Double
                )
                status = _ua.StatusCode(
                    _ua.StatusCodes.Good if value is not None else _ua.StatusCodes.Bad
                )
            else:
                variant = ua.Variant(str(value), ua.VariantType.String)
                status = _ua.StatusCode(_ua.StatusCodes.Good)
            await node.write_value(_ua.DataValue(variant, StatusCode=status, SourceTimestamp=stamp))

    def write_truth(self, name: str, table: pa.Table) -> None:
        """Keep truth out of the address space."""
        del name, table

    def close(self) -> None:
        """Stop the server and its thread."""
        if self._server is not None:
            self._call(self._server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
