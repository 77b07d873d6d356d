"""The simulator's hot-path shortcuts give exactly what the numpy calls they replace give."""

from __future__ import annotations

import numpy as np

from andon.sim.engine import _interp
from andon.sim.wear import draw_path


def test_interp_matches_numpy_to_the_last_bit() -> None:
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(2, 40))
        xp = np.sort(rng.uniform(-5.0, 50.0, n))
        if n > 3:
            xp[1] = xp[2]  # a repeated knot
        fp = rng.uniform(0.0, 1.0, n)
        xs = np.concatenate([rng.uniform(-10.0, 60.0, 30), xp, [xp[0], xp[-1]]])
        want = np.interp(xs, xp, fp)
        got = np.array([_interp(float(x), xp.tolist(), fp.tolist()) for x in xs])
        assert np.array_equal(want, got)


def test_interp_along_drawn_health_paths() -> None:
    rng = np.random.default_rng(5)
    for kind in ("wear", "pf"):
        path = draw_path(
            rng, mtbf_h=400.0, shape=6.0, signal=True, offset=12.5, kind=kind, pf_interval_h=80.0
        )
        wear = np.linspace(0.0, path.fail_w + 10.0, 997)
        want = path.health(wear)
        got = [_interp(float(w) - path.offset, path.w.tolist(), path.x.tolist()) for w in wear]
        assert np.array_equal(want, np.array(got))
        assert got[-1] == 1.0


def test_interp_nan_stays_nan() -> None:
    assert np.isnan(_interp(float("nan"), [0.0, 1.0], [0.0, 1.0]))


def test_cost_by_kind_adds_up_to_the_work_orders_money() -> None:
    from andon.model import load_model  # noqa: PLC0415
    from andon.sim import FixedInterval, simulate  # noqa: PLC0415

    model = load_model("examples/discrete")
    result = simulate(model, days=3, seed=2, policy=FixedInterval(fraction=0.05, window_h=0.0))
    m = result.maintenance
    by_kind = result.cost_by_kind
    assert set(by_kind) == {"wear", "pf", "random"}
    assert all(v >= 0.0 for v in by_kind.values())
    # Every work order's money goes to a kind; only expedite fees and holding stay out.
    # Open work at the end is charged its downtime, not labour or parts (as the totals are).
    expected = m.total - m.expedite_cost - m.holding_cost
    assert abs(sum(by_kind.values()) - expected) < 1e-6 * max(expected, 1.0)
    assert m.preventive_count > 0
