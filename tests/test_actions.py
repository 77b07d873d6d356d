"""Typed actions: the vocabulary, validation on every proposal, and the JSON round trip."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import andon.apps.maintenance.actions  # noqa: F401 - registers the maintenance vocabulary
from andon.errors import ActionError
from andon.proposals import (
    Action,
    ActionKind,
    PartQuantity,
    Proposal,
    action_kind,
    action_kinds,
    register_action_kinds,
    validate_action,
)

SUBJECT = "acme/lyon/machining/m1/milling/mill1"


def _proposal(action: Action, *, subject: str = SUBJECT) -> Proposal:
    return Proposal(
        app="maintenance",
        subject=subject,
        action=action,
        expected_value=10.0,
        confidence=0.5,
        explanation="test",
        created_at=0,
        expires_at=1,
    )


def test_the_maintenance_vocabulary_is_registered_with_what_each_kind_needs() -> None:
    names = {k.name for k in action_kinds("maintenance")}
    assert names == {
        "watch",
        "order_part",
        "intervene",
        "expedite",
        "move_production",
        "expedite_part",
    }
    assert not action_kind("watch").executable
    assert action_kind("move_production").requires >= {"target", "slot_start"}


def test_a_proposal_refuses_an_action_its_kind_does_not_allow() -> None:
    with pytest.raises(ActionError, match="lacks slot_start"):
        _proposal(Action(kind="intervene", subject=SUBJECT, failure_modes=("bearing",)))
    with pytest.raises(ActionError, match="unknown action kind 'repair_by_magic'"):
        _proposal(Action(kind="repair_by_magic", subject=SUBJECT))
    with pytest.raises(ActionError, match="is not the proposal's subject"):
        _proposal(
            Action(kind="watch", subject=SUBJECT, failure_modes=("bearing",)),
            subject="acme/brno/x",
        )
    with pytest.raises(ActionError, match="ends before it starts"):
        Action(kind="intervene", subject=SUBJECT, slot_start=10, slot_end=5)
    with pytest.raises(ActionError, match="must be positive"):
        PartQuantity("BRG-1", 0)


def test_an_app_cannot_take_a_word_another_app_registered_with_another_meaning() -> None:
    mine = ActionKind(name="test_hold_lot", app="test-a", description="hold a lot")
    register_action_kinds(mine)
    register_action_kinds(mine)  # the same kind again is harmless
    clash = ActionKind(name="test_hold_lot", app="test-b", description="something else")
    with pytest.raises(ActionError, match="registered by app 'test-a' already"):
        register_action_kinds(clash)
    with pytest.raises(ActionError, match="unknown field"):
        register_action_kinds(
            ActionKind(
                name="test_bad", app="test-a", description="x", requires=frozenset({"colour"})
            )
        )


def test_validation_names_every_missing_parameter() -> None:
    kind = validate_action(
        Action(
            kind="expedite",
            subject=SUBJECT,
            failure_modes=("bearing",),
            slot_start=5,
            order=(PartQuantity("BRG-1", 2),),
        )
    )
    assert kind.name == "expedite"
    with pytest.raises(ActionError, match="lacks failure_modes, order, slot_start"):
        validate_action(Action(kind="expedite", subject=SUBJECT))


_TEXT = st.text(min_size=1, max_size=20)
_PARTS = st.lists(
    st.builds(PartQuantity, _TEXT, st.integers(min_value=1, max_value=10_000)), max_size=4
).map(tuple)
_TIMES = st.one_of(st.none(), st.integers(min_value=0, max_value=4_000_000_000_000_000))


@st.composite
def _actions(draw: st.DrawFn) -> Action:
    start = draw(_TIMES)
    end = draw(_TIMES)
    if start is not None and end is not None and end < start:
        start, end = end, start
    return Action(
        kind=draw(_TEXT),
        subject=draw(_TEXT),
        label=draw(st.text(max_size=40)),
        failure_modes=tuple(draw(st.lists(_TEXT, max_size=3))),
        slot_start=start,
        slot_end=end,
        window=draw(st.one_of(st.none(), _TEXT)),
        parts=draw(_PARTS),
        order=draw(_PARTS),
        expedite=draw(st.booleans()),
        target=draw(st.one_of(st.none(), _TEXT)),
        units=tuple(draw(st.lists(_TEXT, max_size=3))),
        lots=tuple(draw(st.lists(_TEXT, max_size=3))),
        job=draw(st.one_of(st.none(), _TEXT)),
    )


@given(_actions())
def test_an_action_survives_its_json_document(action: Action) -> None:
    assert Action.from_json(action.to_json()) == action


def test_a_json_document_with_a_field_actions_do_not_have_is_refused() -> None:
    with pytest.raises(ActionError, match="unknown action field"):
        Action.from_json({"kind": "watch", "subject": SUBJECT, "colour": "red"})
