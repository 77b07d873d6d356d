"""Executors: who carries out approved decisions' typed actions.

- the simulated plant: :class:`andon.sim.executor.SimulatorExecutor` (the demo and every
  closed-loop benchmark);
- a real plant: :class:`PlantExecutor`, which publishes work requests on the Unified
  Namespace (:mod:`andon.executors.work_requests`) and hears their acknowledgements;
- nobody: shadow mode, where the runtime has no executor and approved decisions stay
  approved, recorded and scored.
"""

from andon.executors.plant import MqttWorkRequests, PlantExecutor, WorkRequestTransport
from andon.executors.work_requests import (
    AckStatus,
    WorkRequest,
    WorkRequestAck,
    decode_ack,
    decode_request,
    encode_ack,
    encode_request,
)

__all__ = [
    "AckStatus",
    "MqttWorkRequests",
    "PlantExecutor",
    "WorkRequest",
    "WorkRequestAck",
    "WorkRequestTransport",
    "decode_ack",
    "decode_request",
    "encode_ack",
    "encode_request",
]
