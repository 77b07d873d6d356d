"""What a decision app hands to the rest of andon: typed actions, proposals, outcomes, and
the app and executor protocols.

These are value types on the left of DESIGN.md's picture, beside the records: apps create
:class:`Proposal` values, ``andon.decisions`` turns them into decision records and governs
them, and neither imports the other. Money is in the model's currency; times are UTC
microseconds.

Every proposal carries a frozen :class:`Action`: a kind from a vocabulary that its app
registers (:func:`register_action_kinds`), the subject path and typed parameters. Programs
read the action's fields, never its ``label``, which is for people.

>>> kind = ActionKind(name="example_replace", app="example", description="replace a part",
...                   requires=frozenset({"failure_modes", "slot_start"}))
>>> register_action_kinds(kind)
>>> action = Action(kind="example_replace", subject="acme/lyon/machining/m1/milling/mill1",
...                 failure_modes=("spindle_bearing",), slot_start=3_600_000_000,
...                 label="replace spindle bearing in window sat-morning")
>>> proposal = Proposal(
...     app="example", subject=action.subject, action=action,
...     options=(Option(action="defer", expected_cost=5200.0),
...              Option(action="replace in sat-morning", expected_cost=1900.0)),
...     expected_value=3300.0, value_low=800.0, value_high=5100.0, confidence=0.8,
...     explanation="vibration rising for 9 days", created_at=0, expires_at=86_400_000_000)
>>> proposal.site, proposal.title
('acme/lyon', 'replace spindle bearing in window sat-morning')
>>> Action.from_json(action.to_json()) == action
True
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from andon.errors import ActionError
from andon.model import Model
from andon.store.base import Store

__all__ = [
    "Action",
    "ActionKind",
    "DecisionApp",
    "Execution",
    "ExecutionStatus",
    "Executor",
    "Factor",
    "FitReport",
    "Option",
    "Outcome",
    "PartQuantity",
    "Proposal",
    "action_kind",
    "action_kinds",
    "register_action_kinds",
    "validate_action",
]


@dataclass(frozen=True, slots=True)
class PartQuantity:
    """A spare part and how many of it."""

    part: str
    quantity: int

    def __post_init__(self) -> None:
        if self.quantity <= 0:
            msg = f"a part quantity must be positive, got {self.quantity} of {self.part!r}"
            raise ActionError(msg)


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """What a decision does, as data: a registered kind, its subject and typed parameters.

    ``slot_start`` and ``slot_end`` bound when work happens (UTC microseconds); a
    ``slot_start`` at or before the moment of execution means "now". ``parts`` are the spare
    parts the work uses, ``order`` those to order now (``expedite``: by the fast route).
    ``target`` is where production moves to; ``units`` and ``lots`` name what a quality
    action holds, tests or releases; ``job`` names a movable job; ``idle_minutes`` is the
    idle time after which a switch-off rule switches a machine off. Fields a kind does not use
    stay empty. ``label`` says the action in plain words for people; no program reads it.
    """

    kind: str
    subject: str
    label: str = ""
    failure_modes: tuple[str, ...] = ()
    slot_start: int | None = None
    slot_end: int | None = None
    window: str | None = None
    parts: tuple[PartQuantity, ...] = ()
    order: tuple[PartQuantity, ...] = ()
    expedite: bool = False
    target: str | None = None
    units: tuple[str, ...] = ()
    lots: tuple[str, ...] = ()
    job: str | None = None
    idle_minutes: float | None = None

    def __post_init__(self) -> None:
        if not self.kind:
            msg = "an action needs a kind"
            raise ActionError(msg)
        if not self.subject:
            msg = f"action {self.kind!r} needs a subject path"
            raise ActionError(msg)
        if (
            self.slot_start is not None
            and self.slot_end is not None
            and self.slot_end < self.slot_start
        ):
            msg = f"action {self.kind!r} on {self.subject}: its slot ends before it starts"
            raise ActionError(msg)

    def to_json(self) -> dict[str, Any]:
        """Return the action as a JSON object (empty parameters left out)."""
        out: dict[str, Any] = {"kind": self.kind, "subject": self.subject}
        for item in fields(self):
            name = item.name
            if name in {"kind", "subject"}:
                continue
            value = getattr(self, name)
            if value is None or value is False or (isinstance(value, str | tuple) and not value):
                continue  # an empty parameter; ``0`` (a time, a quantity) is kept
            if name in {"parts", "order"}:
                value = [{"part": p.part, "quantity": p.quantity} for p in value]
            elif isinstance(value, tuple):
                value = list(value)
            out[name] = value
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Action:
        """Return the action a :meth:`to_json` object describes."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            msg = f"unknown action field(s): {', '.join(unknown)}"
            raise ActionError(msg)
        values: dict[str, Any] = {}
        for name, value in data.items():
            if name in {"parts", "order"}:
                values[name] = tuple(
                    PartQuantity(str(p["part"]), int(p["quantity"])) for p in value
                )
            elif name in {"failure_modes", "units", "lots"}:
                values[name] = tuple(str(v) for v in value)
            else:
                values[name] = value
        return cls(**values)


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionKind:
    """One word of an app's action vocabulary.

    ``requires`` names the :class:`Action` fields an action of this kind must set;
    ``executable`` is false for kinds that change nothing in the plant (watch): approving
    one records the judgement, and no executor is asked to carry it out.
    """

    name: str
    app: str
    description: str
    requires: frozenset[str] = frozenset()
    executable: bool = True


