"""How failure modes degrade: wear (gamma process), pf (the P-F curve) and random (no warning).

Each kind keeps the mode's mean wear to failure at ``mtbf_h``; a pf path is flat until its
potential failure and reaches 1 exactly at failure over a P-F interval with the declared mean
and cv; a random path shows nothing. Models that declare no kind simulate as before.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.sim.conftest import TINY

from andon.errors import ModelError, Problem
from andon.model import Model, load_model
from andon.model.schema import FailureMode, PlantModel
from andon.sim import MemorySink, simulate
from andon.sim.wear import (
    DegradationKind,
    HealthPath,
    draw_path,
    failure_probability_of,
    initial_path,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CONFORMANCE = Path(__file__).resolve().parents[1] / "conformance" / "plant.yaml"

MTBF = 400.0
PF = 120.0
CV = 0.3
DRAWS = 4000


def _fresh(kind: DegradationKind, seed: int, n: int = DRAWS) -> list[HealthPath]:
    rng = np.random.default_rng(seed)
    return [
        draw_path(
            rng,
            mtbf_h=MTBF,
            shape=6.0,
            signal=True,
            offset=0.0,
            kind=kind,
            pf_interval_h=PF,
            pf_cv=CV,
        )
        for _ in range(n)
    ]


@pytest.mark.parametrize("kind", ["wear", "pf", "random"])
def test_mean_wear_to_failure_is_the_mtbf_for_every_kind(kind: DegradationKind) -> None:
    lives = np.array([p.fail_w for p in _fresh(kind, seed=3)])
    standard_error = lives.std(ddof=1) / np.sqrt(lives.size)
    assert abs(lives.mean() - MTBF) < 4.0 * standard_error, (lives.mean(), standard_error)
    assert (lives > 0.0).all()


def test_pf_path_is_flat_before_onset_and_reaches_one_exactly_at_failure() -> None:
    paths = _fresh("pf", seed=5)
    onsets = np.array([p.w[1] for p in paths])
    intervals = np.array([p.fail_w - p.offset - p.w[1] for p in paths])
    for path, onset, interval in zip(paths[:200], onsets, intervals, strict=False):
        before = np.linspace(0.0, onset, 7)
        assert np.all(path.health(before) == 0.0)
        assert float(path.health(path.fail_w)) == 1.0
        assert float(path.health(path.fail_w - 1e-6 * interval)) < 1.0
        # convex: half-way through the P-F interval, a quarter of the way to failure
        assert float(path.health(onset + interval / 2.0)) == pytest.approx(0.25, abs=0.01)
        health = path.health(np.linspace(0.0, path.fail_w, 200))
        assert np.all(np.diff(health) >= 0.0)
    assert intervals.mean() == pytest.approx(PF, rel=0.03)
    assert intervals.std(ddof=1) / intervals.mean() == pytest.approx(CV, rel=0.08)
    # the onset is age-independent: exponential, its mean the MTBF less the P-F interval
    assert onsets.mean() == pytest.approx(MTBF - PF, rel=0.06)
    assert onsets.std(ddof=1) / onsets.mean() == pytest.approx(1.0, rel=0.08)


def test_pf_interval_without_spread_is_the_declared_one() -> None:
    rng = np.random.default_rng(1)
    path = draw_path(
        rng, mtbf_h=MTBF, shape=6.0, signal=True, offset=50.0, kind="pf", pf_interval_h=PF, pf_cv=0
    )
    assert path.fail_w - path.offset - path.w[1] == pytest.approx(PF)
    assert float(path.health(path.fail_w)) == 1.0


def test_random_paths_show_no_signal_even_for_a_mode_with_signals() -> None:
    for path in _fresh("random", seed=9, n=300):
        assert not path.signal
        wear = np.linspace(-10.0, path.fail_w + 10.0, 50)
        assert np.all(path.health(wear) == 0.0)


def test_pf_needs_an_interval_below_the_mtbf() -> None:
    rng = np.random.default_rng(0)
    for bad in (None, MTBF, MTBF + 1.0):
        with pytest.raises(ValueError, match="pf_interval_h"):
            draw_path(
                rng, mtbf_h=MTBF, shape=6.0, signal=True, offset=0.0, kind="pf", pf_interval_h=bad
            )


def test_pf_mode_mid_life_is_inside_its_pf_interval_with_the_right_probability() -> None:
    rng = np.random.default_rng(11)
    paths = [
        initial_path(
            rng,
            mtbf_h=MTBF,
            shape=6.0,
            signal=True,
            age_share=1.0,
            kind="pf",
            pf_interval_h=PF,
            pf_cv=CV,
        )
        for _ in range(DRAWS)
    ]
    inside = np.array([float(p.health(0.0)) > 0.0 or p.w[1] + p.offset <= 0.0 for p in paths])
    share = PF / MTBF
    assert abs(inside.mean() - share) < 4.0 * np.sqrt(share * (1 - share) / DRAWS)
    # the residual life of an equilibrium renewal process: E[L^2] / (2 E[L])
    second_moment = PF**2 * (1 + CV**2) + 2 * PF * (MTBF - PF) + 2 * (MTBF - PF) ** 2
    residual = np.array([p.fail_w for p in paths])
    assert residual.mean() == pytest.approx(second_moment / (2 * MTBF), rel=0.06)
    assert (residual > 0.0).all()


@pytest.mark.parametrize("signal", [True, False])
def test_the_default_kind_draws_as_before(signal: bool) -> None:
    """No kind given: wear for a mode with signals, random without, the same draws."""
    kind: DegradationKind = "wear" if signal else "random"
    a, b = np.random.default_rng(4), np.random.default_rng(4)
    fresh = (
        draw_path(a, mtbf_h=MTBF, shape=6.0, signal=signal, offset=0.0),
        draw_path(b, mtbf_h=MTBF, shape=6.0, signal=signal, offset=0.0, kind=kind),
    )
    aged = (
        initial_path(a, mtbf_h=MTBF, shape=6.0, signal=signal, age_share=1.0),
        initial_path(b, mtbf_h=MTBF, shape=6.0, signal=signal, age_share=1.0, kind=kind),
    )
    for left, right in (fresh, aged):
        assert left.fail_w == right.fail_w
        assert left.offset == right.offset
        assert np.array_equal(left.x, right.x)
        assert left.signal is right.signal is signal


def _problems(tmp_path: Path, mode: str) -> list[Problem]:
    text = TINY.replace("MTBF_WEAR", "40").replace("MTBF_SHOCK", "60")
    old = "      - {id: bearing, mtbf_h: 5000, repair_h: 4, signals: [motor_vibration]}"
    assert old in text
    file = tmp_path / "tiny.yaml"
    file.write_text(text.replace(old, mode), encoding="utf-8")
    with pytest.raises(ModelError) as caught:
        load_model(file)
    return list(caught.value.problems)


_LINE = TINY.splitlines().index(
    "      - {id: bearing, mtbf_h: 5000, repair_h: 4, signals: [motor_vibration]}"
)


_BEARING = "      - {id: bearing, mtbf_h: 5000, repair_h: 4, "


@pytest.mark.parametrize(
    ("mode", "code"),
    [
        (_BEARING + "degradation: pf, signals: [motor_vibration]}", "model.bad_pf_interval"),
        (
            _BEARING + "degradation: pf, pf_interval_h: 5000, signals: [motor_vibration]}",
            "model.bad_pf_interval",
        ),
        (
            _BEARING + "degradation: pf, pf_interval_h: 9000, signals: [motor_vibration]}",
            "model.bad_pf_interval",
        ),
        (_BEARING + "degradation: pf, pf_interval_h: 500}", "model.pf_without_signal"),
    ],
)
def test_bad_degradation_is_refused_with_its_location(tmp_path: Path, mode: str, code: str) -> None:
    problems = _problems(tmp_path, mode)
    assert [p.code for p in problems] == [code], problems
    (problem,) = problems
    assert problem.file is not None
    assert problem.file.endswith("tiny.yaml")
    assert problem.line == _LINE + 1
    assert problem.path == "compressor/bearing"
    assert problem.expected


def test_an_unknown_kind_is_refused(tmp_path: Path) -> None:
    mode = _BEARING + "degradation: sudden}"
    problems = _problems(tmp_path, mode)
    assert [p.code for p in problems] == ["schema.literal_error"], problems
    assert problems[0].line == _LINE + 1


def test_a_valid_pf_mode_loads(tmp_path: Path) -> None:
    text = TINY.replace("MTBF_WEAR", "40").replace("MTBF_SHOCK", "60")
    text = text.replace(
        "signals: [motor_vibration]}",
        "signals: [motor_vibration], degradation: pf, pf_interval_h: 900, pf_cv: 0.4}",
    )
    file = tmp_path / "tiny.yaml"
    file.write_text(text, encoding="utf-8")
    mode = load_model(file).classes["compressor"].failure_modes[0]
    assert (mode.degradation_kind, mode.pf_interval_h, mode.pf_cv) == ("pf", 900.0, 0.4)


def test_models_without_kinds_load_with_the_default_kind(tmp_path: Path) -> None:
    text = TINY.replace("MTBF_WEAR", "40").replace("MTBF_SHOCK", "60")
    file = tmp_path / "tiny.yaml"
    file.write_text(text, encoding="utf-8")
    models = [load_model(file)]
    if CONFORMANCE.exists():
        models.append(load_model(CONFORMANCE))
    seen = set()
    for model in models:
        for cls in model.classes.values():
            for mode in cls.failure_modes:
                assert mode.degradation is None
                assert mode.degradation_kind == ("wear" if mode.signals else "random")
                seen.add(mode.degradation_kind)
    assert seen == {"wear", "random"}


def _with_kinds(model: Model, kind_of: dict[str, DegradationKind | None]) -> Model:
    """Return the model with each named mode's degradation replaced (``None``: undeclared)."""

    def mode(m: FailureMode) -> FailureMode:
        if m.id not in kind_of:
            return m
        kind = kind_of[m.id]
        interval = m.pf_interval_h if kind == "pf" else None
        return m.model_copy(update={"degradation": kind, "pf_interval_h": interval})

    plant: PlantModel = model.plant
    classes = tuple(
        c.model_copy(update={"failure_modes": tuple(mode(m) for m in c.failure_modes)})
        for c in plant.equipment_classes
    )
    return Model(plant.model_copy(update={"equipment_classes": classes}), files=model.files)


