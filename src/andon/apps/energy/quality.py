"""Data-quality flags of the energy records: what is wrong, where, and when.

A reading the accounting cannot trust (a counter that reset or rolled over, a gap, an
interval that is not positive, an hour without a tariff) is never summed as a silent zero:
it is left out and named by a :class:`DataQualityFlag`.

>>> flag = DataQualityFlag(code="gap", where="acme/lyon/main", start_us=0, end_us=10, count=1,
...                        detail="900 s without a reading")
>>> flag.text
'gap at acme/lyon/main: 900 s without a reading (1 reading(s) from 1970-01-01T00:00:00+00:00)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from andon.time import to_iso

__all__ = ["FLAG_CODES", "DataQualityFlag"]

FLAG_CODES: Final = {
    "counter_reset": "a negative energy: the meter's counter reset or rolled back",
    "counter_rollover": "an energy far above the meter's usual power: a counter rollover",
    "negative_interval": "a reading whose interval is zero or negative",
    "gap": "readings missing between two readings",
    "overlap": "a reading closer to the previous one than its interval",
    "tariff_missing": "hours with metered energy but no tariff record",
    "meter_imbalance": "a meter that stopped balancing with its sub-meters",
    "no_readings": "a meter of the model without a reading in the range",
}
"""Every flag code with what it means."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DataQualityFlag:
    """One data-quality problem: its code, the path it is at, its time span and count."""

    code: str
    where: str
    start_us: int
    end_us: int
    count: int
    detail: str = ""

    def __post_init__(self) -> None:
        if self.code not in FLAG_CODES:
            msg = f"unknown data-quality flag code {self.code!r}"
            raise ValueError(msg)

    @property
    def text(self) -> str:
        """The flag in plain words."""
        what = self.detail or FLAG_CODES[self.code]
        unit = "hour(s)" if self.code in {"tariff_missing", "meter_imbalance"} else "reading(s)"
        return (
            f"{self.code} at {self.where}: {what} "
            f"({self.count} {unit} from {to_iso(self.start_us)})"
        )
