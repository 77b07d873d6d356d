"""Each app's record: how many proposals, how many approved, realised value against expected,
and how well its confidence is calibrated (Brier score and reliability bins)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

__all__ = ["AppRecord", "CalibrationBin", "summarise"]

_BIN_EDGES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrationBin:
    """Decisions whose confidence fell in ``[low, high)``: mean confidence vs success rate."""

    low: float
    high: float
    count: int
    mean_confidence: float
    success_rate: float


@dataclass(frozen=True, slots=True, kw_only=True)
class AppRecord:
    """One app's record over its decisions (live and shadow together, shadow also apart).

    ``realisation`` is realised over expected value for decisions with a measured value;
    ``brier`` is the mean squared gap between confidence and success (0 is perfect, 0.25 is
    what a constant 0.5 earns); ``calibration_error`` weights each bin's gap by its size.
    """

    app: str
    proposals: int
    approved: int
    rejected: int
    expired: int
    executed: int
    superseded: int
    shadow: int
    with_outcome: int
    expected_value: float
    realised_value: float
    realisation: float | None
    brier: float | None
    calibration_error: float | None
    bins: tuple[CalibrationBin, ...]


def _calibration(
    confidence: np.ndarray, success: np.ndarray
) -> tuple[float | None, float | None, tuple[CalibrationBin, ...]]:
    if confidence.size == 0:
        return None, None, ()
    brier = float(np.mean((confidence - success) ** 2))
    index = np.clip(np.digitize(confidence, _BIN_EDGES[1:-1]), 0, len(_BIN_EDGES) - 2)
    bins: list[CalibrationBin] = []
    gap = 0.0
    for i in range(len(_BIN_EDGES) - 1):
        mask = index == i
        n = int(mask.sum())
        if n == 0:
            continue
        mean_conf = float(confidence[mask].mean())
        rate = float(success[mask].mean())
        gap += n * abs(mean_conf - rate)
        bins.append(
            CalibrationBin(
                low=_BIN_EDGES[i],
                high=_BIN_EDGES[i + 1],
                count=n,
                mean_confidence=mean_conf,
                success_rate=rate,
            )
        )
    return brier, gap / confidence.size, tuple(bins)


def summarise(table: pa.Table) -> list[AppRecord]:
    """Return one record per app from the repository's outcome table, by app name."""
    if table.num_rows == 0:
        return []
    columns = {
        name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names
    }
    apps = columns["app"].astype(str)
    status = columns["status"].astype(str)
    shadow = columns["shadow"].astype(bool)
    expected = columns["expected_value"].astype(float)
    confidence = columns["confidence"].astype(float)
    has_outcome = ~np.array([v is None for v in table.column("outcome_at").to_pylist()])
    realised = np.array(
        [np.nan if v is None else float(v) for v in table.column("realised_value").to_pylist()]
    )
    success_list = table.column("outcome_success").to_pylist()
    has_success = np.array([v is not None for v in success_list])
    success = np.array([bool(v) for v in success_list], dtype=float)
    records: list[AppRecord] = []
    for app in sorted(set(apps.tolist())):
        mask = apps == app
        valued = mask & has_outcome & ~np.isnan(realised)
        exp_sum = float(expected[valued].sum())
        real_sum = float(np.nansum(realised[valued]))
        scored = mask & has_success
        brier, ece, bins = _calibration(confidence[scored], success[scored])
        records.append(
            AppRecord(
                app=app,
                proposals=int(mask.sum()),
                approved=int((mask & np.isin(status, ["approved", "executed"])).sum()),
                rejected=int((mask & (status == "rejected")).sum()),
                expired=int((mask & (status == "expired")).sum()),
                executed=int((mask & (status == "executed")).sum()),
                superseded=int((mask & (status == "superseded")).sum()),
                shadow=int((mask & shadow).sum()),
                with_outcome=int((mask & has_outcome).sum()),
                expected_value=exp_sum,
                realised_value=real_sum,
                realisation=(real_sum / exp_sum) if exp_sum else None,
                brier=brier,
                calibration_error=ece,
                bins=bins,
            )
        )
    return records
