"""``andon serve`` stopped by its service manager (SIGTERM) or Ctrl-C (SIGINT) exits 0 and
closes its store: a DuckDB file is left whole, with no write-ahead log beside it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_stopped_server_closes_its_duckdb_file(tmp_path: Path, stop: signal.Signals) -> None:
    store = tmp_path / "plant.duckdb"
    port = _free_port()
    command = [sys.executable, "-m", "andon", "serve", "--store", f"duckdb:///{store}"]
    command += ["--model", str(ROOT / "examples" / "discrete"), "--port", str(port)]
    command += ["--apps", "none"]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert server.poll() is None, server.communicate()[1].decode()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/health", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.3)
        assert store.with_name(store.name + ".wal").exists()  # it wrote: the log holds it
        server.send_signal(stop)
        _, err = server.communicate(timeout=60)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, err.decode()[-2000:]
    assert store.exists()
    assert not store.with_name(store.name + ".wal").exists()
