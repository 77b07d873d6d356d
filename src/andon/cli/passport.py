"""``andon passport SERIAL``: a battery unit's passport as Battery Pass JSON or as an AAS."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from andon.cli._output import err_console, fail
from andon.errors import AndonError

_FORMATS = ("battery-pass", "aas")
_LEVELS = ("public", "legitimate_interest", "authorities")


def _mistake(text: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/] {text}", highlight=False, soft_wrap=True)
    return typer.Exit(code=2)


def passport(  # noqa: PLR0917 - typer passes options by keyword, one per parameter
    serial: Annotated[str, typer.Argument(help="Serial of the battery unit.")],
    model_path: Annotated[
        Path, typer.Option("--model", help="Plant model YAML file or folder (or examples/NAME).")
    ] = Path("examples/battery"),
    output_format: Annotated[
        str, typer.Option("--format", help="battery-pass (Battery Pass v1.2.0) or aas (AAS V3.0).")
    ] = "battery-pass",
    level: Annotated[
        str,
        typer.Option(
            "--level", help="Annex XIII access level: public, legitimate_interest, authorities."
        ),
    ] = "public",
    store_url: Annotated[
        str, typer.Option("--store", help="Store URL or DuckDB file.")
    ] = "andon.duckdb",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the JSON to this file.")
    ] = None,
) -> None:
    """A battery unit's digital product passport: Battery Pass JSON or an AAS.

    Built from the unit's genealogy, tests and energy records and the plant model, at an
    Annex XIII access level (Battery Pass v1.2.0) or as an Asset Administration Shell.
    """
    if output_format not in _FORMATS:
        raise _mistake(f"unknown --format {output_format!r}; choose one of {', '.join(_FORMATS)}")
    if level not in _LEVELS:
        raise _mistake(f"unknown --level {level!r}; choose one of {', '.join(_LEVELS)}")
    if "://" not in store_url and not Path(store_url).exists():
        raise _mistake(f"no store at {store_url}: give --store a DuckDB file or a store URL")
    from andon.model import load_model
    from andon.passport import AccessLevel, to_aas, to_battery_pass
    from andon.passport import passport as build
    from andon.sim.examples import find_model
    from andon.store import open_store

    try:
        model = load_model(find_model(model_path))
        store = open_store(store_url)
        try:
            found = build(store, model, serial)
        finally:
            store.close()
    except AndonError as exc:
        fail(exc)
        raise typer.Exit(code=2) from None
    document = (
        to_aas(found) if output_format == "aas" else to_battery_pass(found, AccessLevel(level))
    )
    text = json.dumps(document, indent=1, ensure_ascii=False)
    if output is None:
        typer.echo(text)
        return
    try:
        output.write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise _mistake(f"cannot write {output}: {exc.strerror or exc}") from None
    err_console.print(f"wrote {output}", highlight=False)
