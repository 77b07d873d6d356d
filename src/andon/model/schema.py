"""The ISA-95 plant model as typed, immutable values.

One YAML document describes an enterprise: its equipment classes, spare parts, products
and sites, and below each site the hierarchy area > line (or process cell) > cell (or
unit) > equipment (ISA-95 / IEC 62264-1 role-based equipment hierarchy). Every element has
an ``id``; its path is the ids joined by ``/``, e.g. ``acme/lyon/assembly/line1/press1``.

Field docstrings are the reference: ``docs/model.md`` is generated from them.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, StringConstraints

__all__ = [
    "Area",
    "BatteryDocuments",
    "BatteryMaterial",
    "BatterySpec",
    "Cell",
    "Crew",
    "Criticality",
    "Enterprise",
    "Equipment",
    "EquipmentClass",
    "EquipmentRole",
    "FailureMode",
    "HazardousSubstance",
    "Line",
    "LineKind",
    "MaintenanceWindow",
    "Meter",
    "Organisation",
    "PlantModel",
    "PostalAddress",
    "PowerByState",
    "Product",
    "RecycledShare",
    "Rotation",
    "Routing",
    "RoutingStep",
    "Shift",
    "Site",
    "SparePart",
    "SpecLimit",
    "TagDefinition",
    "TagOverride",
    "TagType",
    "Tariff",
    "Weekday",
]

Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$", max_length=64),
]
"""An element id: letters, digits, ``_``, ``-`` and ``.``; no ``/`` (it joins paths)."""

ClockTime = Annotated[str, StringConstraints(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
"""A local wall-clock time ``HH:MM`` (YAML reads ``14:30`` as this text, quoted or not)."""

FiniteFloat = Annotated[float, AllowInfNan(allow_inf_nan=False)]
"""A number that is finite: every float of the model is one (no ``.nan``, no ``.inf``)."""


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class Weekday(StrEnum):
    """Days of the week, as written in shift calendars."""

    MON = "mon"
    TUE = "tue"
    WED = "wed"
    THU = "thu"
    FRI = "fri"
    SAT = "sat"
    SUN = "sun"


ALL_DAYS = (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)


class TagType(StrEnum):
    """Value type of a tag."""

    FLOAT = "float"
    INT = "int"
    BOOL = "bool"


class Criticality(StrEnum):
    """ABC criticality of an asset: A stops the plant, C barely matters."""

    A = "A"
    B = "B"
    C = "C"


class LineKind(StrEnum):
    """ISA-95 kind of a line-level element."""

    PRODUCTION_LINE = "production_line"
    PROCESS_CELL = "process_cell"


class EquipmentRole(StrEnum):
    """What an equipment does for production, which decides where its KPIs count.

    Only ``production`` equipment counts in OEE, effectiveness and their roll-ups (ISO 22400-2
    defines them for work units that make products); the others are reported on their own
    terms: availability, running hours and energy.
    """

    PRODUCTION = "production"
    """Makes or transforms product: a machine, a filler, a reactor."""
    INSPECTION = "inspection"
    """Tests or inspects product in the flow; counts good and rejected units, not output."""
    UTILITY = "utility"
    """Serves production without making product: a compressor, a chiller, water treatment."""


class TagDefinition(_Frozen):
    """A measured signal that every equipment of a class has."""

    name: Identifier
    """Tag name, the last segment of the tag path."""
    type: TagType = TagType.FLOAT
    """Value type."""
    unit: str = "dimensionless"
    """Engineering unit, any unit pint understands (``degC``, ``mm/s``, ``bar``, ``A``)."""
    min: FiniteFloat | None = None
    """Lowest valid value, in ``unit``; below it a sample is quarantined."""
    max: FiniteFloat | None = None
    """Highest valid value, in ``unit``; above it a sample is quarantined."""
    rate_s: FiniteFloat = Field(default=60.0, gt=0)
    """Expected interval between samples, seconds (historian rate)."""
    wear: Literal["rises", "falls"] = "rises"
    """How the signal moves as a failure mode that lists it wears: ``rises`` (vibration, a
    filter's differential pressure as it clogs) or ``falls`` (a pump's outlet pressure)."""
    description: str = ""
    """What the tag measures, for people."""
    trade_secret: bool = False
    """The tag's values are a trade secret of the data holder (EU Data Act 2023/2854,
    Art. 4(6) and 5(9)): withheld from Data Act bundles and grant reads, and listed in the
    bundle's manifest as withheld with the reason."""


