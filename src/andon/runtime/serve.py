"""``andon serve``: the one loop on the wall clock over a real plant's store.

:class:`ServeSettings` says which apps run, who carries out approved decisions and how
often each thing happens; :func:`serving_runtime` builds the :class:`Runtime` and its
:class:`WallClock` from them. Settings come from ``ANDON_SERVE_*`` variables or the
command's options.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from andon.apps import app_names, get_app
from andon.decisions import DecisionService
from andon.decisions._json import now_us
from andon.errors import UsageError
from andon.model import Model
from andon.proposals import DecisionApp, Executor, action_kinds
from andon.runtime.loop import Runtime, Schedule
from andon.runtime.wallclock import WallClock
from andon.store.base import Store

__all__ = ["ServeSettings", "serving_runtime"]


class ServeSettings(BaseSettings):
    """What ``andon serve`` runs besides the console and the API."""

    model_config = SettingsConfigDict(env_prefix="ANDON_SERVE_", frozen=True, extra="forbid")

    apps: tuple[str, ...] | None = None
    """Decision apps to fit and run; ``None`` runs every installed app, ``()`` none."""
    executor: Literal["none", "plant"] = "none"
    """Who carries out approved decisions: ``none`` (shadow: they stay approved, recorded
    and scored) or ``plant`` (work requests on the Unified Namespace, see docs/uns.md)."""
    mqtt_url: str = "mqtt://127.0.0.1:1883"
    """Broker of the plant executor's work requests and acknowledgements."""
    mqtt_prefix: str = ""
    """Topic prefix before element paths, as the plant's Unified Namespace has it."""
    fit_every_s: float = Field(default=86_400.0, ge=0)
    """Seconds between two fits of each app (nightly); 0 fits once, at start."""
    propose_every_s: float = Field(default=3_600.0, ge=0)
    """Seconds between two rounds of proposals (hourly); 0 turns proposing off."""
    upkeep_every_s: float = Field(default=300.0, ge=0)
    """Seconds between decision upkeep rounds (expiry, outcomes, drift); 0 turns it off."""
    execute_every_s: float = Field(default=30.0, ge=0)
    """Seconds between two hand-overs of approved decisions to the executor."""
    kpi_every_s: float = Field(default=3_600.0, ge=0)
    """Seconds between two refreshes of the stored day KPIs; 0 turns it off."""
    ack_timeout_s: float = Field(default=3_600.0, ge=0)
    """A work request unanswered this long is flagged on its decision; 0 waits forever."""
    tick_s: float = Field(default=5.0, gt=0)
    """Seconds between two looks at what is due."""

    def schedule(self) -> Schedule:
        """Return the loop's schedule."""
        return Schedule(
            fit_every_s=self.fit_every_s,
            propose_every_s=self.propose_every_s,
            upkeep_every_s=self.upkeep_every_s,
            execute_every_s=self.execute_every_s,
            kpi_every_s=self.kpi_every_s,
            ack_timeout_s=self.ack_timeout_s,
        )


def _apps(names: tuple[str, ...] | None) -> dict[str, DecisionApp]:
    wanted = tuple(app_names()) if names is None else names
    return {name: get_app(name) for name in wanted}


def _executor(
    settings: ServeSettings,
    model: Model,
    apps: dict[str, DecisionApp],
    decisions: DecisionService,
) -> Executor:
    from andon.connect.mqtt import MqttSettings  # noqa: PLC0415 - only for the plant executor
    from andon.executors import MqttWorkRequests, PlantExecutor  # noqa: PLC0415

    carried = tuple(sorted({k.app for k in action_kinds() if k.executable and k.app in apps}))
    if not carried:
        msg = "the plant executor needs an app whose actions it can carry out"
        raise UsageError(msg)
    transport = MqttWorkRequests(
        settings=MqttSettings(url=settings.mqtt_url, client_id="andon-serve"),
        root=model.root,
        apps=carried,
        prefix=settings.mqtt_prefix,
    )

    def describe(decision_id: str) -> dict[str, Any]:
        record = decisions.get(decision_id)
        return {
            "approved_by": record.decided_by,
            "expected_value": record.expected_value,
            "currency": model.currency,
        }

    return PlantExecutor(transport=transport, describe=describe)


def serving_runtime(
    *, store: Store, model: Model, settings: ServeSettings | None = None
) -> tuple[Runtime, WallClock]:
    """Return the loop over a plant's store on the wall clock, and the clock that ticks it."""
    settings = settings or ServeSettings()
    apps = _apps(settings.apps)
    decisions = DecisionService(store=store, clock=now_us)
    executor = None if settings.executor == "none" else _executor(settings, model, apps, decisions)
    runtime = Runtime(
        store=store,
        model=model,
        apps=apps,
        executor=executor,
        clock=now_us,
        schedule=settings.schedule(),
        decisions=decisions,
    )
    return runtime, WallClock(runtime=runtime, every_s=settings.tick_s)
