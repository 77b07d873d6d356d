"""placeholder"""
from __future__ import annotations

import polars as pl

from andon.ocel._model import OcelLog


def directly_follows(log: OcelLog) -> pl.DataFrame:
    raise NotImplementedError
