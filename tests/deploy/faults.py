"""Faults to inject into a running deployment, and the count of what arrived after them."""

from __future__ import annotations

import contextlib
import itertools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from cluster import Deployment, wait_until

FAULT_KINDS = ("edge_sigkill", "site_cut_off", "nats_node_killed", "store_restarted")


@dataclass
class Tally:
    """What was injected, sent and stored."""

    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 0))
    sent: dict[str, int] = field(default_factory=dict)
    stored: dict[str, int] = field(default_factory=dict)
    distinct: dict[str, int] = field(default_factory=dict)
    drain_s: float = 0.0
    wall_s: float = 0.0

    @property
    def lost(self) -> int:
        return sum(max(0, self.sent[s] - self.distinct.get(s, 0)) for s in self.sent)

    @property
    def duplicated(self) -> int:
        return sum(self.stored.get(s, 0) - self.distinct.get(s, 0) for s in self.sent)

    @property
    def injected(self) -> int:
        return sum(self.faults.values())

    def as_json(self) -> dict[str, object]:
        return {
            "faults": self.faults,
            "faults_total": self.injected,
            "sent": self.sent,
            "stored": self.stored,
            "distinct": self.distinct,
            "lost": self.lost,
            "duplicated": self.duplicated,
            "drain_s": round(self.drain_s, 1),
            "wall_s": round(self.wall_s, 1),
        }


def inject(setup: Deployment, kind: str, rng: random.Random, *, outage_s: float) -> None:
    """Inject one fault of ``kind`` and repair it after ``outage_s`` seconds."""
    if kind == "edge_sigkill":
        site = rng.choice(setup.sites)
        site.kill_edge()
        time.sleep(outage_s)
        site.start_edge()
    elif kind == "site_cut_off":
        site = rng.choice(setup.sites)
        site.cut_off()
        time.sleep(outage_s)
        site.reconnect()
    elif kind == "nats_node_killed":
        index = rng.randrange(3)
        setup.nats.kill_node(index)
        time.sleep(outage_s)
        setup.nats.start_node(index)
        wait_until(lambda: setup.nats.jsz(index).get("meta_cluster", {}).get("leader"), 60, "")
    elif kind == "store_restarted":
        setup.postgres.crash_and_restart()
        time.sleep(outage_s)
    else:
        msg = f"unknown fault kind {kind!r}"
        raise ValueError(msg)


def run_faults(
    setup: Deployment,
    *,
    faults: int,
    seconds: float,
    outage_s: float = 3.0,
    settle_s: float = 1.0,
    seed: int = 1,
    drain_timeout_s: float = 300.0,
    on_fault: Callable[[int, str], None] | None = None,
) -> Tally:
    """Inject up to ``faults`` faults in turn over at most ``seconds``, then stop the plants
    and wait until the store holds everything sent (or ``drain_timeout_s`` passes)."""
    rng = random.Random(seed)
    tally = Tally()
    started = time.monotonic()
    kinds = itertools.cycle(FAULT_KINDS)
    for number in range(faults):
        if time.monotonic() - started > seconds:
            break
        kind = next(kinds)
        inject(setup, kind, rng, outage_s=outage_s)
        tally.faults[kind] += 1
        if on_fault is not None:
            on_fault(number + 1, kind)
        time.sleep(settle_s)
    for site in setup.sites:
        tally.sent[site.name] = site.stop_plant()
    drain_started = time.monotonic()

    def complete() -> bool:
        stored = setup.stored()
        return all(stored.get(s, (0, 0))[1] >= n for s, n in tally.sent.items())

    with contextlib.suppress(TimeoutError):  # what did not arrive is counted as lost below
        wait_until(complete, drain_timeout_s, "every sent sample in the store")
    tally.drain_s = time.monotonic() - drain_started
    time.sleep(2.0)  # anything still in flight would show as a duplicate now
    for name, (total, distinct) in setup.stored().items():
        tally.stored[name] = total
        tally.distinct[name] = distinct
    tally.wall_s = time.monotonic() - started
    return tally