class TagOverride(_Frozen):
    """How one equipment differs from its class for one tag (unit, OPC UA node)."""

    name: Identifier
    """Name of a tag of the equipment's class."""
    unit: str | None = None
    """Unit this equipment reports in; it must convert to the class's unit."""
    node_id: str | None = None
    """OPC UA node id that carries this tag, e.g. ``ns=2;s=Press1.Temp``."""


class FailureMode(_Frozen):
    """A way an equipment class fails, what it costs to repair and what shows it coming."""

    id: Identifier
    """Failure mode id, e.g. ``bearing_wear``."""
    description: str = ""
    """What fails, for people."""
    mtbf_h: FiniteFloat = Field(gt=0)
    """Mean operating hours between failures of this mode under nominal load, hours."""
    repair_h: FiniteFloat = Field(gt=0)
    """Mean time to repair once crew and parts are there, hours."""
    preventive_h: FiniteFloat | None = Field(default=None, gt=0)
    """Duration of a preventive intervention that restores health, hours (default: half repair)."""
    parts: dict[Identifier, int] = Field(default_factory=dict)
    """Spare parts used per repair: part id -> quantity."""
    signals: tuple[Identifier, ...] = ()
    """Tags of the class that show this mode developing (condition indicators)."""
    repair_cost: FiniteFloat = Field(default=0.0, ge=0)
    """Labour and service cost of one repair besides the parts, in the enterprise currency."""
    degradation: Literal["wear", "pf", "random"] | None = None
    """How the mode announces itself (Moubray, *RCM II*; Nowlan & Heap): ``wear`` degrades
    with use along a gamma process, ``pf`` gives a potential failure at a random time and then
    fails over a P-F interval, ``random`` fails without warning. When omitted: ``wear`` if the
    mode has signals, ``random`` otherwise."""
    pf_interval_h: FiniteFloat | None = Field(default=None, gt=0)
    """Mean P-F interval of a ``pf`` mode: operating hours from the potential failure
    (detectable) to the functional failure; below ``mtbf_h``. Required for ``pf``."""
    pf_cv: FiniteFloat = Field(default=0.3, ge=0)
    """Coefficient of variation of the P-F interval between occurrences of a ``pf`` mode."""

    @property
    def degradation_kind(self) -> Literal["wear", "pf", "random"]:
        """Return the declared degradation, or its default from the signals."""
        if self.degradation is not None:
            return self.degradation
        return "wear" if self.signals else "random"


class PowerByState(_Frozen):
    """Electrical power an equipment draws in each state, kW."""

    off: FiniteFloat = Field(default=0.0, ge=0)
    """Power when switched off, kW."""
    idle: FiniteFloat = Field(default=0.0, ge=0)
    """Power when on but not producing, kW."""
    warmup: FiniteFloat = Field(default=0.0, ge=0)
    """Power while warming up after a stop, kW."""
    running: FiniteFloat = Field(default=0.0, ge=0)
    """Power while producing at nominal load, kW."""
    warmup_min: FiniteFloat = Field(default=0.0, ge=0)
    """Warm-up duration after being off, minutes."""


class EquipmentClass(_Frozen):
    """A kind of equipment: its tags, its failure modes, its speed and its power."""

    id: Identifier
    """Class id, referenced by equipment."""
    description: str = ""
    """What the class is, for people."""
    ideal_cycle_time_s: FiniteFloat | None = Field(default=None, gt=0)
    """Ideal time to make one unit, seconds (ISO 22400-2 planned run time per item)."""
    tags: tuple[TagDefinition, ...] = ()
    """Signals every equipment of the class has."""
    failure_modes: tuple[FailureMode, ...] = ()
    """Ways the class fails."""
    power_kw: PowerByState = PowerByState()
    """Power draw by state."""
    role: EquipmentRole | None = None
    """What the class does for production. When omitted: ``production`` if the class or its
    equipment has an ideal cycle time, ``utility`` otherwise."""


