"""``/api/v1/records/{kind}``: canonical records at or below a path in a time range."""

from __future__ import annotations

from typing import Annotated, Any

import pyarrow as pa
import pyarrow.compute as pc
from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict

from andon.api.context import ApiContext, context
from andon.api.problems import PROBLEM_RESPONSES, ApiProblem
from andon.api.routes._params import Cursor, Limit, PathPrefix, Since, Until, check_range
from andon.api.schemas import decode_cursor, encode_cursor, to_micros
from andon.api.security import Authorized
from andon.decisions import Role
from andon.records import PATH_COLUMNS, RecordKind

router = APIRouter(prefix="/api/v1/records", tags=["records"], responses=PROBLEM_RESPONSES)

RULES = {("GET", "/api/v1/records/{kind}"): Role.VIEWER}

Ctx = Annotated[ApiContext, Depends(context)]


class RecordPage(BaseModel):
    """A page of records ordered by time; ``ts`` is UTC microseconds."""

    model_config = ConfigDict(extra="forbid")

    kind: RecordKind
    items: list[dict[str, Any]]
    next_cursor: str | None


def _scope(who: Any, kind: RecordKind, path: str | None) -> str | None:
    if who.all_sites:
        return path
    if kind not in PATH_COLUMNS:
        msg = f"{kind.value} records carry no model path; only users of all sites may read them"
        raise ApiProblem(403, "auth.site", msg)
    if path is None:
        if len(who.sites) == 1:
            return str(who.sites[0])
        msg = f"give a path within your sites ({', '.join(who.sites)})"
        raise ApiProblem(422, "records.path_required", msg)
    if not who.can_see(path.rstrip("/")) or path.count("/") < 1:
        raise ApiProblem(403, "auth.site", f"{path} is outside your sites")
    return path


@router.get("/{kind}")
def list_records(
    *,
    kind: RecordKind,
    who: Authorized,
    ctx: Ctx,
    limit: Limit,
    path: PathPrefix = None,
    since: Since = None,
    until: Until = None,
    cursor: Cursor = None,
) -> RecordPage:
    """Return records of a kind at or below a path in ``[since, until)``, oldest first."""
    check_range(since, until)
    prefix = _scope(who, kind, path)
    start = to_micros(since)
    skip = 0
    if cursor is not None:
        cursor_ts, skip = decode_cursor(cursor, types=(int, int))
        if skip < 0 or skip > 1_000_000:
            raise ApiProblem(422, "cursor.invalid", "the cursor is not one this API gave out")
        start = cursor_ts if start is None else max(start, cursor_ts)
    table = ctx.store.records(
        kind, path_prefix=prefix, start=start, end=to_micros(until), limit=skip + limit + 1
    )
    window = table.slice(0, skip + limit)
    page = window.slice(skip)
    ts = page.column("ts").cast(pa.int64())
    items = page.set_column(page.schema.get_field_index("ts"), "ts", ts).to_pylist()
    next_cursor = None
    if table.num_rows > skip + limit and page.num_rows:
        last = ts[-1].as_py()
        all_ts = window.column("ts").cast(pa.int64())
        same = int(pc.sum(pc.equal(all_ts, last)).as_py() or 0)
        next_cursor = encode_cursor(last, same)
    return RecordPage(kind=kind, items=items, next_cursor=next_cursor)
