"""Which access level a caller reads a passport at: by role, site and the level asked for.

Annex XIII of the Battery Regulation names three audiences; andon maps its roles onto
them: anyone, logged in or not, reads the public part (the QR code's target is open);
an ``operator`` or ``engineer`` of the unit's site reads what persons with a legitimate
interest may; an ``admin`` of the site reads what authorities may. A caller outside the
unit's site reads the public part only. A caller may ask for a lower level (to see what
the public sees), never a higher one.

The role is given by its name (``andon.decisions.Role``'s values), so that passports
import nothing from the decision layer to their right.
"""

from __future__ import annotations

from typing import Final

from andon.passport.types import AccessLevel

__all__ = ["LEVEL_BY_ROLE", "level_for"]

LEVEL_BY_ROLE: Final = {
    "viewer": AccessLevel.PUBLIC,
    "operator": AccessLevel.LEGITIMATE_INTEREST,
    "engineer": AccessLevel.LEGITIMATE_INTEREST,
    "admin": AccessLevel.AUTHORITIES,
}
"""The level each role reads a passport of its own sites at."""


def level_for(role: str | None, *, of_site: bool, asked: AccessLevel | None = None) -> AccessLevel:
    """Return the level a caller with ``role`` (``None``: no credentials) reads at;
    ``of_site``: whether the unit was made at one of the caller's sites.

    >>> level_for(None, of_site=False)
    <AccessLevel.PUBLIC: 'public'>
    >>> level_for("admin", of_site=True), level_for("admin", of_site=False)
    (<AccessLevel.AUTHORITIES: 'authorities'>, <AccessLevel.PUBLIC: 'public'>)
    >>> level_for("admin", of_site=True, asked=AccessLevel.PUBLIC)
    <AccessLevel.PUBLIC: 'public'>
    """
    entitled = AccessLevel.PUBLIC
    if role is not None and of_site:
        entitled = LEVEL_BY_ROLE.get(str(role), AccessLevel.PUBLIC)
    if asked is not None and entitled.allows(asked):
        return asked
    return entitled
