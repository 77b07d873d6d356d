"""Helpers of the decision tests: proposals like an app makes, principals, a settable clock."""

from __future__ import annotations

from andon.apps.maintenance.actions import INTERVENE
from andon.decisions import PasswordPolicy
from andon.decisions.access import Principal, Role
from andon.proposals import Action, Factor, Option, Proposal

HOUR = 3_600_000_000
FAST_PASSWORDS = PasswordPolicy(memory_kib=1024, time_cost=1, parallelism=1)


class Clock:
    """A settable clock in UTC microseconds."""

    def __init__(self, now: int = 1_700_000_000_000_000) -> None:
        self.now = now

    def __call__(self) -> int:
        return self.now


def make_proposal(
    *,
    subject: str = "acme/lyon/machining/m1/milling/mill1",
    app: str = "maintenance",
    value: float = 3300.0,
    confidence: float = 0.8,
    created_at: int = 1_700_000_000_000_000,
    ttl: int = 24 * HOUR,
    kind: str = "intervention",
) -> Proposal:
    """Return a proposal like an app would make (``kind`` is its supersede key)."""
    return Proposal(
        app=app,
        supersede_key=kind,
        subject=subject,
        action=Action(
            kind=INTERVENE.name,
            subject=subject,
            failure_modes=("spindle_bearing",),
            slot_start=created_at + 3 * HOUR,
            label="replace spindle bearing in window sat-morning",
        ),
        options=(
            Option(action="defer", expected_cost=5200.0),
            Option(action="replace", expected_cost=1900.0),
        ),
        expected_value=value,
        value_low=value / 4,
        value_high=value * 1.5,
        confidence=confidence,
        explanation="vibration rising for 9 days",
        factors=(Factor(name="vibration", text="RMS up 40 %", weight=0.6, value=4.2),),
        evidence={"vibration_rms": [2.1, 2.9, 4.2], "window": "sat-morning"},
        model_version="maintenance@1",
        created_at=created_at,
        expires_at=created_at + ttl,
    )


def person(role: Role = Role.OPERATOR, sites: tuple[str, ...] = ("acme/lyon",)) -> Principal:
    """Return a principal of a role at sites."""
    return Principal(username=f"{role.value}-user", role=role, sites=sites)
