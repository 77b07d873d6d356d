"""``andon model``: validate and show plant models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.tree import Tree

from andon.cli._output import err_console, fail, out_console, print_problems
from andon.errors import ModelError
from andon.model import Model, load_model

__all__ = ["app", "render_tree"]

app = typer.Typer(help="Validate and show ISA-95 plant models.", no_args_is_help=True)

_FILES_HELP = "Model YAML files or folders of them; together they form one model."


def _summary(model: Model) -> str:
    """Return ``2 sites, 7 lines, 1 product, ...``: what the model holds."""
    words = []
    for key, value in model.counts().items():
        word = key.replace("_", " ")
        if value == 1:
            word = word.removesuffix("es") if word.endswith("sses") else word.removesuffix("s")
        words.append(f"{value} {word}")
    return ", ".join(words)


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help=_FILES_HELP, show_default=False)],
    each: Annotated[
        bool, typer.Option("--each", help="Validate every argument as a model of its own.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the outcome as JSON on stdout (for CI).")
    ] = False,
) -> None:
    """Check a plant model and list every problem with file, line, element path and code.

    Exits 0 when the model is valid and 2 when it has problems.
    """
    groups = [[file] for file in files] if each else [list(files)]
    outcomes: list[dict[str, object]] = []
    failed = False
    for group in groups:
        name = " ".join(str(file) for file in group)
        try:
            model = load_model(group)
        except ModelError as exc:
            failed = True
            outcomes.append(
                {
                    "model": name,
                    "valid": False,
                    "problems": [
                        {
                            "code": p.code,
                            "message": p.message,
                            "file": p.file,
                            "line": p.line,
                            "path": p.path,
                            "expected": p.expected,
                        }
                        for p in exc.problems
                    ],
                }
            )
            if not as_json:
                _print_invalid(name, exc)
            continue
        outcomes.append({"model": name, "valid": True, "counts": model.counts()})
        if not as_json:
            out_console.print(
                f"[green]valid[/] {escape(name)}: {_summary(model)}",
                highlight=False,
                soft_wrap=True,
            )
    if as_json:
        typer.echo(json.dumps(outcomes if each else outcomes[0], indent=2))
    if failed:
        raise typer.Exit(code=2)


def _print_invalid(name: str, exc: ModelError) -> None:
    problems = exc.problems
    files = {p.file for p in problems if p.file}
    if len(problems) == 1 and problems[0].code.startswith(("file.", "yaml.")):
        fail(exc)
        return
    err_console.print(
        f"[bold red]invalid[/] {escape(name)}: {len(problems)} problem(s)"
        + (f" in {len(files)} file(s)" if len(files) > 1 else ""),
        highlight=False,
        soft_wrap=True,
    )
    print_problems(problems)


@app.command()
def show(
    files: Annotated[list[Path], typer.Argument(help=_FILES_HELP, show_default=False)],
    site: Annotated[
        str | None, typer.Option(help="Show only this site (its id).", show_default=False)
    ] = None,
) -> None:
    """Print the enterprise as a tree down to equipment, then counts of what it holds."""
    try:
        model = load_model(files)
    except ModelError as exc:
        if len(exc.problems) == 1:
            fail(exc)
        else:
            _print_invalid(" ".join(str(f) for f in files), exc)
        raise typer.Exit(code=2) from None
    if site is not None and f"{model.root}/{site}" not in model.sites:
        known = ", ".join(s.id for s in model.plant.sites)
        err_console.print(
            f"[bold red]error:[/] no site {escape(site)!r} in the model (sites: {known})",
            highlight=False,
        )
        raise typer.Exit(code=2)
    out_console.print(render_tree(model, site=site))
    out_console.print(f"[bold]{escape(model.root)}[/]: {_summary(model)}", soft_wrap=True)


def render_tree(model: Model, *, site: str | None = None) -> Tree:
    """Return a Rich tree of the hierarchy: enterprise > site > area > line > cell > equipment."""
    enterprise = model.plant.enterprise
    tree = Tree(f"[bold]{escape(enterprise.id)}[/] {escape(enterprise.name)}")
    for plant_site in model.plant.sites:
        if site is not None and plant_site.id != site:
            continue
        site_path = f"{model.root}/{plant_site.id}"
        equipment_count = sum(1 for _ in model.equipment_under(site_path))
        shifts = len(plant_site.shifts)
        site_node = tree.add(
            f"[bold cyan]{escape(plant_site.id)}[/] {escape(plant_site.name)} "
            f"[dim]({plant_site.timezone}, {shifts} shift(s), {equipment_count} equipment)[/]"
        )
        for area in plant_site.areas:
            area_node = site_node.add(f"[cyan]{escape(area.id)}[/]")
            for line in area.lines:
                label = f"[magenta]{escape(line.id)}[/] [dim]{line.kind.value}[/]"
                if line.description:
                    label += f" {escape(line.description)}"
                line_node = area_node.add(label)
                for cell in line.cells:
                    names = ", ".join(
                        f"{escape(e.id)} [dim]({escape(e.class_)}, {e.criticality.value})[/]"
                        for e in cell.equipment
                    )
                    line_node.add(f"{escape(cell.id)}: {names or '[dim]no equipment[/]'}")
    return tree
