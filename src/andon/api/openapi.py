"""Write the API's OpenAPI 3.1 document: ``python -m andon.api.openapi docs/openapi.json``.

The document does not depend on the store or the plant, so it is built on an empty store
and the smallest valid model; a test keeps the committed copy current.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from andon.api.app import create_app, openapi_document
from andon.api.settings import ApiSettings
from andon.model import Model, PlantModel
from andon.store import open_store

__all__ = ["document", "main", "render"]


def document() -> dict[str, Any]:
    """Return the OpenAPI document of the API as it is built now."""
    store = open_store("duckdb://:memory:")
    try:
        model = Model(PlantModel.model_validate({"enterprise": {"id": "acme"}}))
        app = create_app(store=store, model=model, settings=ApiSettings())
        return openapi_document(app)
    finally:
        store.close()


def render(value: dict[str, Any]) -> str:
    """Return the document as stable, indented JSON text."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the document to the path given (or print it)."""
    args = sys.argv[1:] if argv is None else argv
    text = render(document())
    if args:
        Path(args[0]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
