"""Load a plant model from YAML files, reporting every problem at once with file and line."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from andon.errors import ModelError, Problem
from andon.model._yaml import Location, line_of, read_yaml
from andon.model.plant import Model
from andon.model.rules import check_references
from andon.model.schema import PlantModel

__all__ = ["load_model", "model_files"]

_LIST_SECTIONS = ("equipment_classes", "parts", "products", "sites")
_KNOWN_SECTIONS = frozenset({"enterprise", *_LIST_SECTIONS})


def model_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand folders into their ``*.yaml``/``*.yml`` files, sorted, keeping files as given."""
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.suffix in {".yaml", ".yml"}))
        else:
            files.append(path)
    return files


class _Origins:
    """Where each merged item came from, to turn a merged location back into file and line."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, int], tuple[Path, int]] = {}
        self.enterprise: Path | None = None
        self.lines: dict[Path, dict[Location, int]] = {}

    def locate(self, location: Location) -> tuple[str | None, int | None]:
        if not location:
            return None, None
        head = str(location[0])
        if head in _LIST_SECTIONS and len(location) > 1 and isinstance(location[1], int):
            origin = self.items.get((head, location[1]))
            if origin is not None:
                file, index = origin
                local = (head, index, *location[2:])
                return str(file), line_of(self.lines[file], local)
        if head == "enterprise" and self.enterprise is not None:
            return str(self.enterprise), line_of(self.lines[self.enterprise], location)
        return None, None


def _element_path(data: dict[str, Any], location: Location) -> str | None:
    """Return the id path of the deepest element with an ``id`` along ``location``."""
    enterprise = data.get("enterprise")
    root = enterprise.get("id") if isinstance(enterprise, dict) else None
    in_hierarchy = bool(location) and location[0] in {"sites", "enterprise"}
    ids: list[str] = [str(root)] if root and in_hierarchy else []
    node: Any = data
    found = False
    for step in location:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("id"), str | int):
            ids.append(str(node["id"]))
            found = True
    return "/".join(ids) if found else None


def _merge(files: Sequence[Path]) -> tuple[dict[str, Any], _Origins, list[Problem]]:
    merged: dict[str, Any] = {section: [] for section in _LIST_SECTIONS}
    origins = _Origins()
    problems: list[Problem] = []
    for file in files:
        data, lines = read_yaml(file)
        origins.lines[file] = lines
        if data is None:
            continue
        if not isinstance(data, dict):
            problems.append(
                Problem(
                    code="model.not_a_mapping",
                    message="a model file must be a mapping of sections",
                    file=str(file),
                    line=1,
                    expected="keys among " + ", ".join(sorted(_KNOWN_SECTIONS)),
                )
            )
            continue
        for key, value in data.items():
            if key not in _KNOWN_SECTIONS:
                problems.append(
                    Problem(
                        code="model.unknown_section",
                        message=f"unknown section {key!r}",
                        file=str(file),
                        line=lines.get((key,)),
                        expected="one of " + ", ".join(sorted(_KNOWN_SECTIONS)),
                    )
                )
            elif key == "enterprise":
                if origins.enterprise is not None:
                    problems.append(
                        Problem(
                            code="model.duplicate_enterprise",
                            message=f"enterprise already defined in {origins.enterprise}",
                            file=str(file),
                            line=lines.get((key,)),
                            expected="one enterprise section across all files",
                        )
                    )
                    continue
                merged["enterprise"] = value
                origins.enterprise = file
            elif not isinstance(value, list):
                problems.append(
                    Problem(
                        code="model.not_a_list",
                        message=f"section {key!r} must be a list",
                        file=str(file),
                        line=lines.get((key,)),
                        expected="a YAML sequence (- item)",
                    )
                )
            else:
                for index, item in enumerate(value):
                    origins.items[(key, len(merged[key]))] = (file, index)
                    merged[key].append(item)
    if "enterprise" not in merged:
        problems.append(
            Problem(
                code="model.missing_enterprise",
                message="no enterprise section",
                file=str(files[0]) if files else None,
                line=1,
                expected="enterprise: {id: ..., name: ...}",
            )
        )
    return merged, origins, problems


def _pydantic_problems(
    exc: ValidationError, data: dict[str, Any], origins: _Origins
) -> list[Problem]:
    problems = []
    errors = exc.errors(include_url=False)
    inside = {_location(e)[:-1] for e in errors if e["type"] not in _LENGTH_TYPES}
    for error in errors:
        location = _location(error)
        if error["type"] in _LENGTH_TYPES and any(
            place[: len(location)] == location for place in inside
        ):
            continue  # a list one of whose items is refused is short of it: said already
        file, line = origins.locate(location)
        expected = None
        ctx = error.get("ctx") or {}
        if "expected" in ctx:
            expected = str(ctx["expected"])
        elif "ge" in ctx:
            expected = f">= {_number(ctx['ge'])}"
        elif "gt" in ctx:
            expected = f"> {_number(ctx['gt'])}"
        elif "pattern" in ctx:
            expected = f"text matching {ctx['pattern']}"
        elif "le" in ctx:
            expected = f"<= {_number(ctx['le'])}"
        elif "lt" in ctx:
            expected = f"< {_number(ctx['lt'])}"
        elif "min_length" in ctx or "max_length" in ctx:
            expected = _length_expected(location, ctx)
        else:
            expected = _EXPECTED_BY_TYPE.get(error["type"], "a valid value")
        field = ".".join(str(step) for step in location)
        problems.append(
            Problem(
                code=f"schema.{error['type']}",
                message=f"{field}: {error['msg']}" + _input_hint(error),
                file=file,
                line=line,
                path=_element_path(data, location),
                expected=expected,
            )
        )
    return problems


_LENGTH_TYPES = frozenset({"too_short", "too_long"})


def _length_expected(location: Location, ctx: dict[str, Any]) -> str:
    """Say how many items a list needs, from both of its bounds in the schema.

    pydantic's error gives only the bound that was crossed; a tariff needs exactly 24 hours,
    which "at least 24" would misstate.
    """
    low, high = _length_bounds(location)
    low = ctx.get("min_length", low)
    high = ctx.get("max_length", high)
    if low is not None and low == high:
        return f"exactly {low} item(s)"
    if "min_length" in ctx:
        return f"at least {low} item(s)"
    return f"at most {high} item(s)"


def _length_bounds(location: Location) -> tuple[int | None, int | None]:
    """Return the schema's ``minItems`` and ``maxItems`` of the list at ``location``."""
    schema = _json_schema()
    definitions = schema.get("$defs", {})
    node: Any = schema
    for step in location:
        node = _resolve(node, definitions)
        if isinstance(step, int):
            node = node.get("items", {})
        else:
            node = node.get("properties", {}).get(step) or node.get("additionalProperties", {})
        if not isinstance(node, dict):
            return None, None
    node = _resolve(node, definitions)
    return node.get("minItems"), node.get("maxItems")


