"""``/api/v1/policy``: escalation rules and shadow scopes (read by engineers, set by admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES
from andon.api.schemas import PolicyModel, RuleModel, ShadowModel
from andon.api.security import Authorized
from andon.decisions import EscalationRule, Policy, Role, ShadowScope

router = APIRouter(prefix="/api/v1/policy", tags=["policy"], responses=PROBLEM_RESPONSES)

RULES = {
    ("GET", "/api/v1/policy"): Role.ENGINEER,
    ("PUT", "/api/v1/policy"): Role.ADMIN,
}

Ctx = Annotated[ApiContext, Depends(context)]


def _out(policy: Policy) -> PolicyModel:
    return PolicyModel(
        rules=[
            RuleModel(
                name=r.name,
                role=r.role,
                min_value=r.min_value,
                max_confidence=r.max_confidence,
                app=r.app,
            )
            for r in policy.rules
        ],
        shadow=[ShadowModel(app=s.app, site=s.site) for s in policy.shadow],
    )


@router.get("")
def get_policy(who: Authorized, ctx: Ctx) -> PolicyModel:
    """Return the escalation rules and shadow scopes in force."""
    del who
    return _out(ctx.governance.policy())


@router.put("")
def put_policy(body: PolicyModel, who: Authorized, ctx: Ctx) -> PolicyModel:
    """Replace the escalation rules and shadow scopes (audited)."""
    rules = tuple(EscalationRule.from_json(r.model_dump(mode="json")) for r in body.rules)
    policy = Policy(
        rules=rules, shadow=tuple(ShadowScope(app=s.app, site=s.site) for s in body.shadow)
    )
    ctx.governance.set_policy(policy, actor=who.username)
    return _out(ctx.governance.policy())
