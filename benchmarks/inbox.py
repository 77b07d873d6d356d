"""The inbox judged on the simulator's truth: precision, recall and decisions per site and day.

The demo's plant (``examples/discrete``) runs a simulated month per seed with the maintenance
app in the loop as in ``andon demo``: the app is fitted once on a separate history run
(run-to-failure, its own seed), proposes once per simulated day, and a planner approves every
proposal the inbox shows and nothing else; the approved actions are carried out by the
simulator's executor (:class:`andon.apps.maintenance.policy.InboxPolicy`). Three variants run
the same seeds:

* ``inbox``: the inbox as it is, its gate on (a proposal asks a person when its value of
  deciding passes the site's threshold or it is urgent);
* ``all_proposals``: the gate off, every proposal shown and approved (the baseline the gate
  must beat on precision and load without losing recall);
* ``condition_threshold``: a fixed-threshold condition rule
  (:class:`andon.sim.ConditionThreshold`), each work order it raises counted as a decision
  shown to a person.

How truth judges (the method). An approved intervention prevents the failure it targets, so
"would have failed" cannot be read off the run. Instead a wrapper policy, which declares
``uses_truth`` and never hands the truth on, records the simulator's hidden state at every
decision epoch: per equipment and failure mode the wear left before the mode fails
(:attr:`andon.sim.TruthView.failure_at_wear`). Between epochs an equipment's wear clock
advances by what its modes lost (a mode whose remaining wear rose was renewed); the realised
wear clock after the decision, extrapolated at the run's mean wear speed past its end, gives
the time at which the mode *would have failed* had nothing been done: the counterfactual
failure time, exact up to the production an intervention itself stops.

* **Precision**: the share of shown decisions truth supports. Work (``intervene``,
  ``expedite``, ``move_production``) on a mode that would have failed within the decision's
  horizon; an order of a part (``order_part``) for a mode that would have failed within the
  horizon plus the part's lead time (the part was then needed); a recovery decision
  (``expedite_part``) on an equipment truly down at the time.
* **Recall**: of the failures of modes that warn (degradation ``wear`` or ``pf``, with
  condition signals; a ``random`` mode's tags show noise only) after the app's first round,
  the share with a timely shown decision on that mode beforehand, in the same life of the
  mode (``recall_all_signalled`` counts every mode with tags and every failure: a
  failure before the first round or of a mode that gives no warning could not be
  caught by any decision, so it bounds the figure from below): a
  maintenance window of the site starts between the decision and the failure, or the
  decision orders the mode's part at least the part's lead time ahead. The failures counted
  are those that happened and those an approved intervention prevented (a renewal that
  truth says came within the horizon of the failure, at the counterfactual failure time;
  the decision that caused it is its timely decision).
* **Decisions per site per day**: shown decisions over sites and simulated days; every round
  a proposal is shown counts (a planner looks at it that day).

Intervals: each figure is pooled over seeds (supported over shown, hits over failures) with
a 95 % bootstrap interval resampling seeds; decisions per site and day also with a t
interval. JSON on stdout and in ``artifacts/benchmarks/inbox.json``, a PNG beside it.

    nice python benchmarks/inbox.py                       # 10 seeds x 30 days, three variants
    python benchmarks/inbox.py --quick                    # small plant, 2 seeds, a few days
    python benchmarks/inbox.py --first-seed 100 --seeds 3 # other seeds (for tuning the gate)
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.compute as pc
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from scipy import stats

from andon.apps.maintenance import MaintenanceApp, MaintenanceSettings
from andon.apps.maintenance.policy import InboxEntry, InboxPolicy
from andon.errors import InsufficientHistoryError
from andon.model import Model, load_model
from andon.sim import (
    ConditionThreshold,
    MaintenancePlan,
    MaintenancePolicy,
    PlantView,
    RunToFailure,
    StoreSink,
    simulate,
)
from andon.store import DuckDBStore
from andon.time import HOUR_US

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "examples" / "discrete"
SMALL = Path(__file__).resolve().parent / "data" / "maintenance_small.yaml"
VARIANTS = ("inbox", "all_proposals", "condition_threshold")
WORK = frozenset({"intervene", "expedite", "move_production"})


# ---------------------------------------------------------------- recording the truth


@dataclass
class TruthRecorder:
    """Wrap a policy: keep the hidden state of every epoch, hand the policy none of it."""

    inner: MaintenancePolicy
    name: str = "truth_recorder"
    uses_truth: bool = True
    times: list[int] = field(default_factory=list)
    remaining: list[dict[tuple[str, str], float]] = field(default_factory=list)
    windows: dict[str, set[int]] = field(default_factory=dict)
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    """(opened at, equipment, failure mode) of every failure work order the plant opened."""
    down: list[frozenset[str]] = field(default_factory=list)
    orders: list[tuple[int, str, tuple[str, ...]]] = field(default_factory=list)
    """(epoch time, equipment, modes) of the work orders a rule policy raised."""

    def decide(self, view: PlantView) -> MaintenancePlan:
        """Record the truth and what the plant showed, then let the wrapped policy decide."""
        truth = view.truth
        assert truth is not None
        self.times.append(view.now_us)
        self.remaining.append(
            {
                (eq, mode): float(left)
                for eq, modes in truth.failure_at_wear.items()
                for mode, left in modes.items()
            }
        )
        self.down.append(view.down)
        for site, spans in view.windows.items():
            self.windows.setdefault(site, set()).update(start for start, _ in spans)
        m = view.maintenance
        if m.num_rows:
            opened = m.filter(
                pc.and_(pc.equal(m["kind"], "failure"), pc.equal(m["event"], "opened"))
            )
            ts = pc.cast(opened["ts"], "int64").to_pylist()
            for t, eq, mode in zip(
                ts,
                opened["path"].to_pylist(),
                opened["failure_mode"].to_pylist(),
                strict=True,
            ):
                for one in str(mode or "").split(","):
                    self.failures.append((int(t), str(eq), one.strip()))
        plan = self.inner.decide(replace(view, truth=None))
        self.orders.extend(
            (view.now_us, order.equipment, order.failure_modes) for order in plan.preventive
        )
        return plan


@dataclass(frozen=True, slots=True)
class Wear:
    """An equipment's realised wear clock at each epoch, for counterfactual failure times."""

    times: np.ndarray
    clock: np.ndarray
    speed_per_us: float

    def time_reaching(self, k: int, amount: float) -> float:
        """Return when the clock has advanced ``amount`` past epoch ``k`` (microseconds)."""
        target = self.clock[k] + amount
        later = np.nonzero(self.clock[k:] >= target)[0]
        if later.size:
            j = k + int(later[0])
            if j == k:
                return float(self.times[k])
            c0, c1 = self.clock[j - 1], self.clock[j]
            share = (target - c0) / max(c1 - c0, 1e-12)
            return float(self.times[j - 1] + share * (self.times[j] - self.times[j - 1]))
        if self.speed_per_us <= 0:
            return float("inf")
        return float(self.times[-1] + (target - self.clock[-1]) / self.speed_per_us)