_KINDS: dict[str, ActionKind] = {}
_KINDS_LOCK = threading.Lock()
_FIELDS = frozenset(item.name for item in fields(Action))


def register_action_kinds(*kinds: ActionKind) -> None:
    """Add an app's action kinds to the vocabulary (the same kind twice is harmless)."""
    with _KINDS_LOCK:
        for kind in kinds:
            unknown = kind.requires - _FIELDS
            if unknown:
                msg = f"action kind {kind.name!r} requires unknown field(s) {sorted(unknown)}"
                raise ActionError(msg)
            known = _KINDS.get(kind.name)
            if known is not None and known != kind:
                msg = (
                    f"action kind {kind.name!r} is registered by app {known.app!r} already "
                    f"with another meaning; app {kind.app!r} must choose another name"
                )
                raise ActionError(msg)
            _KINDS[kind.name] = kind


def action_kind(name: str) -> ActionKind:
    """Return the registered kind ``name``."""
    found = _KINDS.get(name)
    if found is None:
        msg = f"unknown action kind {name!r}; registered: {', '.join(sorted(_KINDS)) or 'none'}"
        raise ActionError(msg)
    return found


def action_kinds(app: str | None = None) -> tuple[ActionKind, ...]:
    """Return the registered kinds (of one app), by name."""
    return tuple(k for _, k in sorted(_KINDS.items()) if app is None or k.app == app)


def validate_action(action: Action) -> ActionKind:
    """Check an action against its registered kind; return the kind."""
    kind = action_kind(action.kind)
    missing = sorted(name for name in kind.requires if getattr(action, name) in (None, "", ()))
    if missing:
        msg = f"action {action.kind!r} on {action.subject} lacks {', '.join(missing)}"
        raise ActionError(msg)
    return kind


