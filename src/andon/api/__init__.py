"""andon's REST API (FastAPI): the plant model, records, decisions, audit; secure by default.

>>> from andon.api import ApiSettings
>>> ApiSettings().host
'127.0.0.1'
"""

from andon.api.app import OPENAPI_PATH, create_app, missing_rules, openapi_document
from andon.api.security import PUBLIC, Authorized, add_rule, route_rules
from andon.api.settings import ApiSettings

__all__ = [
    "OPENAPI_PATH",
    "PUBLIC",
    "ApiSettings",
    "Authorized",
    "add_rule",
    "create_app",
    "missing_rules",
    "openapi_document",
    "route_rules",
]
