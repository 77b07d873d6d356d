"""What the simulator needs beyond the plant model: physics, practices and hidden mechanisms.

A scenario is an optional YAML file ``<name>.scenario`` beside a model (the model loader
reads every ``*.yaml`` of a folder, so the scenario has its own extension); every field has
a default derived from the model, so a bare plant model runs. Sites differ here in
practice (wear from upkeep, micro-stops, leaks, what is switched off in breaks).

A scenario file is checked as a model file is: read by the model's YAML reader (times as
times, hostile text refused), then against its schema and against the plant model it
drives (every site, product, cell, parameter, class, tag, medium and criticality it names
must exist), and every problem is reported at once with its file, line and a stable code
(:data:`andon.model.codes.SCENARIO_CODES`) in one :class:`~andon.errors.SimulationError`.
"""

from __future__ import annotations

import datetime as dt
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from andon.errors import ModelError, Problem, SimulationError
from andon.model import Model
from andon.model._yaml import Location, line_of, read_yaml
from andon.model.schema import Criticality, FiniteFloat, Meter

__all__ = [
    "DefectMechanism",
    "HoldRule",
    "PhaseProfile",
    "Scenario",
    "SitePractice",
    "UtilityDraw",
    "check_scenario",
    "find_scenario",
    "load_scenario",
]

MEDIA: typing.Final = typing.get_args(Meter.model_fields["medium"].annotation)
"""The media a meter measures, which a utility draw must name."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class SitePractice(_Frozen):
    """How one site runs its plant (the differences cross-site comparison should find)."""

    wear_factor: FiniteFloat = Field(default=1.0, gt=0)
    """Multiplier on every wear rate (lubrication, cleaning, operator care)."""
    age_wear_per_year: FiniteFloat = Field(default=0.02, ge=0)
    """Extra wear per year of equipment age, relative."""
    micro_stop_prob: FiniteFloat = Field(default=0.01, ge=0, le=1)
    """Chance that a cycle ends in a micro-stop."""
    micro_stop_mean_s: FiniteFloat = Field(default=60.0, gt=0)
    """Mean micro-stop length, seconds."""
    speed_factor: FiniteFloat = Field(default=1.0, gt=0)
    """Actual over ideal cycle time at nominal (speed loss)."""
    cycle_cv: FiniteFloat = Field(default=0.05, ge=0)
    """Coefficient of variation of cycle times."""
    off_in_breaks: bool = False
    """Whether equipment is switched off in planned breaks (else it idles)."""
    air_leak_kw: FiniteFloat = Field(default=5.0, ge=0)
    """Compressor power lost to compressed-air leaks, kW, around the clock."""
    base_load_kw: FiniteFloat = Field(default=20.0, ge=0)
    """Lighting, HVAC and offices on the site meter, kW."""
    transformer_loss: FiniteFloat = Field(default=0.015, ge=0, le=0.2)
    """Share of metered load lost in transformers and cables."""
    expedite_criticality: tuple[str, ...] = ("A",)
    """Criticalities for which a missing part is expedited when a failure needs it."""
    defect_base_rate: FiniteFloat = Field(default=0.004, ge=0, le=1)
    """Defects per unit from causes other than the interaction mechanism."""
    night_defect_factor: FiniteFloat = Field(default=1.5, ge=0)
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
    strength: FiniteFloat = Field(default=0.3, ge=0, le=1)
    """Chance of a defect when the upstream parameter is far off and the tool is worn out."""
    z0: FiniteFloat = 1.5
    """Upstream deviation, in standard deviations, where the mechanism is half on."""


class HoldRule(_Frozen):
    """Quality holds of one product's orders, decided at one cell.

    When an order's first unit passes ``cell`` (a first-article check or a lab sample), the
    order is held with chance ``share`` for a log-normal time of mean ``mean_h`` hours and
    coefficient of variation ``cv``: every unit of the order that passes the cell while it
    lasts waits in quarantine, the station going on with other work, and moves on when the
    hold ends. The hold shows as the order's ``held`` and ``unheld`` records.
    """

    cell: str | None = None
    """The cell whose check holds the order; by default the product's inspection cell (a
    cell with an inspection station), else the last cell of its routing."""
    share: FiniteFloat = Field(ge=0, le=1)
    """Share of the product's orders held."""
    mean_h: FiniteFloat = Field(default=8.0, gt=0)
    """Mean length of a hold, hours."""
    cv: FiniteFloat = Field(default=0.5, ge=0)
    """Coefficient of variation of a hold's length."""
    expedite_cost: FiniteFloat = Field(default=0.0, ge=0)
    """Money an expedited decision of a hold costs (the lab's rush fee, a release review)."""


