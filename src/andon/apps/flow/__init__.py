"""The flow of orders, units, lots and equipment through a plant, object-centric.

- :mod:`andon.apps.flow.export`: OCEL 2.0 out of the store (:func:`store_log`), quality
  holds, inspections and work orders among its objects;
- :mod:`andon.apps.flow.analysis`: the directly-follows graph per object type with
  frequencies and durations, waiting, sojourn and synchronisation per activity, variants per
  object type, on columns;
- :mod:`andon.apps.flow.in_store`: the same views computed by the store's SQL engine;
- :mod:`andon.apps.flow.delay`: the causes of delay and the bottleneck of each line;
- :mod:`andon.apps.flow.app`: :class:`FlowApp`, the decisions (a ``DecisionApp``).
"""

from andon.apps.flow.app import FlowApp, FlowSettings
from andon.apps.flow.export import store_log

__all__ = ["FlowApp", "FlowSettings", "store_log"]