def _records(model: Model) -> MemorySink:
    sink = MemorySink()
    simulate(model, days=1.0, seed=5, sink=sink, scenario=EXAMPLES / "discrete" / "acme.scenario")
    return sink


def test_undeclared_kinds_simulate_exactly_as_the_default_kinds() -> None:
    """The discrete example with no kind declared gives the records it gave before kinds."""
    base = load_model(EXAMPLES / "discrete")
    modes = [m for c in base.plant.equipment_classes for m in c.failure_modes]
    legacy: dict[str, DegradationKind | None] = {
        m.id: ("wear" if m.signals else "random") for m in modes
    }
    first = _records(_with_kinds(base, dict.fromkeys(legacy)))
    second = _records(_with_kinds(base, legacy))
    assert set(first.tables) == set(second.tables)
    for kind in first.tables:
        assert first.table(kind).equals(second.table(kind)), kind
    assert first.table("sample").num_rows > 0


def test_a_world_of_other_kinds_differs_from_the_default_one() -> None:
    """Declaring kinds changes the simulated world (so the equality above could fail)."""
    base = load_model(EXAMPLES / "discrete")
    modes = [m for c in base.plant.equipment_classes for m in c.failure_modes]
    plain = _records(_with_kinds(base, dict.fromkeys(m.id for m in modes)))
    signalled = {m.id for m in modes if m.signals}
    all_random = _records(_with_kinds(base, dict.fromkeys(signalled, "random")))
    assert signalled
    assert not plain.table("sample").equals(all_random.table("sample"))