class Meter(_Frozen):
    """An energy or utility meter attached to an element; it measures everything below it."""

    id: Identifier
    """Meter id; its path is the owner's path plus this id."""
    medium: Literal["electricity", "compressed_air", "steam", "cooling_water", "gas"] = (
        "electricity"
    )
    """What the meter measures."""
    interval_s: FiniteFloat = Field(default=900.0, gt=0)
    """Metering interval, seconds (15 min by default, as utility meters report)."""


class Equipment(_Frozen):
    """One asset, the lowest level of the hierarchy."""

    id: Identifier
    """Equipment id."""
    class_: Identifier = Field(alias="class")
    """Id of the equipment class (written ``class`` in YAML)."""
    description: str = ""
    """What and where it is, for people."""
    criticality: Criticality = Criticality.B
    """ABC criticality."""
    downtime_cost_per_hour: FiniteFloat = Field(default=0.0, ge=0)
    """Cost of this equipment being down for an hour, in the enterprise currency."""
    install_year: int | None = Field(default=None, ge=1900, le=2100)
    """Year of installation (equipment age), when the date is not known."""
    installed: dt.date | None = None
    """Date of installation or commissioning (``YYYY-MM-DD``); every failure mode's age
    counts from it until a maintenance record or ``restored`` says otherwise."""
    restored: dict[Identifier, dt.date] = Field(default_factory=dict)
    """Last restoration to as good as new per failure mode id (``YYYY-MM-DD``): the date of
    the last replacement or overhaul that a maintenance history does not show."""
    ideal_cycle_time_s: FiniteFloat | None = Field(default=None, gt=0)
    """Overrides the class's ideal cycle time, seconds."""
    tags: tuple[TagOverride, ...] = ()
    """Per-tag differences from the class: unit, OPC UA node id."""
    meters: tuple[Meter, ...] = ()
    """Meters on this equipment alone."""

    model_config = ConfigDict(populate_by_name=True)


class Cell(_Frozen):
    """A work cell (discrete) or unit (batch): a station of a routing."""

    id: Identifier
    """Cell id, named by routing steps."""
    description: str = ""
    """What the cell does, for people."""
    buffer_capacity: int = Field(default=0, ge=0)
    """Units that can wait in front of this cell (finite buffer before the station)."""
    counting_unit: Identifier = "unit"
    """What the cell's counts count (``bottle``, ``case``, ``pallet``)."""
    counts_per_unit: int = Field(default=1, ge=1)
    """Counts of this cell in one of the line's units (the item a routing moves): 24 at a
    filler counting bottles on a line that moves cases of 24."""
    units_per_count: int = Field(default=1, ge=1)
    """Line units that make one count of this cell: 80 cases to a pallet at a palletizer.
    The cell's cycle times (routing step, ideal) are per count."""
    equipment: tuple[Equipment, ...] = ()
    """Equipment in the cell; parallel machines of one cell are redundant."""
    meters: tuple[Meter, ...] = ()
    """Meters on the whole cell."""


class Line(_Frozen):
    """A production line (discrete) or process cell (batch)."""

    id: Identifier
    """Line id."""
    kind: LineKind = LineKind.PRODUCTION_LINE
    """ISA-95 kind."""
    description: str = ""
    """What the line makes, for people."""
    cells: tuple[Cell, ...] = ()
    """Cells (or units) in flow order."""
    meters: tuple[Meter, ...] = ()
    """Meters on the whole line."""


class Area(_Frozen):
    """An area of a site (assembly, machining, utilities)."""

    id: Identifier
    """Area id."""
    description: str = ""
    """What happens in the area, for people."""
    lines: tuple[Line, ...] = ()
    """Lines or process cells of the area."""
    meters: tuple[Meter, ...] = ()
    """Meters on the whole area."""