class PhaseProfile(_Frozen):
    """A tag following recipe phases through each cycle (batch reactors, reflow zones)."""

    tag: str
    """Tag name of the class."""
    points: tuple[tuple[FiniteFloat, FiniteFloat], ...]
    """``(fraction of the cycle, value)`` pairs, interpolated linearly."""


class UtilityDraw(_Frozen):
    """Steam, cooling water or compressed air an equipment class draws by state, kW."""

    medium: str
    """Meter medium it shows on: ``steam``, ``cooling_water``, ``gas``."""
    running: FiniteFloat = 0.0
    """Draw while running (or, with ``phases``, inside those phases), kW."""
    idle: FiniteFloat = 0.0
    """Draw while on and not running (and while running outside ``phases``), kW."""
    phases: tuple[tuple[FiniteFloat, FiniteFloat], ...] = ()
    """``(from, to)`` fractions of each cycle with the running draw (heat-up on steam)."""


class Scenario(_Frozen):
    """Simulation parameters beyond the plant model."""

    start: str = "2026-01-05T00:00:00Z"
    """Simulated start time, ISO 8601 with its offset (``Z`` or ``+01:00``); a Monday keeps
    calendars easy to read."""
    wear_shape: FiniteFloat = Field(default=6.0, gt=0)
    """Gamma-process shape accumulated over one mean life: a larger value wears more regularly."""
    sensor_noise: FiniteFloat = Field(default=0.02, ge=0)
    """Noise of condition tags, share of the tag range."""
    signal_gain: FiniteFloat = Field(default=0.35, ge=0)
    """Deviation of a signal tag at failure, share of the tag range."""
    bad_quality_rate: FiniteFloat = Field(default=0.0005, ge=0, le=1)
    """Share of samples a sensor reports as bad (no value)."""
    lot_size: int = Field(default=200, ge=1)
    """Units per raw-material lot."""
    inspection_fraction: FiniteFloat = Field(default=1.0, ge=0, le=1)
    """Share of units the final test inspects."""
    inspection_limit: FiniteFloat = 2.5
    """Final-test score above which a unit fails (defects shift the score by about 2.5)."""
    field_failure_days: FiniteFloat = Field(default=180.0, gt=0)
    """Mean days until a latent defect fails in the field."""
    field_failure_cost_factor: FiniteFloat = Field(default=8.0, ge=0)
    """Cost of a field failure, times the product's scrap cost."""
    hold_cost_factor: FiniteFloat = Field(default=0.1, ge=0)
    """Cost of holding and retesting a unit, times the product's scrap cost."""
    air_use_kw: FiniteFloat = Field(default=1.5, ge=0)
    """Compressor power one running machine needs, kW."""
    overtime_factor: FiniteFloat = Field(default=1.5, ge=1)
    """Crew cost multiplier outside the crew's shifts (window work)."""
    practices: dict[str, SitePractice] = Field(default_factory=dict)
    """Site id -> practice; missing sites use the defaults."""
    defects: dict[str, DefectMechanism] = Field(default_factory=dict)
    """Product id -> interaction mechanism; missing products get one derived from the routing."""
    profiles: dict[str, tuple[PhaseProfile, ...]] = Field(default_factory=dict)
    """Equipment class id -> tags that follow recipe phases while running."""
    utilities: dict[str, tuple[UtilityDraw, ...]] = Field(default_factory=dict)
    """Equipment class id -> non-electric utility draws (steam, cooling water)."""
    holds: dict[str, HoldRule] = Field(default_factory=dict)
    """Product id -> its quality holds; by default no order is ever held."""

    @field_validator("start", mode="before")
    @classmethod
    def _iso_start(cls, value: Any) -> Any:
        """Accept an ISO 8601 time with an offset (YAML may give a datetime already)."""
        if isinstance(value, dt.datetime):
            if value.tzinfo is None:
                msg = f"{value.isoformat()} has no time zone (add Z or an offset such as +01:00)"
                raise ValueError(msg)
            return value.isoformat()
        if not isinstance(value, str):
            return value
        try:
            parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            msg = f"{value!r} is not an ISO 8601 time such as 2026-01-05T00:00:00Z"
            raise ValueError(msg) from None
        if parsed.tzinfo is None:
            msg = f"{value!r} has no time zone (add Z or an offset such as +01:00)"
            raise ValueError(msg)
        return value.strip()

    def practice(self, site_id: str) -> SitePractice:
        """Return a site's practice, or the defaults."""
        return self.practices.get(site_id, SitePractice())


