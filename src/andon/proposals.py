"""What a decision app hands to the rest of andon: proposals, outcomes, and the app protocol.

These are value types on the left of DESIGN.md's picture, beside the records: apps create
:class:`Proposal` values, ``andon.decisions`` turns them into decision records and governs
them, and neither imports the other. Money is in the model's currency; times are UTC
microseconds.

>>> proposal = Proposal(
...     app="maintenance", subject="acme/lyon/machining/m1/milling/mill1",
...     action="replace spindle bearing in window sat-morning",
...     options=(Option(action="defer", expected_cost=5200.0),
...              Option(action="replace in sat-morning", expected_cost=1900.0)),
...     expected_value=3300.0, value_low=800.0, value_high=5100.0, confidence=0.8,
...     explanation="vibration rising for 9 days", created_at=0, expires_at=86_400_000_000)
>>> proposal.site
'acme/lyon'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from andon.model import Model
from andon.store.base import Store

__all__ = ["DecisionApp", "Factor", "FitReport", "Option", "Outcome", "Proposal"]


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
    """A recommended action on one subject (a model path), with its evidence and value.

    ``expected_value`` is the expected saving against doing nothing; ``value_low`` and
    ``value_high`` bound it (10th and 90th percentiles where the app can say). ``confidence``
    is in [0, 1]; an app that cannot judge says so with a low confidence and a factor giving
    the data-quality reason, never a confident number from nothing.
    """

    app: str
    subject: str
    action: str
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
    kind: str = ""

    def __post_init__(self) -> None:
        if not 0.0 <= self.confidence <= 1.0:
            msg = f"confidence must be within [0, 1], got {self.confidence}"
            raise ValueError(msg)
        if self.expires_at <= self.created_at:
            msg = "a proposal must expire after it is created"
            raise ValueError(msg)

    @property
    def site(self) -> str:
        """Path of the site the subject belongs to (``enterprise/site``)."""
        return "/".join(self.subject.split("/")[:2])


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
        self, store: Store, model: Model, *, subject: str, action: str, decided_at: int, now: int
    ) -> Outcome | None:
        """Measure, from records after ``decided_at``, what happened; ``None`` if too early."""
        ...