@given(
    mtbf=st.floats(min_value=1.0, max_value=1e6),
    share=st.floats(min_value=1e-6, max_value=0.999999),
    cv=st.floats(min_value=0.0, max_value=5.0),
    offset=st.floats(min_value=-1e6, max_value=1e6),
    age_share=st.floats(min_value=1e-3, max_value=1.0),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
@settings(max_examples=200, deadline=None)
def test_any_pf_law_gives_a_path_that_rises_to_failure(
    mtbf: float, share: float, cv: float, offset: float, age_share: float, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    law = {"mtbf_h": mtbf, "shape": 6.0, "signal": True, "kind": "pf", "pf_cv": cv}
    fresh = draw_path(rng, offset=offset, pf_interval_h=share * mtbf, **law)  # type: ignore[arg-type]
    aged = initial_path(rng, age_share=age_share, pf_interval_h=share * mtbf, **law)  # type: ignore[arg-type]
    for path in (fresh, aged):
        assert np.isfinite(path.fail_w)
        assert path.fail_w >= path.offset
        wear = np.linspace(path.offset - 1.0, path.fail_w, 64)
        health = path.health(wear)
        assert np.all((health >= 0.0) & (health <= 1.0))
        assert np.all(np.diff(health) >= 0.0)
        assert float(path.health(path.fail_w)) == 1.0
    assert aged.offset <= 0.0


def _mode(kind: DegradationKind, cv: float = CV) -> FailureMode:
    return FailureMode(
        id="m",
        mtbf_h=MTBF,
        repair_h=4.0,
        signals=("sig",),
        degradation=kind,
        pf_interval_h=PF if kind == "pf" else None,
        pf_cv=cv,
    )


@pytest.mark.parametrize("kind", ["wear", "pf", "random"])
def test_the_true_law_of_each_kind_follows_its_simulated_paths(kind: DegradationKind) -> None:
    """P(fail within w) of a new mode, by its kind's law, against 4,000 drawn lives."""
    lives = np.array([p.fail_w for p in _fresh(kind, seed=11)])
    mode = _mode(kind)
    for wear_h in (60.0, 200.0, 400.0, 800.0):
        empirical = float(np.mean(lives <= wear_h))
        law = failure_probability_of(mode, 0.0, shape=6.0, wear_h=wear_h)
        # 4,000 lives: the binomial standard error is at most 0.008
        assert law == pytest.approx(empirical, abs=0.03), (kind, wear_h)
    assert failure_probability_of(mode, 0.5, shape=6.0, wear_h=0.0) == 0.0


def test_the_pf_law_reads_the_interval_left_from_health() -> None:
    """Half way through the P-F interval (health 0.25, a knot of the path) the wear left is
    half the path's interval: the law at that health against drawn paths."""
    paths = [p for p in _fresh("pf", seed=12) if p.fail_w > 0.0]
    left = []
    for path in paths:
        onset = path.w[1]  # the first knot after 0 is the potential failure
        interval = path.fail_w - path.offset - onset
        assert path.health(path.offset + onset + interval / 2) == pytest.approx(0.25)
        left.append(interval / 2)
    mode = _mode("pf")
    remaining = np.array(left)
    for wear_h in (40.0, 60.0, 80.0):
        law = failure_probability_of(mode, 0.25, shape=6.0, wear_h=wear_h)
        assert law == pytest.approx(float(np.mean(remaining <= wear_h)), abs=0.03), wear_h
    # the same wear is likelier to end a mode further along its P-F curve
    assert failure_probability_of(mode, 0.81, shape=6.0, wear_h=30.0) > failure_probability_of(
        mode, 0.25, shape=6.0, wear_h=30.0
    )
    exact = _mode("pf", cv=0.0)
    assert failure_probability_of(exact, 0.25, shape=6.0, wear_h=59.0) == 0.0
    assert failure_probability_of(exact, 0.25, shape=6.0, wear_h=61.0) == 1.0


def test_a_failure_is_labelled_with_its_mode_s_kind() -> None:
    """The truth table's cause is the failing mode's degradation kind, pf modes included
    (the discrete example with its pf modes made short-lived, so that some fail in days)."""
    base = load_model(EXAMPLES / "discrete")

    def short(m: FailureMode) -> FailureMode:
        if m.degradation_kind != "pf":
            return m
        return m.model_copy(update={"mtbf_h": 120.0, "pf_interval_h": 40.0})

    plant: PlantModel = base.plant
    classes = tuple(
        c.model_copy(update={"failure_modes": tuple(short(m) for m in c.failure_modes)})
        for c in plant.equipment_classes
    )
    model = Model(plant.model_copy(update={"equipment_classes": classes}), files=base.files)
    kinds = {m.id: m.degradation_kind for c in classes for m in c.failure_modes}
    result = simulate(model, days=5.0, seed=3, scenario=EXAMPLES / "discrete" / "acme.scenario")
    failures = result.failures
    modes, causes = failures["failure_mode"].to_pylist(), failures["cause"].to_pylist()
    pairs = set(zip(modes, causes, strict=True))
    assert all(cause == kinds[mode] for mode, cause in pairs), pairs
    assert {cause for _, cause in pairs} >= {"pf", "wear"}, pairs
