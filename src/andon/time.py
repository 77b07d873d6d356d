"""The microsecond time of andon: UTC microseconds since the Unix epoch, as plain integers.

Every record carries ``ts`` as UTC microseconds (an Arrow ``int64`` column), so an instant is
an ``int`` everywhere: ``Micros`` is an alias that says what the integer means, not a new
type, so columns, numpy arrays and arithmetic need no casts. Aware datetimes and ISO 8601
strings are converted at the edges; a naive datetime or a string without an offset is
refused, because a plant spans time zones and a guess would be wrong by hours at one of them.

>>> from andon.time import HOUR_US, from_iso, to_iso
>>> t = from_iso("2026-03-08T06:00:00Z")
>>> to_iso(t + 2 * HOUR_US)
'2026-03-08T08:00:00+00:00'
"""

from __future__ import annotations

import datetime as dt
from typing import Final, TypeAlias

__all__ = [
    "DAY_US",
    "EPOCH",
    "HOUR_US",
    "MINUTE_US",
    "SECOND_US",
    "WEEK_US",
    "Micros",
    "from_datetime",
    "from_iso",
    "from_seconds",
    "to_datetime",
    "to_iso",
    "to_seconds",
]

Micros: TypeAlias = int
"""UTC microseconds since 1970-01-01T00:00:00Z."""

SECOND_US: Final = 1_000_000
MINUTE_US: Final = 60 * SECOND_US
HOUR_US: Final = 60 * MINUTE_US
DAY_US: Final = 24 * HOUR_US
"""A UTC day; a local day is 23 or 25 hours on a daylight-saving change (see the calendar)."""
WEEK_US: Final = 7 * DAY_US

EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def from_datetime(moment: dt.datetime) -> Micros:
    """Return the UTC microseconds of an aware datetime, exactly (no float on the way).

    >>> from_datetime(dt.datetime(1970, 1, 2, tzinfo=dt.UTC)) == DAY_US
    True
    >>> from_datetime(dt.datetime(2026, 1, 5, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    1767571200000000
    >>> from_datetime(dt.datetime(2026, 1, 5))
    Traceback (most recent call last):
    ...
    ValueError: naive datetime 2026-01-05T00:00:00 has no time zone; give it tzinfo
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        msg = f"naive datetime {moment.isoformat()} has no time zone; give it tzinfo"
        raise ValueError(msg)
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * SECOND_US + delta.microseconds


def to_datetime(micros: Micros) -> dt.datetime:
    """Return the aware UTC datetime of UTC microseconds.

    >>> to_datetime(1767571200000000)
    datetime.datetime(2026, 1, 5, 0, 0, tzinfo=datetime.timezone.utc)
    """
    return EPOCH + dt.timedelta(microseconds=int(micros))


def from_iso(text: str) -> Micros:
    """Return the UTC microseconds of an ISO 8601 date-time with an offset (``Z`` is UTC).

    >>> from_iso("2026-01-05T00:00:00Z")
    1767571200000000
    >>> from_iso("2026-01-05T05:30:00+05:30")
    1767571200000000
    >>> from_iso("2026-01-05T00:00:00")
    Traceback (most recent call last):
    ...
    ValueError: time '2026-01-05T00:00:00' has no UTC offset; add Z or +HH:MM
    """
    try:
        moment = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        msg = f"time {text!r} is not ISO 8601"
        raise ValueError(msg) from None
    if moment.tzinfo is None:
        msg = f"time {text!r} has no UTC offset; add Z or +HH:MM"
        raise ValueError(msg)
    return from_datetime(moment)


def to_iso(micros: Micros) -> str:
    """Return UTC microseconds as an ISO 8601 string in UTC (microseconds when not zero).

    >>> to_iso(1767571200000001)
    '2026-01-05T00:00:00.000001+00:00'
    """
    return to_datetime(micros).isoformat()


def from_seconds(seconds: float) -> Micros:
    """Return microseconds for seconds, rounded to the nearest microsecond.

    >>> from_seconds(1.5), from_seconds(-0.0000004)
    (1500000, 0)
    """
    return round(seconds * SECOND_US)


def to_seconds(micros: Micros) -> float:
    """Return seconds for microseconds.

    >>> to_seconds(HOUR_US)
    3600.0
    """
    return micros / SECOND_US
