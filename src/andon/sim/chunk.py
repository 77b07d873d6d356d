"""Turn one chunk of simulated time into Arrow batches: the clocked series, vectorised.

Condition samples, meter readings, tariffs and the health truth are computed here with numpy
from the trajectories the SimPy events left (state changes, power changes, wear-clock
checkpoints, health paths), one array per tag, then one Arrow table per kind.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from andon.model.calendar import tariff_at, tariff_hour_starts
from andon.records import KIND_SCHEMAS, RecordKind
from andon.sim.engine import CAUSE_NAMES, S_BREAK, Plant, _Eq
from andon.sim.signals import TagSignal, signal_for

__all__ = ["ChunkBuilder"]

_LEVEL = np.array([2, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1], dtype=np.int8)
_LEVEL_OFF_BREAKS = _LEVEL.copy()
_LEVEL_OFF_BREAKS[S_BREAK] = 0


def _strings(values: list[str], index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(values, pa.string()), pa.array(index, pa.int32()))


def _ts(plant: Plant, t: np.ndarray) -> pa.Array:
    micros = plant.start_us + np.round(np.asarray(t, dtype=float) * 1e6).astype(np.int64)
    return pa.array(micros, pa.timestamp("us", tz="UTC"))


class ChunkBuilder:
    """Builds every batch of a chunk ``[t0, t1)`` of one plant."""

    def __init__(self, plant: Plant, *, source: str, sample_rate_s: float | None = None) -> None:
        self.plant = plant
        self.source = source
        self.seq: dict[str, int] = {}
        scenario = plant.scenario
        model = plant.model
        self.signals: dict[int, list[TagSignal]] = {}
        self.rates: dict[int, list[float]] = {}
        for eq in plant.equipment:
            cls = eq.info.equipment_class
            profiles = {p.tag: p for p in scenario.profiles.get(cls.id, ())}
            mode_signals = [m.signals for m in cls.failure_modes]
            sigs = []
            rates = []
            for tag in cls.tags:
                info = model.tags[f"{eq.path}/{tag.name}"]
                prof = profiles.get(tag.name)
                arrays = None
                if prof is not None:
                    arrays = (
                        np.array([p[0] for p in prof.points]),
                        np.array([p[1] for p in prof.points]),
                    )
                sigs.append(signal_for(info, list(mode_signals), arrays))
                rates.append(sample_rate_s or tag.rate_s)
            self.signals[eq.index] = sigs
            self.rates[eq.index] = rates
        # Meters: which equipment each one sums, and for which medium.
        self.meters: list[tuple[str, str, float, list[int], str | None]] = []
        for meter_path, meter in model.meters.items():
            owner = meter.owner_path
            members = [
                eq.index
                for eq in plant.equipment
                if eq.path == owner or eq.path.startswith(owner + "/")
            ]
            site = owner if owner in model.sites else None
            self.meters.append(
                (meter_path, meter.meter.medium, meter.meter.interval_s, members, site)
            )
        self.utility_draw: dict[
            str, dict[str, tuple[float, float, tuple[tuple[float, float], ...]]]
        ]
        self.utility_draw = {}
        for cls_id, draws in scenario.utilities.items():
            self.utility_draw[cls_id] = {d.medium: (d.running, d.idle, d.phases) for d in draws}

    def _seq(self, kind: str, n: int) -> pa.Array:
        start = self.seq.get(kind, 0)
        self.seq[kind] = start + n
        return pa.array(np.arange(start, start + n, dtype=np.int64))

    def _source(self, n: int) -> pa.Array:
        return pc.take(pa.array([self.source]), pa.array(np.zeros(n, dtype=np.int32)))

    # --------------------------------------------------------------- samples
    def samples(self, t0: float, t1: float, chunk: int) -> pa.Table:
        """Return every condition sample of ``[t0, t1)``."""
        plant = self.plant
        scenario = plant.scenario
        ts_parts: list[np.ndarray] = []
        path_parts: list[np.ndarray] = []
        value_parts: list[np.ndarray] = []
        tag_paths: list[str] = []
        for eq in plant.equipment:
            sigs = self.signals[eq.index]
            if not sigs:
                continue
            rng = np.random.default_rng([plant.seed, 3, eq.index, chunk])
            st_t = np.asarray(eq.st_t)
            st_c = np.asarray(eq.st_c, dtype=np.int8)
            ck_t = np.asarray(eq.ck_t)
            ck_w = np.asarray(eq.ck_w)
            lut = _LEVEL_OFF_BREAKS if eq.site.practice.off_in_breaks else _LEVEL
            grids: dict[float, dict[str, Any]] = {}
            for sig, rate in zip(sigs, self.rates[eq.index], strict=True):
                g = grids.get(rate)
                if g is None:
                    k0 = math.ceil(t0 / rate)
                    k1 = math.ceil(t1 / rate)
                    t = np.arange(k0, k1, dtype=float) * rate
                    code = st_c[np.maximum(np.searchsorted(st_t, t, side="right") - 1, 0)]
                    wear = np.interp(t, ck_t, ck_w)
                    health = [self._health(eq, m, t, wear) for m in range(len(eq.modes))]
                    frac = self._cycle_fraction(eq, t) if sig.profile is not None else None
                    g = {"t": t, "level": lut[code], "health": health, "frac": frac}
                    grids[rate] = g
                if sig.profile is not None and g["frac"] is None:
                    g["frac"] = self._cycle_fraction(eq, g["t"])
                t = g["t"]
                h = np.zeros(t.size)
                for m in sig.modes:
                    h += g["health"][m] ** 2
                noise = rng.standard_normal(t.size) * scenario.sensor_noise * sig.span
                values = sig.values(
                    level=g["level"],
                    health=h,
                    cycle_fraction=g["frac"],
                    noise=noise,
                    gain=scenario.signal_gain,
                )
                ts_parts.append(t)
                path_parts.append(np.full(t.size, len(tag_paths), dtype=np.int32))
                value_parts.append(values)
                tag_paths.append(sig.info.path)
        if not ts_parts:
            return KIND_SCHEMAS[RecordKind.SAMPLE].empty_table()
        t_all = np.concatenate(ts_parts)
        values = np.concatenate(value_parts)
        n = t_all.size
        bad = np.random.default_rng([plant.seed, 4, chunk]).random(n) < scenario.bad_quality_rate
        quality = _strings(["good", "bad"], bad.astype(np.int32))
        value_arr = pa.array(values, pa.float64(), mask=bad)
        return pa.Table.from_arrays(
            [
                _ts(plant, t_all),
                self._source(n),
                self._seq("sample", n),
                _strings(tag_paths, np.concatenate(path_parts)),
                value_arr,
                quality,
            ],
            schema=KIND_SCHEMAS[RecordKind.SAMPLE],
        )

    @staticmethod
    def _health(eq: _Eq, m: int, t: np.ndarray, wear: np.ndarray) -> np.ndarray:
        segs = eq.segs[m]
        first = segs[0][1]
        x = first.health(wear)
        for start, path in segs[1:]:
            mask = t >= start
            if mask.any():
                x[mask] = path.health(wear[mask])
        return x

    @staticmethod
    def _cycle_fraction(eq: _Eq, t: np.ndarray) -> np.ndarray:
        if not eq.cyc_s:
            return np.full(t.size, np.nan)
        s = np.asarray(eq.cyc_s)
        e = np.asarray(eq.cyc_e)
        i = np.searchsorted(s, t, side="right") - 1
        ok = i >= 0
        i = np.maximum(i, 0)
        inside = ok & (t < e[i])
        frac = (t - s[i]) / np.maximum(e[i] - s[i], 1e-9)
        return np.where(inside, frac, np.nan)

    # --------------------------------------------------------------- energy
    @staticmethod
    def _cum(
        eq: _Eq, t0: float, t1: float, powers: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        t = np.clip(np.asarray(eq.pw_t, dtype=float), t0, t1)
        p = np.asarray(eq.pw_p, dtype=float) if powers is None else powers
        t = np.append(t, t1)
        cum = np.concatenate([[0.0], np.cumsum(np.diff(t) * p)]) / 3600.0
        return t, cum

    @staticmethod
    def _add_phases(  # noqa: PLR0917 - private helper of energy()
        eq: _Eq,
        t0: float,
        t1: float,
        t: np.ndarray,
        cum: np.ndarray,
        phases: tuple[tuple[float, float], ...],
        extra_kw: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Add ``extra_kw`` during the given fractions of every running cycle."""
        s = np.asarray(eq.cyc_s)
        e = np.asarray(eq.cyc_e)
        starts = np.concatenate([s + f0 * (e - s) for f0, _ in phases])
        ends = np.concatenate([s + f1 * (e - s) for _, f1 in phases])
        starts = np.clip(starts, t0, t1)
        ends = np.clip(ends, t0, t1)
        grid = np.unique(np.concatenate([t, starts, ends]))
        base = np.interp(grid, t, cum)
        inside = np.clip(grid[:, None], starts[None, :], ends[None, :]) - starts[None, :]
        return grid, base + inside.sum(axis=1) * extra_kw / 3600.0

    def energy(self, t0: float, t1: float) -> tuple[pa.Table, pa.Table]:
        """Return the meter readings of ``[t0, t1)`` and the energy truth by equipment and cause."""
        plant = self.plant
        cums: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {}
        for eq in plant.equipment:
            cums[(eq.index, "electricity")] = self._cum(eq, t0, t1)
            for medium, (run, idle, phases) in self.utility_draw.get(
                eq.info.equipment_class.id, {}
            ).items():
                codes = np.asarray(eq.pw_s)
                level = _LEVEL[codes]
                on = idle if phases else run
                powers = np.where(level == 2, on, np.where(level == 1, idle, 0.0))
                t, acc = self._cum(eq, t0, t1, powers)
                if phases and eq.cyc_s:
                    t, acc = self._add_phases(eq, t0, t1, t, acc, phases, run - idle)
                cums[(eq.index, medium)] = (t, acc)
        ts: list[np.ndarray] = []
        paths: list[np.ndarray] = []
        kwh: list[np.ndarray] = []
        intervals: list[np.ndarray] = []
        names: list[str] = []
        for meter_path, medium, interval, members, site_path in self.meters:
            k0 = math.ceil(t0 / interval)
            k1 = math.floor(t1 / interval)
            bounds = np.arange(k0, k1 + 1, dtype=float) * interval
            if bounds.size < 2:
                continue
            total = np.zeros(bounds.size - 1)
            key_medium = "electricity" if medium == "compressed_air" else medium
            for index in members:
                series = cums.get((index, key_medium))
                if series is None:
                    continue
                total += np.diff(np.interp(bounds, series[0], series[1]))
            if site_path is not None and medium == "electricity":
                practice = plant.sites[site_path].practice
                total = (
                    total * (1 + practice.transformer_loss)
                    + practice.base_load_kw * interval / 3600.0
                )
            ts.append(bounds[1:])
            paths.append(np.full(total.size, len(names), dtype=np.int32))
            kwh.append(total)
            intervals.append(np.full(total.size, interval))
            names.append(meter_path)
        n = int(sum(a.size for a in ts))
        if n == 0:
            meters = KIND_SCHEMAS[RecordKind.ENERGY].empty_table()
        else:
            meters = pa.Table.from_arrays(
                [
                    _ts(plant, np.concatenate(ts)),
                    self._source(n),
                    self._seq("energy", n),
                    _strings(names, np.concatenate(paths)),
                    pa.array(np.concatenate(kwh)),
                    pa.array(np.concatenate(intervals)),
                ],
                schema=KIND_SCHEMAS[RecordKind.ENERGY],
            )
        return meters, self._energy_truth(t0, t1)

    def _energy_truth(self, t0: float, t1: float) -> pa.Table:
        plant = self.plant
        rows_path: list[str] = []
        rows_cause: list[str] = []
        rows_kwh: list[float] = []
        for eq in plant.equipment:
            t = np.append(np.clip(np.asarray(eq.pw_t, dtype=float), t0, t1), t1)
            e = np.diff(t) * np.asarray(eq.pw_p) / 3600.0
            by = np.bincount(np.asarray(eq.pw_s), weights=e, minlength=len(CAUSE_NAMES))
            for code in np.nonzero(by)[0]:
                rows_path.append(eq.path)
                rows_cause.append(CAUSE_NAMES[code])
                rows_kwh.append(float(by[code]))
        for site_path, site in plant.sites.items():
            members = [eq for eq in plant.equipment if eq.site is site]
            load = 0.0
            for eq in members:
                t = np.append(np.clip(np.asarray(eq.pw_t, dtype=float), t0, t1), t1)
                load += float(np.sum(np.diff(t) * np.asarray(eq.pw_p))) / 3600.0
            practice = site.practice
            rows_path += [site_path, site_path, site_path]
            rows_cause += ["base_load", "transformer_loss", "air_leak"]
            rows_kwh += [
                practice.base_load_kw * (t1 - t0) / 3600.0,
                load * practice.transformer_loss,
                site.leak_kwh,
            ]
            site.leak_kwh = 0.0
        n = len(rows_path)
        return pa.table(
            {
                "ts": _ts(plant, np.full(n, t1)),
                "interval_s": pa.array(np.full(n, t1 - t0)),
                "path": pa.array(rows_path, pa.string()),
                "cause": pa.array(rows_cause, pa.string()),
                "kwh": pa.array(rows_kwh, pa.float64()),
            }
        )

    # --------------------------------------------------------------- tariffs, health
    def tariffs(self, t0: float, t1: float) -> pa.Table:
        """Return one tariff record per site per hour of ``[t0, t1)``."""
        plant = self.plant
        ts: list[np.ndarray] = []
        site_idx: list[np.ndarray] = []
        price: list[np.ndarray] = []
        carbon: list[np.ndarray] = []
        names: list[str] = []
        for site_path, site in plant.sites.items():
            tariff = site.cal.site.tariff
            if tariff is None:
                continue
            # one record per local hour (half-hour zones: on UTC half hours), from the model
            starts = tariff_hour_starts(
                site.cal.site, plant.start_us + round(t0 * 1e6), plant.start_us + round(t1 * 1e6)
            )
            p, c = tariff_at(site.cal.site, starts)
            ts.append((starts - plant.start_us) / 1e6)
            site_idx.append(np.full(starts.size, len(names), dtype=np.int32))
            price.append(p)
            carbon.append(c)
            names.append(site_path)
        n = int(sum(a.size for a in ts))
        if n == 0:
            return KIND_SCHEMAS[RecordKind.TARIFF].empty_table()
        return pa.Table.from_arrays(
            [
                _ts(plant, np.concatenate(ts)),
                self._source(n),
                self._seq("tariff", n),
                _strings(names, np.concatenate(site_idx)),
                pa.array(np.concatenate(price)),
                pa.array(np.concatenate(carbon)),
            ],
            schema=KIND_SCHEMAS[RecordKind.TARIFF],
        )

    def local_hours(self, site_path: str, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Return the local hour of day and whether it is a weekend, at simulated times."""
        plant = self.plant
        tz = ZoneInfo(plant.sites[site_path].cal.site.timezone)
        hours = np.empty(t.size, dtype=np.int64)
        weekend = np.empty(t.size, dtype=bool)
        for i, sec in enumerate(t):
            local = (plant.start + dt.timedelta(seconds=float(sec))).astimezone(tz)
            hours[i] = local.hour
            weekend[i] = local.weekday() >= 5
        return hours, weekend

    def health_truth(self, t0: float, t1: float) -> pa.Table:
        """Return the true health of every failure mode, hourly."""
        plant = self.plant
        t = np.arange(math.ceil(t0 / 3600), math.ceil(t1 / 3600), dtype=float) * 3600.0
        paths: list[str] = []
        modes: list[str] = []
        values: list[np.ndarray] = []
        wear_all: list[np.ndarray] = []
        for eq in plant.equipment:
            wear = np.interp(t, np.asarray(eq.ck_t), np.asarray(eq.ck_w))
            for m, mode in enumerate(eq.modes):
                paths.append(eq.path)
                modes.append(mode.id)
                values.append(self._health(eq, m, t, wear))
                wear_all.append(wear)
        k = len(paths)
        idx = np.repeat(np.arange(k, dtype=np.int32), t.size)
        return pa.table(
            {
                "ts": _ts(plant, np.tile(t, k)),
                "equipment": _strings(paths, idx),
                "failure_mode": _strings(modes, idx),
                "health": pa.array(np.concatenate(values) if values else np.empty(0)),
                "wear_h": pa.array(np.concatenate(wear_all) if wear_all else np.empty(0)),
            }
        )

    # --------------------------------------------------------------- event records
    def records(self) -> dict[RecordKind, pa.Table]:
        """Return the buffered event records as tables, and clear the buffers."""
        plant = self.plant
        out: dict[RecordKind, pa.Table] = {}
        for kind_name, rows in plant.rec.rows.items():
            if not rows:
                continue
            kind = RecordKind(kind_name)
            schema = KIND_SCHEMAS[kind]
            names = plant.rec.COLUMNS[kind_name]
            cols = dict(zip(names, zip(*rows, strict=True), strict=True))
            n = len(rows)
            arrays: list[pa.Array] = []
            for f in schema:
                if f.name == "ts":
                    arrays.append(_ts(plant, np.asarray(cols["ts"], dtype=float)))
                elif f.name == "source":
                    arrays.append(self._source(n))
                elif f.name == "seq":
                    arrays.append(self._seq(kind_name, n))
                else:
                    arrays.append(pa.array(cols[f.name], f.type))
            out[kind] = pa.Table.from_arrays(arrays, schema=schema)
        plant.rec.clear()
        return out

    def trim(self, t1: float) -> None:
        """Forget trajectories before ``t1``, keeping what the next chunk starts from."""
        for eq in self.plant.equipment:
            eq.st_t = [t1]
            eq.st_c = [eq.st_c[-1]]
            keep = np.searchsorted(np.asarray(eq.pw_t), t1, side="right") - 1
            eq.pw_t = [t1, *eq.pw_t[keep + 1 :]]
            eq.pw_p = eq.pw_p[keep:]
            eq.pw_s = eq.pw_s[keep:]
            ck = np.asarray(eq.ck_t)
            j = max(int(np.searchsorted(ck, t1, side="right")) - 1, 0)
            eq.ck_t = eq.ck_t[j:]
            eq.ck_w = eq.ck_w[j:]
            if eq.cyc_s:
                c = max(int(np.searchsorted(np.asarray(eq.cyc_s), t1, side="right")) - 1, 0)
                eq.cyc_s = eq.cyc_s[c:]
                eq.cyc_e = eq.cyc_e[c:]
            for m, segs in enumerate(eq.segs):
                eq.segs[m] = [(-math.inf, segs[-1][1])]