def wear_clocks(rec: TruthRecorder) -> dict[str, Wear]:
    """Each equipment's wear clock from the epochs' remaining wear (renewals skipped)."""
    equipment = sorted({eq for snap in rec.remaining for eq, _ in snap})
    times = np.asarray(rec.times, dtype=np.float64)
    out: dict[str, Wear] = {}
    for eq in equipment:
        clock = [0.0]
        for k in range(1, len(rec.times)):
            before, now = rec.remaining[k - 1], rec.remaining[k]
            steps = [
                before[key] - now[key]
                for key in now
                if key[0] == eq and key in before and now[key] <= before[key] + 1e-9
            ]
            clock.append(clock[-1] + (float(np.median(steps)) if steps else 0.0))
        arr = np.asarray(clock)
        span = times[-1] - times[0] if len(times) > 1 else 0.0
        speed = float(arr[-1] / span) if span > 0 else 0.0
        out[eq] = Wear(times=times, clock=arr, speed_per_us=speed)
    return out


# ---------------------------------------------------------------- judging


@dataclass(frozen=True, slots=True)
class Shown:
    """A decision a person saw, in the judge's terms."""

    at: int
    k: int
    """Index of its epoch in the recorder."""
    subject: str
    kind: str
    modes: tuple[str, ...]
    parts: tuple[str, ...]
    horizon_h: float


def _life(rec: TruthRecorder, eq: str, mode: str, k: int) -> int:
    """Return the number of renewals of a mode up to epoch ``k`` (its life's number)."""
    n = 0
    for j in range(1, k + 1):
        a, b = rec.remaining[j - 1].get((eq, mode)), rec.remaining[j].get((eq, mode))
        if a is not None and b is not None and b > a + 1e-9:
            n += 1
    return n


