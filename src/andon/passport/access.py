"""Which access level a caller reads a passport at: by role, site and the level asked for.

Annex XIII of the Battery Regulation names three audiences; andon maps its roles onto
them: anyone, logged in or not, reads the public part (the QR code's target is open);
an ``operator`` or ``engineer`` of the unit's site reads what persons with a legitimate
interest may; an ``admin`` of the site reads what authorities may. A caller outside the
unit's site reads the public part only. A caller may ask for a lower level (to see what
the public sees), never a higher one.
"""

from __future__ import annotations

from andon.decisions.access import Principal, Role
from andon.passport.types import AccessLevel

__all__ = ["level_for"]

_BY_ROLE = {
    Role.VIEWER: AccessLevel.PUBLIC,
    Role.OPERATOR: AccessLevel.LEGITIMATE_INTEREST,
    Role.ENGINEER: AccessLevel.LEGITIMATE_INTEREST,
    Role.ADMIN: AccessLevel.AUTHORITIES,
}


def level_for(who: Principal | None, *, site: str, asked: AccessLevel | None = None) -> AccessLevel:
    """Return the level ``who`` reads the passport of a unit made at ``site`` at.

    >>> level_for(None, site="acme/lyon")
    <AccessLevel.PUBLIC: 'public'>
    >>> ana = Principal(username="ana", role=Role.ADMIN, sites=("acme/lyon",))
    >>> level_for(ana, site="acme/lyon"), level_for(ana, site="acme/oslo")
    (<AccessLevel.AUTHORITIES: 'authorities'>, <AccessLevel.PUBLIC: 'public'>)
    >>> level_for(ana, site="acme/lyon", asked=AccessLevel.PUBLIC)
    <AccessLevel.PUBLIC: 'public'>
    """
    entitled = AccessLevel.PUBLIC
    if who is not None and who.can_see(site):
        entitled = _BY_ROLE[Role(str(who.role))]
    if asked is not None and entitled.allows(asked):
        return asked
    return entitled
