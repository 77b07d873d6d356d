"""The decision layer's errors: each a :class:`~andon.errors.DecisionError` or
:class:`~andon.errors.AuthError` with a stable ``code`` the REST API maps to a status."""

from __future__ import annotations

from andon.errors import AuthError, DecisionError

__all__ = [
    "DecisionConflictError",
    "DecisionExpiredError",
    "DecisionNotFoundError",
    "ForbiddenError",
    "HeadFileError",
    "IllegalTransitionError",
    "InvalidInputError",
    "NotAuthenticatedError",
    "UserExistsError",
]


class DecisionNotFoundError(DecisionError):
    """No decision with that id (or none the user may see)."""

    code = "decision.not_found"


class IllegalTransitionError(DecisionError):
    """The workflow does not allow this action from the decision's current status."""

    code = "decision.illegal_transition"


class DecisionExpiredError(DecisionError):
    """The decision expired before it was decided."""

    code = "decision.expired"


class DecisionConflictError(DecisionError):
    """Someone else changed the decision first; reload and try again."""

    code = "decision.conflict"


class InvalidInputError(DecisionError):
    """A value given to the decision layer is wrong (empty reason, unknown role, bad rule)."""

    code = "decision.invalid_input"


class UserExistsError(DecisionError):
    """A user with that name exists already: change that user instead of adding one."""

    code = "user.exists"


class HeadFileError(DecisionError):
    """The audit head file cannot be written or read, or holds a line that is not a head."""

    code = "audit.head_file"


class NotAuthenticatedError(AuthError):
    """No valid credentials: unknown user, wrong password, unknown, revoked or expired token."""

    code = "auth.not_authenticated"


class ForbiddenError(AuthError):
    """The user's role or site scope does not allow the action."""

    code = "auth.forbidden"
