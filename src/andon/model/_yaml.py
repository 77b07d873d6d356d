"""YAML reading that remembers where every value was written.

PyYAML's composer gives each node its start mark; we keep a map from the location tuple
that pydantic reports (``("sites", 0, "areas", 1, "id")``) to the line of that node, so
that every model problem can name its file and line.

A file is parsed once, by libyaml where PyYAML has it (about twenty times faster than the
pure-Python parser: most of ``andon model validate``); a file it refuses is parsed again by
the pure-Python parser, whose messages name the offending character.

Hostile text is refused as a :class:`ModelError`, never a crash or a hang: a list or mapping
as a key, an integer of more digits than Python converts, nesting deeper than
:data:`MAX_DEPTH` and aliases that expand beyond :data:`MAX_NODES` nodes (a "billion laughs"
document is a few hundred bytes).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import yaml

from andon.errors import ModelError, Problem

Location = tuple[str | int, ...]

MAX_DEPTH: Final = 100
"""Deepest nesting of lists and mappings read; a plant model needs about fifteen levels."""
MAX_NODES: Final = 1_000_000
"""Most nodes a document may hold once its aliases are expanded (a large plant has ~100 k)."""
_MAX_INT_DIGITS: Final = 4300


class _Loader(yaml.SafeLoader):
    """A safe loader (no arbitrary objects) that refuses duplicate mapping keys.

    Booleans and numbers follow YAML 1.2: only ``true``/``false`` are booleans (under YAML
    1.1 the power state ``off`` or a shift named ``on`` would silently become one), and
    ``14:30`` is the text ``"14:30"``, not the base-60 integer 870 that YAML 1.1 reads, so a
    clock time means the same quoted or not.
    """


_YAML_1_1_ONLY = frozenset({"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int"})
_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _YAML_1_1_ONLY]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)
# PyYAML's integers without the base-60 form (``[1-9][0-9_]*(:[0-5]?[0-9])+``).
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int",
    re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
    list("-+0123456789"),
)
for _first, _resolvers in _Loader.yaml_implicit_resolvers.items():
    # PyYAML's floats likewise; the base-60 float is the only one with a colon.
    _Loader.yaml_implicit_resolvers[_first] = [
        (
            tag,
            re.compile(
                regexp.pattern.replace(r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*", ""),
                regexp.flags,
            ),
        )
        if tag == "tag:yaml.org,2002:float"
        else (tag, regexp)
        for tag, regexp in _resolvers
    ]


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(
                "while reading a mapping",
                node.start_mark,
                f"found a {'list' if isinstance(key_node, yaml.SequenceNode) else 'mapping'} "
                "as a key (a key must be a name or a number)",
                key_node.start_mark,
            )
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


def _construct_int(loader: _Loader, node: yaml.ScalarNode) -> Any:
    text = str(node.value)
    if sum(ch.isdigit() or ch in "abcdefABCDEF" for ch in text) > _MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"found an integer of {len(text)} characters (at most {_MAX_INT_DIGITS} digits)",
            node.start_mark,
        )
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)
    except ValueError as exc:  # 2026-02-30: the pattern matches, the calendar does not
        raise yaml.constructor.ConstructorError(
            None, None, f"found an invalid date or time {node.value!r} ({exc})", node.start_mark
        ) from exc


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:int", _construct_int)


class _FastLoader(yaml.CSafeLoader if yaml.__with_libyaml__ else yaml.SafeLoader):  # type: ignore[misc]
    """The same rules as :class:`_Loader` over libyaml's parser."""


_FastLoader.yaml_implicit_resolvers = _Loader.yaml_implicit_resolvers
_FastLoader.yaml_constructors = dict(_Loader.yaml_constructors)


class _TooLargeError(Exception):
    """A document nests deeper than :data:`MAX_DEPTH` or expands beyond :data:`MAX_NODES`."""

    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.line = line


def _measure(root: yaml.Node) -> None:
    """Refuse a node graph nested too deep or too large once its aliases are expanded.

    An alias is the same node object as its anchor, so each node's expanded size is counted
    once (memoised by identity) and a bomb of nine aliases to nine levels costs 81 steps, not
    nine to the ninth. The walk is iterative: deep nesting cannot exhaust the stack here.
    """
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, done = stack.pop()
        if depth > MAX_DEPTH:
            msg = f"nesting deeper than {MAX_DEPTH} levels"
            raise _TooLargeError(msg, node.start_mark.line + 1)
        if id(node) in size:
            continue
        children: list[yaml.Node]
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        else:
            children = []
        if done or not children:
            total = 1 + sum(size.get(id(child), 0) for child in children)
            if total > MAX_NODES:
                msg = f"more than {MAX_NODES:,} values once its aliases are expanded"
                raise _TooLargeError(msg, node.start_mark.line + 1)
            size[id(node)] = total
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in size)


def _parse(text: str, loader: type[_Loader] | type[_FastLoader]) -> tuple[yaml.Node | None, Any]:
    """Return the root node of ``text`` and the document built from that node."""
    try:
        node = yaml.compose(text, Loader=loader)
    except RecursionError as exc:
        msg = f"nesting deeper than {MAX_DEPTH} levels"
        raise _TooLargeError(msg, None) from exc
    if node is None:
        return None, None
    _measure(node)
    builder = loader(text)
    try:
        return node, builder.construct_document(node)
    finally:
        builder.dispose()


def _index_lines(root: yaml.Node, lines: dict[Location, int]) -> None:
    """Record the line of every location; an aliased node is indexed where it is anchored
    only (a location through an alias takes the alias's line, its nearest written one)."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Location]] = [(root, ())]
    while stack:
        node, location = stack.pop()
        lines.setdefault(location, node.start_mark.line + 1)  # a key's line before its value
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value
                lines[(*location, key)] = key_node.start_mark.line + 1
                stack.append((value_node, (*location, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*location, position)) for position, item in enumerate(node.value))


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
    except _TooLargeError as exc:
        raise ModelError(
            f"{file} is too large or too deeply nested to read",
            [Problem(code="yaml.too_large", message=str(exc), file=str(file), line=exc.line)],
        ) from exc
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
        _index_lines(node, lines)
    return data, lines


def line_of(lines: dict[Location, int], location: Location) -> int | None:
    """Return the line of ``location``, or of its nearest written ancestor."""
    probe = tuple(location)
    while probe:
        if probe in lines:
            return lines[probe]
        probe = probe[:-1]
    return lines.get(())
