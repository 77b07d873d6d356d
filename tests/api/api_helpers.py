"""Helpers of the API tests: an app with users of every role at two sites."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import FastAPI
from fastapi.testclient import TestClient

from andon.api import ApiSettings, create_app
from andon.apps.maintenance.actions import INTERVENE
from andon.decisions import (
    DecisionRecord,
    DecisionService,
    PasswordPolicy,
    Role,
    UserService,
    ensure_schema,
)
from andon.decisions._json import now_us
from andon.model import Model
from andon.proposals import Action, Factor, Option, Proposal
from andon.store.base import Store

HOUR = 3_600_000_000
PASSWORD = "correct horse battery staple"
SETTINGS = ApiSettings(password_memory_kib=1024)
FAST = PasswordPolicy(memory_kib=1024, time_cost=1, parallelism=1)


def proposal(
    subject: str, *, value: float = 1000.0, ttl: int = 48 * HOUR, app: str = "maintenance"
) -> Proposal:
    now = now_us()
    return Proposal(
        app=app,
        supersede_key="intervention",
        subject=subject,
        action=Action(
            kind=INTERVENE.name,
            subject=subject,
            failure_modes=("bearing",),
            slot_start=now + HOUR,
            label="replace the bearing",
        ),
        options=(Option(action="defer", expected_cost=2000.0),),
        expected_value=value,
        value_low=value / 2,
        value_high=value * 2,
        confidence=0.7,
        explanation="vibration rising",
        factors=(Factor(name="vibration", text="up 40 %", weight=0.5, value=4.2),),
        evidence={"rms": [1.0, 2.0]},
        model_version="m@1",
        created_at=now,
        expires_at=now + ttl,
    )


@dataclass
class Env:
    """The app, its store and services, and a token per (role, site)."""

    app: FastAPI
    client: TestClient
    store: Store
    users: UserService
    decisions: DecisionService
    tokens: dict[str, str] = field(default_factory=dict)

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def token_for(self, username: str) -> str:
        return self.users.issue_token(username, name="test", actor="test").secret

    def propose(self, subject: str, **kwargs: object) -> DecisionRecord:
        return self.decisions.propose([proposal(subject, **kwargs)])[0]  # type: ignore[arg-type]


def build(store: Store, model: Model) -> Env:
    ensure_schema(store)
    users = UserService(store=store, passwords=FAST)
    env = Env(
        app=create_app(store=store, model=model, settings=SETTINGS),
        client=None,  # type: ignore[arg-type]
        store=store,
        users=users,
        decisions=DecisionService(store=store),
    )
    env.client = TestClient(env.app)
    for site in ("lyon", "brno"):
        for role in Role:
            name = f"{role.value}-{site}"
            users.add(name, role=role, sites=[f"acme/{site}"], password=PASSWORD, actor="test")
            env.tokens[name] = env.token_for(name)
    users.add("root", role=Role.ADMIN, sites=["*"], password=PASSWORD, actor="test")
    env.tokens["root"] = env.token_for("root")
    return env
