"""A site's plant for the deployment test: publishes numbered samples as UNS JSON, QoS 1.

Run inside a site's network namespace, against the site's own broker::

    python publisher.py --url 127.0.0.1:1883 --prefix tri/north/plant/l1/c1 --rate 2000 \
        --counts counts.json

Every message holds ``--samples`` samples of one tag in the column form, stamped with the
time it is published (microseconds, strictly increasing per tag). A sample counts as sent
once the broker has acknowledged its message (PUBACK); the counts file is replaced every
half second and at the end. SIGTERM stops publishing, waits for the acknowledgements still
due, and writes the final counts.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from pathlib import Path

import paho.mqtt.client as paho

TAGS = ("flow", "pressure")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="127.0.0.1:1883", help="broker host:port")
    parser.add_argument("--prefix", required=True, help="cell path; machines p1 and p2 below")
    parser.add_argument("--rate", type=float, default=1000.0, help="samples per second")
    parser.add_argument("--samples", type=int, default=100, help="samples per message")
    parser.add_argument("--counts", type=Path, required=True, help="where the counts go")
    args = parser.parse_args()

    host, _, port = args.url.partition(":")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    lock = threading.Lock()
    pending: dict[int, int] = {}
    acked = {"samples": 0, "messages": 0}
    connected = threading.Event()

    def on_publish(_c: object, _u: object, mid: int, _rc: object, _p: object) -> None:
        with lock:
            size = pending.pop(mid, 0)
            acked["samples"] += size
            acked["messages"] += 1 if size else 0

    def on_connect(_c: object, _u: object, _f: object, rc: object, _p: object) -> None:
        if not getattr(rc, "is_failure", False):
            connected.set()

    client = paho.Client(
        callback_api_version=paho.CallbackAPIVersion.VERSION2,
        client_id=f"plant-{os.getpid()}",
        clean_session=False,
    )
    client.max_inflight_messages_set(200)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.on_connect = on_connect
    client.connect(host, int(port or 1883))
    client.loop_start()
    connected.wait(30)

    def write_counts(final: bool) -> None:
        with lock:
            document = {**acked, "pending": len(pending), "final": final}
        temporary = args.counts.with_suffix(".tmp")
        temporary.write_text(json.dumps(document), encoding="utf-8")
        temporary.replace(args.counts)

    last_ts = dict.fromkeys((f"p{m}/{t}" for m in (1, 2) for t in TAGS), 0)
    keys = list(last_ts)
    interval = args.samples / args.rate
    next_at = time.monotonic()
    last_write = 0.0
    k = 0
    while not stop.is_set():
        key = keys[k % len(keys)]
        k += 1
        now_us = time.time_ns() // 1000
        first = max(now_us, last_ts[key] + 1)
        ts = list(range(first, first + args.samples))
        last_ts[key] = ts[-1]
        values = [float(t % 1000) for t in ts]
        payload = json.dumps({"ts": ts, "ts_unit": "us", "value": values}).encode()
        machine, tag = key.split("/")
        with lock:
            info = client.publish(f"{args.prefix}/{machine}/sample/{tag}", payload, qos=1)
            pending[info.mid] = args.samples
        if time.monotonic() - last_write > 0.5:
            write_counts(final=False)
            last_write = time.monotonic()
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            stop.wait(delay)
        elif delay < -1.0:
            next_at = time.monotonic()  # fell behind by a second: do not burst to catch up
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with lock:
            if not pending:
                break
        time.sleep(0.05)
    write_counts(final=True)
    client.loop_stop()
    client.disconnect()


if __name__ == "__main__":
    main()