def load_scenario(path: str | Path | None, *, model: Model | None = None) -> Scenario:
    """Read a scenario YAML file, checked against ``model`` when given; ``None`` gives the
    defaults.

    Raises :class:`~andon.errors.SimulationError` with every problem, each with file, line,
    a stable code and what was expected.
    """
    if path is None:
        return Scenario()
    file = Path(path)
    summary = f"the scenario {file} is invalid"
    if not file.is_file():
        problem = Problem(code="file.missing", message="no such scenario file", file=str(file))
        raise SimulationError(summary, [problem])
    try:
        data, lines = read_yaml(file)
    except ModelError as exc:
        raise SimulationError(summary, exc.problems) from exc
    prefix: Location = ()
    if isinstance(data, dict) and set(data) == {"scenario"}:
        data, prefix = data["scenario"], ("scenario",)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        problem = Problem(
            code="scenario.not_a_mapping",
            message="a scenario file must be a mapping of fields",
            file=str(file),
            line=1,
            expected="fields as listed for Scenario (start, practices, defects, ...)",
        )
        raise SimulationError(summary, [problem])
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [
            _schema_problem(error, file, lines, prefix) for error in exc.errors(include_url=False)
        ]
        raise SimulationError(summary, Problem.ordered(problems)) from exc
    if model is not None:
        problems = [
            Problem(
                code=code,
                message=message,
                file=str(file),
                line=line_of(lines, (*prefix, *location)),
                path=element,
                expected=expected,
            )
            for code, message, location, element, expected in _against(scenario, model)
        ]
        if problems:
            raise SimulationError(summary, Problem.ordered(problems))
    return scenario


def check_scenario(scenario: Scenario, model: Model) -> list[Problem]:
    """Return every problem of a scenario against a plant model (empty when it fits)."""
    return [
        Problem(code=code, message=message, path=element, expected=expected)
        for code, message, _, element, expected in _against(scenario, model)
    ]


def _schema_problem(
    error: Any, file: Path, lines: dict[Location, int], prefix: Location
) -> Problem:
    location = tuple(error["loc"])
    field = ".".join(str(step) for step in location) or "scenario"
    message = error["msg"].removeprefix("Value error, ")
    value = error.get("input")
    hint = (
        ""
        if isinstance(value, dict | list) or error["type"] == "missing"
        else f", got {value!r:.60}"
    )
    return Problem(
        code=f"scenario.{'bad_start' if location == ('start',) else error['type']}",
        message=f"{field}: {message}{hint}",
        file=str(file),
        line=line_of(lines, (*prefix, *location)),
        expected=_SCHEMA_EXPECTED.get(field, "a value as docs/sim.md lists for this field"),
    )


_SCHEMA_EXPECTED = {"start": "an ISO 8601 time with an offset, e.g. 2026-01-05T00:00:00Z"}

_Found = tuple[str, str, Location, str | None, str]
"""code, message, location in the scenario, element path, what was expected."""


def _one_of(names: typing.Iterable[str]) -> str:
    listed = sorted(names)
    shown = ", ".join(listed[:12]) + (", ..." if len(listed) > 12 else "")
    return "one of " + (shown or "none in the model")


