"""YAML reading that remembers where every value was written.

PyYAML's composer gives each node its start mark; we keep a map from the location tuple
that pydantic reports (``("sites", 0, "areas", 1, "id")``) to the line of that node, so
that every model problem can name its file and line.

A file is parsed once, by libyaml where PyYAML has it (about twenty times faster than the
pure-Python parser: most of ``andon model validate``); a file it refuses is parsed again by
the pure-Python parser, whose messages name the offending character.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from andon.errors import ModelError, Problem

Location = tuple[str | int, ...]


class _Loader(yaml.SafeLoader):
    """A safe loader (no arbitrary objects) that refuses duplicate mapping keys.

    Booleans follow YAML 1.2 (only ``true``/``false``): under YAML 1.1 the power state
    ``off`` or a shift named ``on`` would silently become a boolean.
    """


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class _FastLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """The same rules as :class:`_Loader` over libyaml's parser."""


_FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
_FastLoader.yaml_constructors = dict(_Loader.yaml_constructors)


def _parse(text: str, loader: type[_Loader] | type[_FastLoader]) -> tuple[yaml.Node | None, Any]:
    """Return the root node of ``text`` and the document built from that node."""
    node = yaml.compose(text, Loader=loader)
    if node is None:
        return None, None
    builder = loader(text)
    try:
        return node, builder.construct_document(node)
    finally:
        builder.dispose()


def _index_lines(node: yaml.Node, location: Location, lines: dict[Location, int]) -> None:
    lines[location] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[(*location, key)] = key_node.start_mark.line + 1
            _index_lines(value_node, (*location, key), lines)
    elif isinstance(node, yaml.SequenceNode):
        for position, item in enumerate(node.value):
            _index_lines(item, (*location, position), lines)


def read_yaml(file: Path) -> tuple[Any, dict[Location, int]]:
    """Return the parsed document of ``file`` and the line of every location in it."""
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelError(
            f"cannot read model file {file}",
            [Problem(code="file.unreadable", message=str(exc.strerror or exc), file=str(file))],
        ) from exc
    except UnicodeDecodeError as exc:
        raise ModelError(
            f"cannot read model file {file}",
            [
                Problem(
                    code="file.unreadable",
                    message=f"not UTF-8 text (byte {exc.start})",
                    file=str(file),
                    expected="a YAML text file in UTF-8",
                )
            ],
        ) from exc
    try:
        try:
            node, data = _parse(text, _FastLoader)
        except yaml.YAMLError:
            node, data = _parse(text, _Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        message = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        raise ModelError(
            f"{file} is not valid YAML",
            [Problem(code="yaml.syntax", message=message, file=str(file), line=line)],
        ) from exc
    except yaml.YAMLError as exc:
        raise ModelError(
            f"{file} is not valid YAML",
            [Problem(code="yaml.syntax", message=str(exc), file=str(file))],
        ) from exc
    lines: dict[Location, int] = {}
    if node is not None:
        _index_lines(node, (), lines)
    return data, lines


def line_of(lines: dict[Location, int], location: Location) -> int | None:
    """Return the line of ``location``, or of its nearest written ancestor."""
    probe = tuple(location)
    while probe:
        if probe in lines:
            return lines[probe]
        probe = probe[:-1]
    return lines.get(())