def judge(
    rec: TruthRecorder, shown: Sequence[Shown], model: Model, *, end_us: int
) -> dict[str, Any]:
    """Return a run's supported and shown decisions, hits and failures, with the details."""
    clocks = wear_clocks(rec)
    index = {t: k for k, t in enumerate(rec.times)}
    lead_us = {pid: part.lead_time_days * 24 * HOUR_US for pid, part in model.parts.items()}
    modes_of = {
        path: {m.id: m for m in info.equipment_class.failure_modes}
        for path, info in model.equipment.items()
    }

    def would_fail_at(eq: str, mode: str, k: int) -> float:
        left = rec.remaining[k].get((eq, mode))
        if left is None or eq not in clocks:
            return float("inf")
        return clocks[eq].time_reaching(k, max(left, 0.0))

    failed_open: list[tuple[int, str]] = [(t, eq) for t, eq, _ in rec.failures]

    def truly_down(eq: str, k: int) -> bool:
        if eq in rec.down[k]:
            return True
        return any(e == eq and t <= rec.times[k] for t, e in failed_open)

    supported = 0
    by_kind: dict[str, list[int]] = {}
    for s in shown:
        if s.kind == "expedite_part":
            ok = truly_down(s.subject, s.k)
        else:
            first = min((would_fail_at(s.subject, m, s.k) for m in s.modes), default=float("inf"))
            slack = s.horizon_h * HOUR_US
            if s.kind == "order_part" or (s.kind not in WORK and s.parts):
                slack += max((lead_us.get(p, 0.0) for p in s.parts), default=0.0)
            ok = first - s.at <= slack
        supported += int(ok)
        counts = by_kind.setdefault(s.kind, [0, 0])
        counts[0] += int(ok)
        counts[1] += 1
    # Failures of modes with condition signals, and the renewals that prevented one.
    events: list[tuple[float, str, str, int, bool]] = []  # (time, eq, mode, life, prevented)
    for t, eq, mode in rec.failures:
        info = modes_of.get(eq, {}).get(mode)
        if info is None or not info.signals:
            continue
        k = max((j for j, tj in enumerate(rec.times) if tj <= t), default=0)
        events.append((float(t), eq, mode, _life(rec, eq, mode, k), False))
    failed_in = {(eq, mode) for _, eq, mode in rec.failures}
    for k in range(1, len(rec.times)):
        before, now = rec.remaining[k - 1], rec.remaining[k]
        for (eq, mode), left in now.items():
            prior = before.get((eq, mode))
            if prior is None or left <= prior + 1e-9:
                continue
            info = modes_of.get(eq, {}).get(mode)
            if info is None or not info.signals:
                continue
            t0, t1 = rec.times[k - 1], rec.times[k]
            if any(e == eq and m == mode and t0 < t <= t1 for t, e, m in rec.failures):
                continue
            would = would_fail_at(eq, mode, k - 1)
            if would - t0 <= 168 * HOUR_US + (t1 - t0):
                events.append((would, eq, mode, _life(rec, eq, mode, k - 1), True))
    del failed_in
    windows = {site: np.asarray(sorted(v), dtype=np.float64) for site, v in rec.windows.items()}
    shown_by: dict[tuple[str, str], list[Shown]] = {}
    for s in shown:
        for m in s.modes:
            shown_by.setdefault((s.subject, m), []).append(s)
    hits = 0
    counted = 0
    hits_signalled = 0
    missed: list[dict[str, Any]] = []
    lives: dict[tuple[str, str, int], int] = {}
    first_epoch = rec.times[0] if rec.times else 0
    for t_fail, eq, mode, life, prevented in events:
        # Recall counts the failures a decision could have warned of: of a mode that warns by
        # the world's law (wear or pf: a random mode's tags show noise only), after the
        # first round in which the app decided. The count over every mode with tags and
        # every failure is reported beside it (``recall_all_signalled``).
        kind = modes_of[eq][mode].degradation_kind
        warns = kind != "random" and t_fail >= first_epoch
        site = model.equipment[eq].site_path
        starts = windows.get(site, np.asarray([]))
        mine = [
            s
            for s in shown_by.get((eq, mode), [])
            if s.at < t_fail
            and lives.setdefault((eq, mode, s.k), _life(rec, eq, mode, s.k)) == life
        ]

        def timely(s: Shown, t_fail: float = t_fail, starts: np.ndarray = starts) -> bool:
            window = bool(np.any((starts >= s.at) & (starts < t_fail)))
            parts = [lead_us.get(p, 0.0) for p in s.parts]
            ordered = bool(parts) and t_fail - s.at >= max(parts)
            return window or ordered

        hit = bool(mine) and (prevented or any(timely(s) for s in mine))
        hits_signalled += int(hit)
        counted += int(warns)
        hits += int(hit and warns)
        if not hit:
            missed.append(
                {
                    "equipment": eq,
                    "failure_mode": mode,
                    "kind": kind,
                    "at_h": round((t_fail - first_epoch) / HOUR_US, 1),
                    "shown_before": len(mine),
                    "counted": warns,
                }
            )
    del index
    days = (end_us - rec.times[0]) / (24 * HOUR_US) + 1.0 if rec.times else 0.0
    return {
        "shown": len(shown),
        "supported": supported,
        "by_kind": {k: {"supported": v[0], "shown": v[1]} for k, v in sorted(by_kind.items())},
        "failures": counted,
        "prevented": sum(1 for e in events if e[4]),
        "hits": hits,
        "failures_signalled": len(events),
        "hits_signalled": hits_signalled,
        "missed": missed,
        "days": days,
        "sites": len(model.sites),
    }