class Rotation(_Frozen):
    """A rotating pattern: which crew works a shift on each day of a cycle of N days.

    Day 1 of the cycle falls on ``anchor`` and again every N days; each crew has one ``1``
    (on) or ``0`` (off) per day of the cycle. The shift runs on the days some crew is on, and
    each occurrence is labelled with that crew. A 2-2-3 "Panama" on 12-hour shifts is two
    shifts (day, night) with four crews on a 14-day cycle::

        - id: day
          start: "06:00"
          end: "18:00"
          rotation:
            anchor: 2026-01-05
            crews: {A: [1,1,0,0,1,1,1,0,0,1,1,0,0,0], C: [0,0,1,1,0,0,0,1,1,0,0,1,1,1]}
    """

    anchor: dt.date
    """Local date (``YYYY-MM-DD``) of day 1 of the cycle; any date of the same phase will do."""
    crews: dict[Identifier, tuple[Literal[0, 1], ...]] = Field(min_length=1)
    """Crew id -> on (``1``) or off (``0``) for each day of the cycle; every crew's list has
    the cycle's length, and at most one crew is on for the shift on any day."""


class Shift(_Frozen):
    """A shift of a site's calendar, in local time; ``end`` before ``start`` crosses midnight."""

    id: Identifier
    """Shift id, e.g. ``early``."""
    start: ClockTime
    """Local start time ``HH:MM``."""
    end: ClockTime
    """Local end time ``HH:MM``."""
    days: tuple[Weekday, ...] = ALL_DAYS
    """Days on which the shift starts (not with a ``rotation``, which says it)."""
    breaks: tuple[tuple[ClockTime, ClockTime], ...] = ()
    """Planned breaks inside the shift, local ``[start, end]`` pairs (planned down time)."""
    rotation: Rotation | None = None
    """A rotating pattern of crews over a cycle of days, instead of weekdays; holidays still
    remove the shift."""


class Crew(_Frozen):
    """A maintenance crew of a site."""

    id: Identifier
    """Crew id."""
    size: int = Field(default=1, ge=1)
    """Technicians in the crew; each works one intervention at a time."""
    shifts: tuple[Identifier, ...] = ()
    """Shifts the crew works; empty means every shift."""
    skills: tuple[Identifier, ...] = ()
    """Equipment classes the crew can repair; empty means all."""
    hourly_cost: FiniteFloat = Field(default=0.0, ge=0)
    """Cost of one technician hour, in the enterprise currency."""


class MaintenanceWindow(_Frozen):
    """A recurring local time slot when planned maintenance can stop equipment cheaply.

    A window may overlap shifts: production stops for it, and the calendar counts the time
    it takes from a shift as planned down time, not planned production time.
    """

    id: Identifier
    """Window id, named in plans ("the Saturday window")."""
    day: Weekday
    """Day the window starts."""
    start: ClockTime
    """Local start time."""
    duration_h: FiniteFloat = Field(gt=0, le=168)
    """Length of the window, hours."""


class Tariff(_Frozen):
    """Electricity price and grid carbon intensity by local hour of day."""

    price_per_kwh: tuple[FiniteFloat, ...] = Field(min_length=24, max_length=24)
    """Price per kWh for each local hour 0..23, in the enterprise currency."""
    gco2e_per_kwh: tuple[FiniteFloat, ...] = Field(min_length=24, max_length=24)
    """Grid carbon intensity for each local hour 0..23, gCO2e per kWh."""
    weekend_factor: FiniteFloat = Field(default=1.0, gt=0)
    """Multiplier on prices on Saturday and Sunday."""


class PostalAddress(_Frozen):
    """A postal address: of a site (a passport's place of manufacture) or of an organisation."""

    street: str = Field(min_length=1)
    """Street and number."""
    postal_code: str = Field(min_length=1)
    """Postal code."""
    city: str = ""
    """City."""
    country: str = Field(min_length=1)
    """Country (its English name or ISO 3166-1 code)."""


