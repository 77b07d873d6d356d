"""The flow of orders, units, lots and equipment through a plant, object-centric.

- :mod:`andon.apps.flow.export`: OCEL 2.0 out of the store (:func:`store_log`);
- :mod:`andon.apps.flow.analysis`: the directly-follows graph per object type with
  frequencies and durations, waiting per activity, variants per object type.
"""

from andon.apps.flow.export import store_log

__all__ = ["store_log"]