def shown_of_inbox(rec: TruthRecorder, entries: Sequence[InboxEntry]) -> list[Shown]:
    """The inbox's shown decisions in the judge's terms."""
    index = {t: k for k, t in enumerate(rec.times)}
    return [
        Shown(
            at=e.round_at,
            k=index[e.round_at],
            subject=e.subject,
            kind=e.kind,
            modes=e.failure_modes,
            parts=e.parts_ordered,
            horizon_h=e.horizon_h or 168.0,
        )
        for e in entries
        if e.shown and e.round_at in index
    ]


def shown_of_rule(rec: TruthRecorder, model: Model, *, window_h: float) -> list[Shown]:
    """A rule's work orders as decisions (an order for no mode names every mode)."""
    index = {t: k for k, t in enumerate(rec.times)}
    out: list[Shown] = []
    for at, eq, modes in rec.orders:
        names = modes or tuple(m.id for m in model.equipment[eq].equipment_class.failure_modes)
        out.append(
            Shown(
                at=at,
                k=index[at],
                subject=eq,
                kind="intervene",
                modes=names,
                parts=(),
                horizon_h=window_h,
            )
        )
    return out


# ---------------------------------------------------------------- statistics


def pooled(num: list[float], den: list[float], rng: np.random.Generator) -> dict[str, Any]:
    """Pooled ratio over seeds with a 95 % bootstrap interval resampling seeds."""
    n, d = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    if d.sum() <= 0:
        return {"point": None, "ci95": [None, None]}
    point = float(n.sum() / d.sum())
    boots = []
    for _ in range(4000):
        idx = rng.integers(0, len(n), len(n))
        if d[idx].sum() > 0:
            boots.append(n[idx].sum() / d[idx].sum())
    low, high = np.percentile(boots, [2.5, 97.5]) if boots else (point, point)
    return {"point": round(point, 3), "ci95": [round(float(low), 3), round(float(high), 3)]}


def t_interval(values: list[float]) -> dict[str, Any]:
    """Mean with a 95 % t interval over seeds."""
    a = np.asarray(values, dtype=float)
    mean = float(a.mean())
    if len(a) < 2:
        return {"mean": round(mean, 3), "ci95": [round(mean, 3), round(mean, 3)]}
    half = float(stats.t.ppf(0.975, len(a) - 1) * a.std(ddof=1) / np.sqrt(len(a)))
    return {"mean": round(mean, 3), "ci95": [round(mean - half, 3), round(mean + half, 3)]}