class Site(_Frozen):
    """A plant: its calendar, crews, tariff and areas."""

    id: Identifier
    """Site id."""
    name: str = ""
    """Display name."""
    timezone: str = "UTC"
    """IANA time zone, e.g. ``Europe/Paris``; shifts and windows are in it."""
    shifts: tuple[Shift, ...] = ()
    """Shift calendar; time outside every shift is not planned for production."""
    crews: tuple[Crew, ...] = ()
    """Maintenance crews."""
    maintenance_windows: tuple[MaintenanceWindow, ...] = ()
    """Recurring windows for planned maintenance."""
    holidays: tuple[dt.date, ...] = ()
    """Local dates (``YYYY-MM-DD``) on which no shift starts: public holidays, shutdown days.

    A night shift that starts the evening before still runs to its end; maintenance windows
    are kept (a closed day is a good day to maintain)."""
    tariff: Tariff | None = None
    """Electricity tariff and grid carbon by hour."""
    address: PostalAddress | None = None
    """Postal address of the plant: the place of manufacture its product passports name."""
    inbox_min_value: FiniteFloat | None = Field(default=None, ge=0)
    """Expected saving, in the enterprise currency, that a proposal must be worth over doing
    nothing to ask a person for a decision; smaller ones are recorded and scored, not shown.
    When omitted: one hour of the median downtime cost of the site's production equipment."""
    areas: tuple[Area, ...] = ()
    """Areas of the site."""
    meters: tuple[Meter, ...] = ()
    """Meters on the whole site (the utility meter)."""


class SparePart(_Frozen):
    """A spare part: what it costs, where it is stocked, how long it takes to come."""

    id: Identifier
    """Part number."""
    description: str = ""
    """What the part is."""
    unit_cost: FiniteFloat = Field(ge=0)
    """Cost of one part, in the enterprise currency."""
    lead_time_days: FiniteFloat = Field(ge=0)
    """Normal delivery time, days."""
    expedite_lead_time_days: FiniteFloat | None = Field(default=None, ge=0)
    """Delivery time when expedited, days; none means it cannot be expedited."""
    expedite_cost: FiniteFloat = Field(default=0.0, ge=0)
    """Extra cost of expediting one order, in the enterprise currency."""
    holding_cost_per_year: FiniteFloat = Field(default=0.0, ge=0)
    """Cost of keeping one part in stock for a year (capital, space)."""
    stock: dict[Identifier, int] = Field(default_factory=dict)
    """Parts on hand per site id at the start."""
    reorder_point: int = Field(default=0, ge=0)
    """Stock at or below which a replenishment order is placed."""


class SpecLimit(_Frozen):
    """Specification limits of one process parameter measured at one station."""

    parameter: Identifier
    """Parameter name as it appears in unit records."""
    cell: Identifier
    """Cell (station) id of the routing where the parameter is measured."""
    unit: str = "dimensionless"
    """Engineering unit of the parameter."""
    target: FiniteFloat | None = None
    """Nominal value."""
    lsl: FiniteFloat | None = None
    """Lower specification limit."""
    usl: FiniteFloat | None = None
    """Upper specification limit."""


class RoutingStep(_Frozen):
    """One step of a product's routing on a line."""

    cell: Identifier
    """Cell id of the line that does this step."""
    cycle_time_s: FiniteFloat | None = Field(default=None, gt=0)
    """Ideal cycle time of this product at this step, seconds (default: the equipment's)."""
    setup_min: FiniteFloat = Field(default=0.0, ge=0)
    """Changeover time into this product at this step, minutes."""


class Routing(_Frozen):
    """How a product flows through one line."""

    line: str
    """Path of the line below the enterprise, ``site/area/line``."""
    steps: tuple[RoutingStep, ...] = Field(min_length=1)
    """Steps in flow order."""


class Organisation(_Frozen):
    """A legal entity named in a product passport: a manufacturer, an operator, a supplier."""

    name: str = Field(min_length=1)
    """Registered name, e.g. ``Nordcell Modules AB``."""
    identifier: str = Field(min_length=1)
    """A unique identifier of the entity: an EORI, a VAT number, a GLN or a LEI."""
    address: PostalAddress
    """Postal address."""
    web: str | None = None
    """Web address (``https://...``)."""
    email: str | None = None
    """Contact e-mail address."""


class BatteryMaterial(_Frozen):
    """A material in a battery, with where it is and whether it is a critical raw material."""

    name: str = Field(min_length=1)
    """Material name, e.g. ``Lithium``."""
    cas: str = Field(pattern=r"^\d{2,7}-\d{2}-\d$")
    """CAS registry number, e.g. ``7439-93-2``."""
    mass_kg: FiniteFloat = Field(gt=0)
    """Mass of the material in one unit of the product, kg."""
    component: str = Field(min_length=1)
    """Component that holds it: ``Cathode``, ``Anode``, ``Electrolyte``, ``Housing``."""
    critical_raw_material: bool = False
    """Listed as a critical raw material (Regulation (EU) 2024/1252, Annex II)."""