def _resolve(node: dict[str, Any], definitions: dict[str, Any]) -> dict[str, Any]:
    for option in node.get("anyOf", ()):
        if option.get("type") != "null":
            node = option
            break
    reference = node.get("$ref")
    if isinstance(reference, str):
        resolved = definitions.get(reference.rsplit("/", 1)[-1], {})
        return resolved if isinstance(resolved, dict) else {}
    return node


@functools.cache
def _json_schema() -> dict[str, Any]:
    return PlantModel.model_json_schema()


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


_EXPECTED_BY_TYPE = {
    "missing": "a value: the field is required",
    "extra_forbidden": "only the fields listed in docs/model.md (check the spelling)",
    "float_parsing": "a number",
    "float_type": "a number",
    "finite_number": "a finite number (not .nan or .inf)",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "string_type": "text",
    "bool_type": "true or false",
    "dict_type": "a mapping (key: value)",
    "model_type": "a mapping (key: value)",
    "list_type": "a list (- item)",
    "tuple_type": "a list (- item)",
}


def _input_hint(error: Any) -> str:
    if error["type"] in {"missing"}:
        return ""
    value = error.get("input")
    if isinstance(value, dict | list):
        return ""
    text = repr(value)
    return f", got {text[:60]}"


def load_model(paths: str | Path | Iterable[str | Path]) -> Model:
    """Load and validate a plant model from YAML files or folders.

    Raises :class:`~andon.errors.ModelError` listing every problem found, each with
    file, line, element path, a stable code and what was expected.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    paths = list(paths)
    files = model_files(paths)
    if not files:
        where = ", ".join(str(p) for p in paths) or "no path given"
        raise ModelError(
            "no model files given",
            [
                Problem(
                    code="file.none",
                    message=f"no .yaml or .yml file in {where}",
                    expected="a model file, or a folder that holds some",
                )
            ],
        )
    for file in files:
        if not file.exists():
            raise ModelError(
                f"model file {file} does not exist",
                [Problem(code="file.missing", message="no such file", file=str(file))],
            )
    merged, origins, problems = _merge(files)
    if problems and "enterprise" not in merged:
        raise ModelError("the plant model is invalid", problems)
    plant, pruned, schema_problems = _validate(merged, origins)
    problems.extend(schema_problems)
    if plant is not None:
        for issue in check_references(plant):
            if pruned.refused(issue.ref):
                continue  # it names an element the schema refused; that is reported already
            location = pruned.to_original(issue.location)
            source, line = origins.locate(location)
            problems.append(
                Problem(
                    code=issue.code,
                    message=issue.message,
                    file=source,
                    line=line,
                    path=issue.path,
                    expected=issue.expected,
                )
            )
    if problems or plant is None:
        raise ModelError("the plant model is invalid", problems)
    return Model(plant, files=tuple(files))


class _Pruned:
    """Elements set aside because the schema refused them, so the rest can still be checked.

    The refused items are kept as locations in the document as written (``merged``); every
    pass builds the pruned document afresh from it, so removing an item never shifts the
    location of another. :meth:`to_original` maps a location in the pruned document back to
    the document as written, for its file and line.
    """

    def __init__(self, merged: dict[str, Any]) -> None:
        self.merged = merged
        self.removed: dict[Location, set[int]] = {}
        self.names: set[str] = set()

    def to_original(self, location: Location) -> Location:
        original: list[str | int] = []
        for step in location:
            gone = self.removed.get(tuple(original))
            if isinstance(step, int) and gone:
                index = step
                for removed in sorted(gone):
                    if removed <= index:
                        index += 1
                original.append(index)
            else:
                original.append(step)
        return tuple(original)

    def refused(self, ref: str | None) -> bool:
        if not ref or not self.names:
            return False
        parts = ref.split("/")
        return any("/".join(parts[: i + 1]) in self.names for i in range(len(parts)))

    def covers(self, location: Location) -> bool:
        """Whether ``location`` (as written) lies in an item already set aside."""
        for end in range(len(location)):
            step = location[end]
            if isinstance(step, int) and step in self.removed.get(location[:end], ()):
                return True
        return False

    def refuse(self, items: Iterable[Location]) -> bool:
        """Set aside the items at ``items`` (locations as written); False if none was new."""
        added = False
        for item in sorted(items, key=len):
            if self.covers(item):
                continue
            self.removed.setdefault(item[:-1], set()).add(int(item[-1]))
            self.names.update(_names(self.merged, item))
            added = True
        return added

    def document(self) -> dict[str, Any]:
        """Return a copy of the document as written without the items set aside."""
        result = self._copy(self.merged, ())
        return result if isinstance(result, dict) else {}

    def _copy(self, node: Any, location: Location) -> Any:
        if isinstance(node, dict):
            return {key: self._copy(value, (*location, key)) for key, value in node.items()}
        if isinstance(node, list):
            gone = self.removed.get(location, set())
            return [
                self._copy(item, (*location, index))
                for index, item in enumerate(node)
                if index not in gone
            ]
        return node


def _names(merged: dict[str, Any], location: Location) -> set[str]:
    """Return the id of the element at ``location`` and its id path below the enterprise.

    A tag is named by its ``name``: a refused tag definition is ``class/tag``.
    """
    node: Any = merged
    ids: list[str] = []
    for step in location:
        node = node[step]
        key = _key_of(node)
        if key is not None:
            ids.append(key)
    if not ids or ids[-1] != _key_of(node):
        return set()
    return {ids[-1], "/".join(ids)}


def _key_of(node: Any) -> str | None:
    if not isinstance(node, dict):
        return None
    key = node.get("id", node.get("name"))
    return str(key) if isinstance(key, str | int) else None


def _item_of(data: Any, location: Location) -> Location | None:
    """Return the location of the deepest list item of ``data`` that holds ``location``.

    A step is a list index only where ``data`` has a list there: an integer can also be a
    mapping's key (``parts: {1: 2}``) or a position pydantic reports inside a value.
    """
    node = data
    deepest: Location | None = None
    for end, step in enumerate(location, start=1):
        if isinstance(node, list) and isinstance(step, int) and 0 <= step < len(node):
            node = node[step]
            deepest = location[:end]
        elif isinstance(node, dict) and step in node:
            node = node[step]
        else:
            break
    return deepest


def _validate(
    merged: dict[str, Any], origins: _Origins
) -> tuple[PlantModel | None, _Pruned, list[Problem]]:
    """Validate the merged document; on schema problems, prune and validate the rest.

    Every schema problem is reported from the first pass. The elements that hold them are
    set aside and the rest validated again, so that reference checks (unknown class,
    dangling routing, ...) still run on everything the schema accepted: a model with twenty
    mistakes shows twenty problems at once, not the schema's share first.
    """
    pruned = _Pruned(merged)
    try:
        return PlantModel.model_validate(merged), pruned, []
    except ValidationError as exc:
        problems = _pydantic_problems(exc, merged, origins)
        errors = exc.errors(include_url=False)
    data = merged
    for _ in range(_MAX_PRUNING_PASSES):
        items = {_item_of(data, _location(error)) for error in errors}
        if None in items:
            return None, pruned, problems  # a problem outside any list item: cannot go on
        originals = {pruned.to_original(item) for item in items if item is not None}
        if not pruned.refuse(originals):
            return None, pruned, problems
        data = pruned.document()
        try:
            return PlantModel.model_validate(data), pruned, problems
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
    return None, pruned, problems


_MAX_PRUNING_PASSES = 6


def _location(error: Any) -> Location:
    return tuple(
        step for step in error["loc"] if not (isinstance(step, str) and step.startswith("["))
    )
