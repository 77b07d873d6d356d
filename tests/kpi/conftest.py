"""Fixtures of the KPI tests."""

from __future__ import annotations

import pytest
from kpi_helpers import build_model

from andon.model import Model


@pytest.fixture
def two_machines() -> Model:
    """Site s1 in UTC, one day shift 08:00-16:00 every day, machines c0/m and c1/m."""
    return build_model()