class HazardousSubstance(_Frozen):
    """A hazardous substance a battery contains (Battery Regulation Annex XIII 1(b))."""

    name: str = Field(min_length=1)
    """Substance name, e.g. ``Lithium hexafluorophosphate``."""
    cas: str = Field(pattern=r"^\d{2,7}-\d{2}-\d$")
    """CAS registry number."""
    hazard_class: Literal["AcuteToxicity", "SkinCorrosionOrIrritation", "EyeDamageOrIrritation"]
    """Hazard class (Regulation (EC) 1272/2008) as the Battery Pass data model names it."""
    concentration_pct: FiniteFloat = Field(ge=0, le=100)
    """Concentration in the unit, percent by mass."""
    component: str = Field(min_length=1)
    """Component that holds it."""
    impacts: tuple[str, ...] = ()
    """Its impact on people and the environment, e.g. ``H301``."""


class RecycledShare(_Frozen):
    """The recycled content of one material (Battery Regulation Art. 8)."""

    material: Literal["Cobalt", "Nickel", "Lithium", "Lead"]
    """Material whose recycled share this is."""
    pre_consumer_pct: FiniteFloat = Field(ge=0, le=100)
    """Share recovered from manufacturing waste, percent."""
    post_consumer_pct: FiniteFloat = Field(ge=0, le=100)
    """Share recovered from post-consumer waste, percent."""


class BatteryDocuments(_Frozen):
    """Where the documents that a battery passport links to are published (URLs)."""

    declaration_of_conformity: str
    """EU declaration of conformity (Battery Regulation Art. 18)."""
    test_report: str
    """Test reports proving compliance (Annex XIII 3: authorities only)."""
    carbon_footprint_study: str
    """Public version of the carbon footprint study (Art. 7)."""
    due_diligence_report: str
    """Supply-chain due diligence report (Art. 52)."""
    dismantling_manual: str
    """Dismantling and removal manual (Annex XIII 2(b): legitimate interest)."""
    safety_instructions: str
    """Safety instructions for handling and fire-fighting."""
    end_of_life: str
    """Information on waste prevention, separate collection and take-back (Art. 60)."""
    label_symbol: str
    """The separate-collection symbol (Annex VI Part A) as an image URL."""


