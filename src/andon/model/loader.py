"""Load a plant model from YAML files, reporting every problem at once with file and line."""

from __future__ import annotations

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
    ids: list[str] = [str(root)] if root else []
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
    for error in exc.errors(include_url=False):
        location: Location = tuple(
            step for step in error["loc"] if not (isinstance(step, str) and step.startswith("["))
        )
        file, line = origins.locate(location)
        expected = None
        ctx = error.get("ctx") or {}
        if "expected" in ctx:
            expected = str(ctx["expected"])
        elif "ge" in ctx:
            expected = f">= {ctx['ge']}"
        elif "gt" in ctx:
            expected = f"> {ctx['gt']}"
        elif "pattern" in ctx:
            expected = f"text matching {ctx['pattern']}"
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
    files = model_files(paths)
    if not files:
        raise ModelError(
            "no model files given",
            [Problem(code="file.none", message="no YAML file found in the given paths")],
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
    try:
        plant = PlantModel.model_validate(merged)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, merged, origins))
        raise ModelError("the plant model is invalid", problems) from None
    problems.extend(
        Problem(
            code=issue.code,
            message=issue.message,
            file=origins.locate(issue.location)[0],
            line=origins.locate(issue.location)[1],
            path=issue.path,
            expected=issue.expected,
        )
        for issue in check_references(plant)
    )
    if problems:
        raise ModelError("the plant model is invalid", problems)
    return Model(plant, files=tuple(files))