def _against(scenario: Scenario, model: Model) -> Iterator[_Found]:
    """Yield what a scenario names that the model does not have."""
    sites = {path.split("/")[-1]: path for path in model.sites}
    for site_id, practice in scenario.practices.items():
        if site_id not in sites:
            yield (
                "scenario.unknown_site",
                f"practices names unknown site {site_id!r}",
                ("practices", site_id),
                None,
                _one_of(sites),
            )
        criticalities = {c.value for c in Criticality}
        for index, value in enumerate(practice.expedite_criticality):
            if value not in criticalities:
                yield (
                    "scenario.unknown_criticality",
                    f"practices.{site_id}.expedite_criticality names unknown criticality {value!r}",
                    ("practices", site_id, "expedite_criticality", index),
                    sites.get(site_id),
                    _one_of(criticalities),
                )
    yield from _against_defects(scenario, model)
    yield from _against_holds(scenario, model)
    classes = model.classes
    for section in ("profiles", "utilities"):
        entries: dict[str, Any] = getattr(scenario, section)
        for class_id, items in entries.items():
            cls = classes.get(class_id)
            if cls is None:
                yield (
                    "scenario.unknown_class",
                    f"{section} names unknown equipment class {class_id!r}",
                    (section, class_id),
                    None,
                    _one_of(classes),
                )
                continue
            tags = {t.name for t in cls.tags}
            for index, item in enumerate(items):
                if isinstance(item, PhaseProfile) and item.tag not in tags:
                    yield (
                        "scenario.unknown_tag",
                        (
                            f"profiles.{class_id} names tag {item.tag!r}, which class "
                            f"{class_id!r} does not have"
                        ),
                        (section, class_id, index, "tag"),
                        class_id,
                        _one_of(tags),
                    )
                if isinstance(item, UtilityDraw) and item.medium not in MEDIA:
                    yield (
                        "scenario.unknown_medium",
                        f"utilities.{class_id} draws unknown medium {item.medium!r}",
                        (section, class_id, index, "medium"),
                        class_id,
                        _one_of(MEDIA),
                    )


def _against_defects(scenario: Scenario, model: Model) -> Iterator[_Found]:
    for product_id, mechanism in scenario.defects.items():
        product = model.products.get(product_id)
        if product is None:
            yield (
                "scenario.unknown_product",
                f"defects names unknown product {product_id!r}",
                ("defects", product_id),
                None,
                _one_of(model.products),
            )
            continue
        cells = {step.cell for routing in product.routings for step in routing.steps}
        for field in ("upstream_cell", "downstream_cell"):
            cell = getattr(mechanism, field)
            if cell not in cells:
                yield (
                    "scenario.unknown_cell",
                    (
                        f"defects.{product_id}.{field} names cell {cell!r}, which no routing of "
                        f"{product_id!r} visits"
                    ),
                    ("defects", product_id, field),
                    product_id,
                    _one_of(cells),
                )
        parameters = {
            limit.parameter
            for limit in product.spec_limits
            if limit.cell == mechanism.upstream_cell
        }
        if mechanism.upstream_parameter not in parameters:
            yield (
                "scenario.unknown_parameter",
                (
                    f"defects.{product_id}.upstream_parameter names "
                    f"{mechanism.upstream_parameter!r}, which {product_id!r} has no spec limits "
                    f"for at cell "
                    f"{mechanism.upstream_cell!r}"
                ),
                ("defects", product_id, "upstream_parameter"),
                product_id,
                _one_of(parameters),
            )


def _against_holds(scenario: Scenario, model: Model) -> Iterator[_Found]:
    for product_id, rule in scenario.holds.items():
        product = model.products.get(product_id)
        if product is None:
            yield (
                "scenario.unknown_product",
                f"holds names unknown product {product_id!r}",
                ("holds", product_id),
                None,
                _one_of(model.products),
            )
            continue
        cells = {step.cell for routing in product.routings for step in routing.steps}
        if rule.cell is not None and rule.cell not in cells:
            yield (
                "scenario.unknown_cell",
                (
                    f"holds.{product_id}.cell names cell {rule.cell!r}, which no routing of "
                    f"{product_id!r} visits"
                ),
                ("holds", product_id, "cell"),
                product_id,
                _one_of(cells),
            )


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
