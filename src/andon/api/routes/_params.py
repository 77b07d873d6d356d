"""Query parameters shared by list routes: page size, cursor, path prefix, time range."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Query
from pydantic import AwareDatetime, BeforeValidator

from andon.api.context import ApiContext, context
from andon.api.problems import ApiProblem

__all__ = ["Limit", "PathPrefix", "Since", "Until", "check_range", "page_size"]

_NUMBER = re.compile(r"[+-]?\d+(\.\d*)?([eE][+-]?\d+)?")

PATH_PATTERN = r"^[A-Za-z0-9_.\-]+(/[A-Za-z0-9_.\-]+)*/?$"

PathPrefix = Annotated[
    str | None,
    Query(
        max_length=500,
        pattern=PATH_PATTERN,
        description="Only items at or below this model path (e.g. `acme/lyon/assembly`).",
    ),
]


def _iso_only(value: object) -> object:
    """Refuse a bare number: a time here is ISO 8601 with a zone, as the document says."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        msg = "give an ISO 8601 date-time with a zone, e.g. 2026-03-02T06:00:00Z"
        raise ValueError(msg)
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_only)]
Since = Annotated[
    IsoTime | None, Query(description="Only items at or after this time (with a zone).")
]
Until = Annotated[IsoTime | None, Query(description="Only items before this time.")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=400,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The `next_cursor` of the previous page.",
    ),
]


async def page_size(
    ctx: Annotated[ApiContext, Depends(context)],
    limit: Annotated[
        int | None, Query(ge=1, le=500, description="Items per page, at most 500.")
    ] = None,
) -> int:
    """Return the page size asked for, refusing more than the server allows."""
    if limit is None:
        return ctx.settings.default_page_size
    if limit > ctx.settings.max_page_size:
        msg = f"limit {limit} is above the largest page, {ctx.settings.max_page_size}"
        raise ApiProblem(422, "page.too_large", msg)
    return limit


Limit = Annotated[int, Depends(page_size)]


def check_range(since: AwareDatetime | None, until: AwareDatetime | None) -> None:
    """Refuse a time range that ends before it starts."""
    if since is not None and until is not None and until < since:
        raise ApiProblem(422, "range.invalid", "until is before since")
