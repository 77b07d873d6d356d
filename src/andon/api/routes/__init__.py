"""The API's routers, one module per resource, and the rule table that guards them."""

from andon.api.routes import (
    audit,
    auth,
    decisions,
    health,
    kpis,
    model,
    policy,
    records,
    users,
)

__all__ = [
    "audit",
    "auth",
    "decisions",
    "health",
    "kpis",
    "model",
    "policy",
    "records",
    "users",
]
