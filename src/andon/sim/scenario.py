"""What the simulator needs beyond the plant model: physics, practices and hidden mechanisms.

A scenario is an optional YAML file ``<name>.scenario`` beside a model (the model loader
reads every ``*.yaml`` of a folder, so the scenario has its own extension); every field has
a default derived from the model, so a bare plant model runs. Sites differ here in
practice (wear from upkeep, micro-stops, leaks, what is switched off in breaks).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from andon.errors import Problem, SimulationError
from andon.model import Model

__all__ = [
    "DefectMechanism",
    "PhaseProfile",
    "Scenario",
    "SitePractice",
    "UtilityDraw",
    "find_scenario",
    "load_scenario",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class SitePractice(_Frozen):
    """How one site runs its plant (the differences cross-site comparison should find)."""

    wear_factor: float = Field(default=1.0, gt=0)
    """Multiplier on every wear rate (lubrication, cleaning, operator care)."""
    age_wear_per_year: float = Field(default=0.02, ge=0)
    """Extra wear per year of equipment age, relative."""
    micro_stop_prob: float = Field(default=0.01, ge=0, le=1)
    """Chance that a cycle ends in a micro-stop."""
    micro_stop_mean_s: float = Field(default=60.0, gt=0)
    """Mean micro-stop length, seconds."""
    speed_factor: float = Field(default=1.0, gt=0)
    """Actual over ideal cycle time at nominal (speed loss)."""
    cycle_cv: float = Field(default=0.05, ge=0)
    """Coefficient of variation of cycle times."""
    off_in_breaks: bool = False
    """Whether equipment is switched off in planned breaks (else it idles)."""
    air_leak_kw: float = Field(default=5.0, ge=0)
    """Compressor power lost to compressed-air leaks, kW, around the clock."""
    base_load_kw: float = Field(default=20.0, ge=0)
    """Lighting, HVAC and offices on the site meter, kW."""
    transformer_loss: float = Field(default=0.015, ge=0, le=0.2)
    """Share of metered load lost in transformers and cables."""
    expedite_criticality: tuple[str, ...] = ("A",)
    """Criticalities for which a missing part is expedited when a failure needs it."""
    defect_base_rate: float = Field(default=0.004, ge=0, le=1)
    """Defects per unit from causes other than the interaction mechanism."""
    night_defect_factor: float = Field(default=1.5, ge=0)
    """Multiplier on the interaction mechanism on shifts starting after 20:00 or before 05:00."""


class DefectMechanism(_Frozen):
    """A hidden defect cause: an upstream parameter drifting while a downstream tool is worn.

    The chance per unit is ``strength * sigmoid(6 (|z| - z0)) * health**4 * shift``, where
    ``z`` is the upstream parameter's deviation in standard deviations and ``health`` the
    worst failure-mode health of the downstream equipment that made the unit.
    """

    upstream_cell: str
    upstream_parameter: str
    downstream_cell: str
    strength: float = Field(default=0.3, ge=0, le=1)
    """Chance of a defect when the upstream parameter is far off and the tool is worn out."""
    z0: float = 1.5
    """Upstream deviation, in standard deviations, where the mechanism is half on."""


class PhaseProfile(_Frozen):
    """A tag following recipe phases through each cycle (batch reactors, reflow zones)."""

    tag: str
    """Tag name of the class."""
    points: tuple[tuple[float, float], ...]
    """``(fraction of the cycle, value)`` pairs, interpolated linearly."""


class UtilityDraw(_Frozen):
    """Steam, cooling water or compressed air an equipment class draws by state, kW."""

    medium: str
    """Meter medium it shows on: ``steam``, ``cooling_water``, ``gas``."""
    running: float = 0.0
    """Draw while running (or, with ``phases``, inside those phases), kW."""
    idle: float = 0.0
    """Draw while on and not running (and while running outside ``phases``), kW."""
    phases: tuple[tuple[float, float], ...] = ()
    """``(from, to)`` fractions of each cycle with the running draw (heat-up on steam)."""


class Scenario(_Frozen):
    """Simulation parameters beyond the plant model."""

    start: str = "2026-01-05T00:00:00Z"
    """Simulated start time (UTC, ISO 8601); a Monday keeps calendars easy to read."""
    wear_shape: float = Field(default=6.0, gt=0)
    """Gamma-process shape accumulated over one mean life: a larger value wears more regularly."""
    sensor_noise: float = Field(default=0.02, ge=0)
    """Noise of condition tags, share of the tag range."""
    signal_gain: float = Field(default=0.35, ge=0)
    """Deviation of a signal tag at failure, share of the tag range."""
    bad_quality_rate: float = Field(default=0.0005, ge=0, le=1)
    """Share of samples a sensor reports as bad (no value)."""
    lot_size: int = Field(default=200, ge=1)
    """Units per raw-material lot."""
    inspection_fraction: float = Field(default=1.0, ge=0, le=1)
    """Share of units the final test inspects."""
    inspection_limit: float = 2.5
    """Final-test score above which a unit fails (defects shift the score by about 2.5)."""
    field_failure_days: float = Field(default=180.0, gt=0)
    """Mean days until a latent defect fails in the field."""
    field_failure_cost_factor: float = Field(default=8.0, ge=0)
    """Cost of a field failure, times the product's scrap cost."""
    hold_cost_factor: float = Field(default=0.1, ge=0)
    """Cost of holding and retesting a unit, times the product's scrap cost."""
    air_use_kw: float = Field(default=1.5, ge=0)
    """Compressor power one running machine needs, kW."""
    overtime_factor: float = Field(default=1.5, ge=1)
    """Crew cost multiplier outside the crew's shifts (window work)."""
    practices: dict[str, SitePractice] = Field(default_factory=dict)
    """Site id -> practice; missing sites use the defaults."""
    defects: dict[str, DefectMechanism] = Field(default_factory=dict)
    """Product id -> interaction mechanism; missing products get one derived from the routing."""
    profiles: dict[str, tuple[PhaseProfile, ...]] = Field(default_factory=dict)
    """Equipment class id -> tags that follow recipe phases while running."""
    utilities: dict[str, tuple[UtilityDraw, ...]] = Field(default_factory=dict)
    """Equipment class id -> non-electric utility draws (steam, cooling water)."""

    def practice(self, site_id: str) -> SitePractice:
        """Return a site's practice, or the defaults."""
        return self.practices.get(site_id, SitePractice())