def summarise(rows: list[dict[str, Any]], rng: np.random.Generator) -> dict[str, Any]:
    """The variant's figures over seeds."""
    per_day = [r["shown"] / (r["sites"] * r["days"]) for r in rows]
    kinds: dict[str, list[int]] = {}
    for r in rows:
        for kind, v in r["by_kind"].items():
            acc = kinds.setdefault(kind, [0, 0])
            acc[0] += v["supported"]
            acc[1] += v["shown"]
    return {
        "precision": pooled([r["supported"] for r in rows], [r["shown"] for r in rows], rng),
        "recall": pooled([r["hits"] for r in rows], [r["failures"] for r in rows], rng),
        "recall_all_signalled": pooled(
            [r["hits_signalled"] for r in rows], [r["failures_signalled"] for r in rows], rng
        ),
        "decisions_per_site_day": {
            **pooled([r["shown"] for r in rows], [r["sites"] * r["days"] for r in rows], rng),
            "t_interval": t_interval(per_day),
        },
        "shown": sum(r["shown"] for r in rows),
        "proposals": sum(r.get("proposals", r["shown"]) for r in rows),
        "urgent_shown": sum(r.get("urgent_shown", 0) for r in rows),
        "warned_failures": sum(r["failures"] for r in rows),
        "signalled_failures": sum(r["failures_signalled"] for r in rows),
        "of_which_prevented": sum(r["prevented"] for r in rows),
        "by_kind": {k: {"supported": v[0], "shown": v[1]} for k, v in sorted(kinds.items())},
        "per_seed": [
            {k: r[k] for k in ("seed", "shown", "supported", "failures", "hits", "prevented")}
            for r in rows
        ],
        "missed_examples": [m for r in rows for m in r["missed"]][:12],
        "simulation_cpu_seconds": round(sum(r["cpu_seconds"] for r in rows), 1),
    }


# ---------------------------------------------------------------- running


# What the fitted models depend on; the inbox's own modules (advice, inbox, plan, policy)
# do not change them, so a fit is reused while only those change.
_FIT_SOURCES = ("app.py", "assess.py", "features.py", "history.py", "pooled.py", "risk.py")


def _fit_key(model: Model, args: argparse.Namespace) -> str:
    digest = hashlib.sha256()
    for file in sorted(model.files):
        digest.update(Path(file).read_bytes())
    for name in _FIT_SOURCES:
        digest.update((ROOT / "src" / "andon" / "apps" / "maintenance" / name).read_bytes())
    for folder in ("sim", "model"):
        for file in sorted((ROOT / "src" / "andon" / folder).rglob("*.py")):
            digest.update(file.read_bytes())
    digest.update(f"{args.history_days}|{args.history_seed}|{args.rate_s}|{args.rounds}".encode())
    return digest.hexdigest()[:16]


def fit_app(model: Model, args: argparse.Namespace) -> tuple[MaintenanceApp, dict[str, Any]]:
    """Fit the app on its own run-to-failure history, as the demo fits on its history.

    The fitted app is kept in ``--out`` (a pickle named by what it depends on) for re-runs.
    """
    cached = args.out / f"inbox_fit_{_fit_key(model, args)}.pickle"
    if not args.quick and cached.exists():
        kept: tuple[MaintenanceApp, dict[str, Any]] = pickle.loads(cached.read_bytes())
        return kept[0], {**kept[1], "reused": cached.name}  # our own file, written below
    history = DuckDBStore(None)
    trained = simulate(
        model,
        days=args.history_days,
        seed=args.history_seed,
        policy=RunToFailure(),
        sink=StoreSink(history),
        sample_rate_s=args.rate_s,
    )
    app = MaintenanceApp(settings=MaintenanceSettings(rounds=args.rounds))
    report: dict[str, Any]
    try:
        fit = app.fit(history, model, until=trained.end_us)
        report = {"version": fit.version, "notes": list(fit.notes)}
    except InsufficientHistoryError as exc:
        report = {"version": None, "notes": [str(exc)]}
    history.close()
    if not args.quick:
        args.out.mkdir(parents=True, exist_ok=True)
        cached.write_bytes(pickle.dumps((app, report)))
    return app, report


def run_one(
    variant: str, app: MaintenanceApp, model: Model, seed: int, args: argparse.Namespace
) -> dict[str, Any]:
    """Simulate one seed under one variant and judge its shown decisions."""
    started = time.process_time()
    inner: MaintenancePolicy
    inbox: InboxPolicy | None = None
    if variant == "condition_threshold":
        inner = ConditionThreshold(threshold=args.threshold)
    else:
        inbox = InboxPolicy(app=app, show_all=variant == "all_proposals")
        inner = inbox
    rec = TruthRecorder(inner=inner)
    result = simulate(model, days=args.days, seed=seed, policy=rec, sample_rate_s=args.rate_s)
    if inbox is not None:
        shown = shown_of_inbox(rec, inbox.entries)
        inbox.store.close()
    else:
        shown = shown_of_rule(rec, model, window_h=168.0)
    row = judge(rec, shown, model, end_us=result.end_us)
    row["seed"] = seed
    row["cpu_seconds"] = time.process_time() - started
    if inbox is not None:
        row["proposals"] = len(inbox.entries)
        row["urgent_shown"] = sum(1 for e in inbox.entries if e.shown and e.urgent)
    return row


