"""The stable codes of plant-model problems, with what each means (docs/model.md lists them).

Tests and integrations match on these codes, so a code is never renamed; a new check gets a
new code here. Codes ``schema.<type>`` come from pydantic's error types and are not listed.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Final

__all__ = ["PROBLEM_CODES", "SCENARIO_CODES"]

PROBLEM_CODES: Final = MappingProxyType(
    {
        "file.missing": "a model file or folder given does not exist",
        "file.none": "the paths given hold no .yaml or .yml file",
        "file.unreadable": "a model file exists but cannot be read (permissions, encoding)",
        "yaml.syntax": "a file is not valid YAML, repeats a key in one mapping, has a list or "
        "mapping as a key or an integer of more than 4300 digits",
        "yaml.too_large": "a file nests deeper than 100 levels or expands its aliases beyond "
        "a million values",
        "model.not_a_mapping": "a file's top level is not a mapping of sections",
        "model.unknown_section": "a top-level key is not one of the model's sections",
        "model.not_a_list": "a list section (equipment_classes, parts, ...) is not a list",
        "model.missing_enterprise": "no file has an enterprise section",
        "model.duplicate_enterprise": "more than one file has an enterprise section",
        "model.duplicate_id": "two elements of one list share an id (or a routing, limit)",
        "model.duplicate_path": "a meter's path is also a child element's or a tag's path",
        "model.duplicate_node_id": "one OPC UA node id feeds two tags of one site",
        "model.unknown_class": "equipment or a crew skill names an equipment class not defined",
        "model.unknown_part": "a failure mode uses a spare part not defined",
        "model.unknown_site": "a spare part is stocked at a site not defined",
        "model.unknown_shift": "a crew works a shift its site does not have",
        "model.unknown_tag": "a failure-mode signal or tag override names a tag the class lacks",
        "model.unknown_unit": "a unit pint does not understand",
        "model.unit_mismatch": "an equipment reports a tag in a unit that does not convert",
        "model.unknown_timezone": "a site's time zone is not an IANA time zone",
        "model.unknown_station": "spec limits name a cell that no routing of the product visits",
        "model.dangling_routing": "a routing names a line that does not exist",
        "model.dangling_routing_step": "a routing step names a cell its line does not have",
        "model.empty_station": "a routing goes through a cell with no equipment",
        "model.missing_cycle_time": "a routed step has no cycle time from step, equipment or class",
        "model.overlapping_shifts": "two shifts of a site overlap",
        "model.overlapping_breaks": "two breaks of a shift overlap",
        "model.break_outside_shift": "a break does not lie inside its shift",
        "model.overlapping_windows": "two maintenance windows of a site overlap",
        "model.bad_rotation": "a shift's rotation has crews of different cycle lengths, two "
        "crews on at once, no crew ever on, or days beside it",
        "model.break_covers_shift": "a shift's breaks cover all of it: it plans no production",
        "model.bad_range": "a tag's min is not below its max (an empty range)",
        "model.reserved_name": "a tag is named as the connectors name their own variables "
        "(state, bdSeq)",
        "model.boolean_signal": "a failure mode names a boolean tag as a condition signal",
        "model.bad_routing": "a routing visits a cell twice or goes back against its line's "
        "cell order",
        "model.bad_limits": "lsl is not below usl, or the target lies outside them",
        "model.bad_lead_time": "a part's expedited lead time is longer than its normal one",
        "model.implausible_mtbf": "a failure mode's MTBF is not above its repair time",
        "model.bad_pf_interval": "a failure mode degrading pf has no pf_interval_h, or one "
        "not below its mtbf_h",
        "model.pf_without_signal": "a failure mode degrading pf has no signals to show its "
        "potential failure",
        "model.part_not_stocked": "a site's equipment needs a part with no stock entry there",
        "model.negative_value": "a quantity, stock or carbon intensity below zero",
        "model.unknown_failure_mode": "an equipment's restored date names a mode its class lacks",
        "model.bad_date": "a restoration date lies before the equipment's installation",
    }
)

SCENARIO_CODES: Final = MappingProxyType(
    {
        "scenario.not_a_mapping": "a scenario file's top level is not a mapping of fields",
        "scenario.bad_start": "start is not an ISO 8601 time with a time zone "
        "(2026-01-05T00:00:00Z)",
        "scenario.unknown_site": "practices names a site the model does not have",
        "scenario.unknown_product": "defects names a product the model does not have",
        "scenario.unknown_cell": "a defect mechanism names a cell no routing of its product visits",
        "scenario.unknown_parameter": "a defect mechanism's upstream parameter has no spec "
        "limits at its upstream cell",
        "scenario.unknown_class": "profiles or utilities name an equipment class not defined",
        "scenario.unknown_tag": "a phase profile names a tag its class does not have",
        "scenario.unknown_medium": "a utility draw names a medium no meter measures",
        "scenario.unknown_criticality": "expedite_criticality names a criticality other than "
        "A, B, C",
    }
)
"""Codes of scenario problems beside ``scenario.<type>`` from pydantic's error types; a
scenario's file and YAML problems have the model's ``file.*`` and ``yaml.*`` codes."""