def load_scenario(path: str | Path | None) -> Scenario:
    """Read a scenario YAML file; ``None`` or a missing default file gives the defaults."""
    if path is None:
        return Scenario()
    file = Path(path)
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        msg = f"cannot read scenario {file}: {exc}"
        raise SimulationError(msg) from exc
    try:
        return Scenario.model_validate(data.get("scenario", data))
    except ValidationError as exc:
        problems = [
            Problem(
                code=f"scenario.{err['type']}",
                message=err["msg"],
                file=str(file),
                path="/".join(str(p) for p in err["loc"]),
            )
            for err in exc.errors()
        ]
        lines = "; ".join(str(p) for p in problems)
        msg = f"scenario {file} is not valid: {lines}"
        raise SimulationError(msg) from exc


def find_scenario(model: Model) -> Path | None:
    """Return the ``*.scenario`` file beside the model's files, or ``None`` when there is none.

    Any name will do (``acme.scenario``, ``boards.scenario``); two in one folder are
    ambiguous and refused, naming both, rather than one picked by its name.
    """
    found: list[Path] = []
    for folder in dict.fromkeys(Path(file).parent for file in model.files):
        found.extend(sorted(folder.glob("*.scenario")))
    if len(found) > 1:
        names = ", ".join(str(f) for f in found)
        msg = f"several scenario files beside the model ({names}): pass the one to use"
        raise SimulationError(msg)
    return found[0] if found else None