def chart(report: dict[str, Any], path: Path) -> None:
    """Save the three figures per variant with their intervals."""
    import matplotlib as mpl  # noqa: PLC0415  (chart only)

    mpl.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    variants = list(report["variants"])
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    for ax, (key, title, bound) in zip(
        axes,
        (
            ("precision", "precision", 0.6),
            ("recall", "recall (wear failures)", 0.6),
            ("decisions_per_site_day", "decisions per site per day", 10.0),
        ),
        strict=True,
    ):
        points = [report["variants"][v][key]["point"] or 0.0 for v in variants]
        cis = [report["variants"][v][key]["ci95"] for v in variants]
        lows = [p - (c[0] if c[0] is not None else p) for p, c in zip(points, cis, strict=True)]
        highs = [(c[1] if c[1] is not None else p) - p for p, c in zip(points, cis, strict=True)]
        ax.bar(range(len(variants)), points, yerr=[lows, highs], capsize=4, color="#4a7ab0")
        ax.axhline(bound, color="#b04a4a", linestyle="--", linewidth=1)
        ax.set_xticks(range(len(variants)), [v.replace("_", "\n") for v in variants], fontsize=8)
        ax.set_title(title, fontsize=10)
    fig.suptitle(f"{report['seeds']} seeds x {report['days']:g} days, 95 % intervals", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small plant, 2 seeds, a few days")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--history-days", type=float, default=180.0)
    parser.add_argument("--history-seed", type=int, default=5_000)
    parser.add_argument("--rate-s", type=float, default=3600.0, help="sample interval, s")
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--threshold", type=float, default=0.15, help="condition rule's drift")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--urgent-risk",
        type=float,
        default=None,
        help="the gate's urgency bound instead of the app's default (for tuning seeds)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "artifacts" / "benchmarks")
    args = parser.parse_args(argv)
    plant = DEMO
    if args.quick:
        args.seeds, args.days, args.history_days, args.rounds = 2, 6.0, 40.0, 30
        plant = SMALL
    variants = [v for v in args.variants.split(",") if v]
    unknown = set(variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; known: {', '.join(VARIANTS)}")
    wall, cpu = time.perf_counter(), time.process_time()
    load_before = os.getloadavg()
    model = load_model(plant)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    console = Console(stderr=True)
    rows: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("fitting the app on its history", total=1 + len(rows) * len(seeds))
        app, fit_report = fit_app(model, args)
        if args.urgent_risk is not None:
            app = app.with_settings(replace(app.settings, urgent_risk=args.urgent_risk))
        progress.advance(task)
        for seed in seeds:
            for variant in variants:
                progress.update(task, description=f"seed {seed}: {variant}")
                rows[variant].append(run_one(variant, app, model, seed, args))
                progress.advance(task)
    rng = np.random.default_rng(0)
    report: dict[str, Any] = {
        "benchmark": "inbox",
        "command": " ".join(["python", "benchmarks/inbox.py", *(argv or sys.argv[1:])]),
        "plant": str(plant.relative_to(ROOT)),
        "quick": args.quick,
        "seeds": len(seeds),
        "evaluation_seeds": seeds,
        "days": args.days,
        "history_days": args.history_days,
        "fit": fit_report,
        "urgent_risk": app.settings.urgent_risk,
        "targets": {"precision": 0.6, "recall": 0.6, "decisions_per_site_day": 10.0},
        "variants": {v: summarise(r, rng) for v, r in rows.items()},
        "seconds": round(time.perf_counter() - wall, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
        "load_average_1m": {"start": round(load_before[0], 2), "end": round(os.getloadavg()[0], 2)},
        "cpus": os.cpu_count(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    name = "inbox_quick" if args.quick else f"inbox_s{args.first_seed}"
    if args.urgent_risk is not None:
        name += f"_u{args.urgent_risk:g}"
    (args.out / f"{name}.json").write_text(json.dumps(report, indent=2))
    chart(report, args.out / f"{name}.png")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
