"""``andon model``: validate and show plant models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.tree import Tree

from andon.cli._output import err_console, out_console
from andon.errors import ModelError
from andon.model import Model, load_model

app = typer.Typer(help="Validate and show ISA-95 plant models.", no_args_is_help=True)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Model YAML files or folders.")],
) -> None:
    """Check model files and list every problem with file, line, element path and code."""
    failed = False
    for file in files:
        try:
            model = load_model(file)
        except ModelError as exc:
            failed = True
            err_console.print(f"[bold red]{file}[/]: {len(exc.problems)} problem(s)")
            for problem in exc.problems:
                err_console.print(f"  {problem}", highlight=False, markup=False, soft_wrap=True)
            continue
        counts = model.counts()
        out_console.print(
            f"[green]{file}[/]: valid ({counts['sites']} sites, {counts['equipment']} equipment, "
            f"{counts['tags']} tags)"
        )
    if failed:
        raise typer.Exit(code=2)


@app.command()
def show(
    file: Annotated[Path, typer.Argument(help="Model YAML file or folder.")],
) -> None:
    """Print the enterprise as a tree down to equipment, with counts."""
    try:
        model = load_model(file)
    except ModelError as exc:
        err_console.print(str(exc), highlight=False, markup=False, soft_wrap=True)
        raise typer.Exit(code=2) from None
    out_console.print(render_tree(model))
    counts = model.counts()
    out_console.print(
        ", ".join(f"{value} {key.replace('_', ' ')}" for key, value in counts.items())
    )


def render_tree(model: Model) -> Tree:
    """Return a Rich tree of the hierarchy: enterprise > site > area > line > cell > equipment."""
    enterprise = model.plant.enterprise
    tree = Tree(f"[bold]{enterprise.id}[/] {enterprise.name}")
    for site in model.plant.sites:
        equipment_count = sum(1 for _ in model.equipment_under(f"{model.root}/{site.id}"))
        site_node = tree.add(
            f"[bold cyan]{site.id}[/] {site.name} ({site.timezone}, {equipment_count} equipment)"
        )
        for area in site.areas:
            area_node = site_node.add(f"[cyan]{area.id}[/]")
            for line in area.lines:
                line_node = area_node.add(f"[magenta]{line.id}[/] ({line.kind.value})")
                for cell in line.cells:
                    names = ", ".join(f"{e.id} [dim]({e.class_})[/]" for e in cell.equipment)
                    line_node.add(f"{cell.id}: {names}")
    return tree