@dataclass(frozen=True, slots=True, kw_only=True)
class Option:
    """One course of action that was weighed, with its expected total cost."""

    action: str
    expected_cost: float
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Factor:
    """One reason behind a proposal, in plain words, with its weight in the decision."""

    name: str
    text: str
    weight: float = 0.0
    value: float | str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Proposal:
    """A recommended typed action on one subject (a model path), with its evidence and value.

    ``expected_value`` is the expected saving against doing nothing; ``value_low`` and
    ``value_high`` bound it (10th and 90th percentiles where the app can say). ``confidence``
    is in [0, 1]; an app that cannot judge says so with a low confidence and a factor giving
    the data-quality reason, never a confident number from nothing. ``supersede_key``
    groups an app's proposals on a subject: a new proposal replaces the open decision of the
    same app, subject and key when it changed materially (the maintenance app keeps one key
    per asset, so an asset's new plan replaces its open decision whatever its action).
    """

    app: str
    subject: str
    action: Action
    expected_value: float
    confidence: float
    explanation: str
    created_at: int
    expires_at: int
    options: tuple[Option, ...] = ()
    value_low: float | None = None
    value_high: float | None = None
    factors: tuple[Factor, ...] = ()
    evidence: Mapping[str, Any] = field(default_factory=dict)
    model_version: str = ""
    supersede_key: str = ""
    asks: bool = True
    """Whether the proposal asks a person for a decision (its value of deciding passes the
    site's threshold, or it is urgent); one that does not is recorded and scored like a
    shadow decision and kept out of the inbox."""

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            msg = f"confidence must be within [0, 1], got {self.confidence}"
            raise ValueError(msg)
        if self.expires_at <= self.created_at:
            msg = "a proposal must expire after it is created"
            raise ValueError(msg)
        if self.action.subject != self.subject:
            msg = (
                f"the action's subject {self.action.subject} is not the proposal's "
                f"subject {self.subject}"
            )
            raise ActionError(msg)
        validate_action(self.action)

    @property
    def site(self) -> str:
        """Path of the site the subject belongs to (``enterprise/site``)."""
        return "/".join(self.subject.split("/")[:2])

    @property
    def title(self) -> str:
        """The action in plain words (its label, else its kind)."""
        return self.action.label or self.action.kind


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """What happened after a decision, measured from later records."""

    measured_at: int
    realised_value: float | None
    success: bool | None
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class FitReport:
    """What fitting produced: the artifact's version and figures about its quality."""

    app: str
    version: str
    trained_until: int
    metrics: Mapping[str, float] = field(default_factory=dict)
    notes: Sequence[str] = ()
    rows: int = 0


@runtime_checkable
class DecisionApp(Protocol):
    """The shape every decision app offers: fit on history, propose now, measure outcomes."""

    name: str

    def fit(self, store: Store, model: Model, *, until: int) -> FitReport:
        """Learn from the store's history up to ``until``; version and store the artifact."""
        ...

    def propose(self, store: Store, model: Model, *, now: int) -> list[Proposal]:
        """Return proposals for the state of the plant at ``now``."""
        ...

    def outcome(
        self, store: Store, model: Model, *, action: Action, decided_at: int, now: int
    ) -> Outcome | None:
        """Measure, from records after ``decided_at``, what the decision's typed action
        achieved; ``None`` if it is too early to say."""
        ...


class ExecutionStatus(StrEnum):
    """How far an executor got with an approved action."""

    DONE = "done"
    """Carried out: the decision is executed."""
    DISPATCHED = "dispatched"
    """Handed to a plant system, which has not acknowledged it yet."""
    FAILED = "failed"
    """Not carried out; the decision stays approved and is tried again."""
    REJECTED = "rejected"
    """Refused by the plant's system; the decision stays approved until a person acts."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """What an executor did with one approved decision.

    ``reference`` names the work in the system that carries it out (a work request id);
    ``detail`` says what was done or, for a failure, what went wrong.
    """

    decision_id: str
    status: ExecutionStatus
    detail: str = ""
    reference: str | None = None


@runtime_checkable
class Executor(Protocol):
    """Carries out approved decisions' actions: the simulated plant, a real plant's systems,
    or nobody (shadow mode).

    :meth:`execute` never raises for a failure of the plant's system: it returns a
    ``FAILED`` execution with the reason, so the decision stays approved and is retried.
    :meth:`acknowledgements` returns what the plant confirmed or refused since the last call
    (an executor that is done at once returns nothing).
    """

    name: str

    def execute(self, *, decision_id: str, action: Action, now: int) -> Execution:
        """Carry out (or hand on) one approved action."""
        ...

    def acknowledgements(self, *, now: int) -> list[Execution]:
        """Return the dispatched work the plant has since acknowledged or refused."""
        ...
