"""Three sites, a NATS JetStream cluster, a central PostgreSQL: nothing lost, nothing twice.

Each site is a network namespace with its own broker, plant and ``andon edge run``; the
centre is a three-node NATS cluster with every site's stream replicated three times, a
PostgreSQL of the test's own, one ``andon ingest bus`` per site and ``andon serve``
(``cluster.py``). Faults of every kind are injected in turn while the plants publish: an edge
SIGKILLed mid-stream, a site cut off from the network and reconnected, a NATS node killed
and restarted, the central store crashed and restarted. Then the plants stop, and every
sample a broker acknowledged must be in the store exactly once.

The long run (100 faults and more, minutes-long cut-offs, the throughput target) is
``benchmarks/deploy.py``; it uses the same harness.
"""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest
from cluster import deployment, missing
from faults import FAULT_KINDS, run_faults

pytestmark = [pytest.mark.services, pytest.mark.slow]


@pytest.fixture
def can_deploy() -> None:
    lacking = missing()
    if lacking:
        reason = "the deployment test needs " + ", ".join(lacking)
        if os.environ.get("ANDON_REQUIRE_SERVICES") == "1":
            pytest.fail(f"ANDON_REQUIRE_SERVICES=1 but {reason}")
        pytest.skip(reason)


@pytest.mark.timeout(900)
@pytest.mark.usefixtures("can_deploy")
def test_three_sites_lose_and_duplicate_nothing_through_every_kind_of_fault(
    tmp_path: Path,
) -> None:
    with deployment(tmp_path, rate=300, samples=50) as setup:
        # andon created each site's stream, replicated on the three nodes as it was told
        assert setup.nats.stream_replicas(tuple(s.name for s in setup.sites)) == {
            s.name: 3 for s in setup.sites
        }
        tally = run_faults(setup, faults=2 * len(FAULT_KINDS), seconds=400, outage_s=3.0)
        print(json.dumps(tally.as_json()))  # the totals, in the test's output
        with urllib.request.urlopen(
            f"http://127.0.0.1:{setup.serve_port}/api/v1/health", timeout=10
        ) as answer:
            assert answer.status == 200
        assert setup.quarantined() == 0
        restarts = sum(site.edge_starts for site in setup.sites)
    assert tally.faults == dict.fromkeys(FAULT_KINDS, 2)
    assert restarts == len(setup.sites) + 2  # each SIGKILLed edge came back
    assert all(n > 0 for n in tally.sent.values()), tally.sent
    assert tally.lost == 0, tally.as_json()
    assert tally.duplicated == 0, tally.as_json()