class BatterySpec(_Frozen):
    """What a battery product's passport declares (Regulation (EU) 2023/1542, Annex XIII).

    The measured part of a passport (formation and test results, the lots and supplier of
    its cells, its share of the site's manufacturing carbon footprint) comes from the
    records; this is the declared part, the same for every unit of the product.
    """

    category: Literal["lmt", "ev", "industrial", "stationary"]
    """Battery category (Art. 3): light means of transport, electric vehicle, industrial,
    stationary storage."""
    chemistry: str = Field(min_length=1)
    """Short name of the chemistry, e.g. ``NMC``, ``LFP``."""
    chemistry_name: str = Field(min_length=1)
    """Clear name of the chemistry, e.g. ``Lithium nickel manganese cobalt oxide``."""
    manufacturer: Organisation
    """The manufacturer placing the battery on the market."""
    operator: Organisation | None = None
    """The economic operator responsible for the passport (default: the manufacturer)."""
    mass_kg: FiniteFloat = Field(gt=0)
    """Mass of one unit, kg."""
    cells_per_unit: int = Field(ge=1)
    """Cells in one unit; each unit's cells come from the lots its genealogy names."""
    cell_supplier: Organisation
    """Supplier of the cells (the lots a unit consumes)."""
    rated_capacity_ah: FiniteFloat = Field(gt=0)
    """Rated capacity, Ah."""
    nominal_voltage_v: FiniteFloat = Field(gt=0)
    """Nominal voltage, V."""
    min_voltage_v: FiniteFloat = Field(gt=0)
    """Minimum voltage, V."""
    max_voltage_v: FiniteFloat = Field(gt=0)
    """Maximum voltage, V."""
    rated_max_power_w: FiniteFloat = Field(gt=0)
    """Rated maximum power, W."""
    power_at_soc: tuple[tuple[FiniteFloat, FiniteFloat], ...] = ()
    """Original power capability: ``[state of charge percent, power W]`` pairs."""
    expected_cycles: int = Field(ge=1)
    """Expected number of full charge-discharge cycles over the service life."""
    expected_lifetime_years: int = Field(ge=1, le=100)
    """Expected lifetime in calendar years."""
    capacity_threshold_pct: FiniteFloat = Field(default=80.0, gt=0, le=100)
    """Capacity at which the battery counts as exhausted, percent of rated capacity."""
    c_rate_life_cycle_test: FiniteFloat = Field(default=1.0, gt=0)
    """C-rate of the cycle-life test."""
    roundtrip_efficiency_pct: FiniteFloat = Field(gt=0, le=100)
    """Initial round-trip energy efficiency, percent."""
    idle_temperature_max_c: FiniteFloat = Field(ge=-20, le=60)
    """Upper bound of the temperature range the battery can withstand idle, degC."""
    shipping_state_of_charge_pct: FiniteFloat = Field(default=30.0, ge=0, le=100)
    """State of charge a unit leaves the plant at, percent (30 % or less for air transport:
    IATA Dangerous Goods Regulations, packing instruction 965)."""
    warranty_period: str = Field(pattern=r"^--(0[1-9]|1[0-2])$")
    """Warranty period as the Battery Pass data model v1.2.0 types it (an ``xsd:gMonth``,
    ``--MM``)."""
    upstream_kg_co2e: FiniteFloat = Field(ge=0)
    """Declared carbon footprint of the raw materials and cells in one unit, kg CO2e (the
    cell supplier's declaration): the raw-material stage of the passport's footprint."""
    carbon_footprint_class: str = "not yet classified"
    """Carbon footprint performance class (Art. 7(2)); classes are set by a delegated act."""
    renewable_content_pct: FiniteFloat = Field(default=0.0, ge=0, le=100)
    """Share of renewable material content, percent."""
    materials: tuple[BatteryMaterial, ...] = ()
    """Materials of one unit (Annex XIII 1(b) and 2(a))."""
    hazardous_substances: tuple[HazardousSubstance, ...] = ()
    """Hazardous substances of one unit (Annex XIII 1(b))."""
    recycled_content: tuple[RecycledShare, ...] = ()
    """Recycled content per material (Annex XIII 1(c))."""
    extinguishing_agents: tuple[str, ...] = ()
    """Usable extinguishing agents (Annex VI Part A 9)."""
    documents: BatteryDocuments
    """Where the passport's documents are published."""
    passport_url: str
    """Base URL of the passports; a unit's passport (its QR code's target) is this URL
    followed by ``/`` and its serial."""


class Product(_Frozen):
    """A product: where it is made, how fast, to what specification."""

    id: Identifier
    """Product id (material number)."""
    description: str = ""
    """What the product is."""
    unit_price: FiniteFloat = Field(default=0.0, ge=0)
    """Contribution margin of one good unit, in the enterprise currency."""
    scrap_cost: FiniteFloat = Field(default=0.0, ge=0)
    """Cost of one scrapped unit."""
    routings: tuple[Routing, ...] = ()
    """Lines that can make it, each with its steps."""
    spec_limits: tuple[SpecLimit, ...] = ()
    """Specification limits of process parameters."""
    mix: FiniteFloat = Field(default=1.0, ge=0)
    """Relative share of demand (for simulated order mixes)."""
    battery: BatterySpec | None = None
    """What the product's battery passport declares, for a battery product."""


class Enterprise(_Frozen):
    """The top of the hierarchy."""

    id: Identifier
    """Enterprise id, the first segment of every path."""
    name: str = ""
    """Display name."""
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$")
    """ISO 4217 currency of every amount in the model."""


class PlantModel(_Frozen):
    """A whole plant model document."""

    enterprise: Enterprise
    """The enterprise."""
    equipment_classes: tuple[EquipmentClass, ...] = ()
    """Kinds of equipment."""
    parts: tuple[SparePart, ...] = ()
    """Spare parts."""
    products: tuple[Product, ...] = ()
    """Products."""
    sites: tuple[Site, ...] = ()
    """Sites (plants)."""
