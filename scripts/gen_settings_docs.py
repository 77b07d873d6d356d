"""Generate the settings tables of the docs from the settings classes' field docstrings.

Each table sits in its page between ``<!-- settings:NAME -->`` and ``<!-- /settings -->``
and lists every field of the class: its environment variable, its type, its default and
its docstring. A test regenerates the tables and fails when a committed page differs.

Usage: python scripts/gen_settings_docs.py [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined
from pydantic_settings import BaseSettings

from andon.runtime.edge import EdgeSettings

ROOT = Path(__file__).resolve().parent.parent

PAGES: dict[str, tuple[Path, type[BaseSettings]]] = {
    "edge": (ROOT / "docs" / "edge.md", EdgeSettings),
}
"""Table name -> the page that holds it and the class it is generated from."""


def _type(field: FieldInfo) -> str:
    text = re.sub(r"\b(typing|pathlib|pydantic\.types|andon\.[\w.]+)\.", "", str(field.annotation))
    text = re.sub(r"<class '([\w.]+)'>", lambda m: m.group(1).rsplit(".", 1)[-1], text)
    text = re.sub(r"<enum '(\w+)'>", r"\1", text)
    return text.replace("NoneType", "None")


def _default(field: FieldInfo) -> str:
    value: Any = field.get_default(call_default_factory=True)
    if value is PydanticUndefined:
        return "required"
    return f"`{getattr(value, 'value', value)!r}`"


def table(settings: type[BaseSettings]) -> str:
    """Return the Markdown table of a settings class's fields."""
    prefix = str(settings.model_config.get("env_prefix", ""))
    lines = ["| variable | type | default | what it says |", "| --- | --- | --- | --- |"]
    for name, field in settings.model_fields.items():
        about = " ".join((field.description or "").split()).replace("``", "`").replace("|", "\\|")
        kind = _type(field).replace("|", "\\|")
        lines.append(f"| `{prefix}{name.upper()}` | `{kind}` | {_default(field)} | {about} |")
    return "\n".join(lines)


def render(page: str, name: str, settings: type[BaseSettings]) -> str:
    """Return the page with its table of ``name`` replaced by a fresh one."""
    pattern = re.compile(rf"(<!-- settings:{name} -->\n)(?:.*?\n)?(<!-- /settings -->)", re.DOTALL)
    if not pattern.search(page):
        msg = f"no <!-- settings:{name} --> ... <!-- /settings --> block"
        raise SystemExit(msg)
    return pattern.sub(lambda m: m.group(1) + table(settings) + "\n" + m.group(2), page)


def main(argv: list[str] | None = None) -> int:
    """Write the tables, or with ``--check`` say which page is stale."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a page is stale")
    args = parser.parse_args(argv)
    stale = []
    for name, (path, settings) in PAGES.items():
        old = path.read_text(encoding="utf-8")
        new = render(old, name, settings)
        if new != old:
            if args.check:
                stale.append(path.relative_to(ROOT).as_posix())
            else:
                path.write_text(new, encoding="utf-8")
    for path in stale:
        print(f"{path} is stale: run python scripts/gen_settings_docs.py")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
