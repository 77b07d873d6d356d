"""Read and write OCEL 2.0 files in the three formats of the specification, by name.

The format is given (``ocel-json``, ``ocel-xml``, ``ocel-sqlite``) or found from the file's
name (``.json``, ``.xml``, ``.sqlite``, ``.sqlite3``, ``.db``; JSON and XML may be gzipped,
``.json.gz``). Reading checks the whole log and raises :class:`~andon.errors.OcelError` with
every problem, so nothing is half imported; writing goes to a temporary file beside the target
and replaces it only when complete.
"""

from __future__ import annotations

import gzip
import os
import tempfile
from pathlib import Path
from typing import Final, Literal, TypeAlias, get_args

from andon.errors import OcelError, Problem
from andon.ocel._check import assemble
from andon.ocel._json import dump_json, parse_json
from andon.ocel._model import OcelLog
from andon.ocel._sqlite import parse_sqlite, write_sqlite
from andon.ocel._xml import dump_xml, parse_xml

__all__ = ["FORMATS", "Format", "dumps", "format_of", "loads", "read", "write"]

Format: TypeAlias = Literal["ocel-json", "ocel-xml", "ocel-sqlite"]
FORMATS: Final[tuple[str, ...]] = get_args(Format)

_SUFFIXES: Final = {
    ".json": "ocel-json",
    ".jsonocel": "ocel-json",
    ".xml": "ocel-xml",
    ".xmlocel": "ocel-xml",
    ".sqlite": "ocel-sqlite",
    ".sqlite3": "ocel-sqlite",
    ".db": "ocel-sqlite",
}


def format_of(path: str | os.PathLike[str]) -> Format:
    """Return the format a file's name says; :class:`OcelError` if it says none."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    found = _SUFFIXES.get(suffixes[-1]) if suffixes else None
    if found is None:
        raise OcelError(
            f"cannot tell the OCEL format of {os.fspath(path)!r}",
            [
                Problem(
                    code="ocel.unknown_format",
                    message="the file name has no OCEL suffix",
                    file=os.fspath(path),
                    expected="a name ending in .json, .xml or .sqlite, or a format given",
                )
            ],
        )
    return found  # type: ignore[return-value]


def _check_format(fmt: str) -> Format:
    if fmt not in FORMATS:
        raise OcelError(
            f"unknown OCEL format {fmt!r}",
            [
                Problem(
                    code="ocel.unknown_format",
                    message=f"unknown OCEL format {fmt!r}",
                    expected=" or ".join(FORMATS),
                )
            ],
        )
    return fmt  # type: ignore[return-value]


def loads(data: bytes, fmt: Format, *, name: str | None = None) -> OcelLog:
    """Return the log in ``data`` (a JSON or XML document, gzipped or not)."""
    fmt = _check_format(fmt)
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as exc:
            raise OcelError(
                "cannot decompress the log",
                [Problem(code="ocel.not_gzip", message=f"bad gzip data: {exc}", file=name)],
            ) from exc
    if fmt == "ocel-json":
        return assemble(parse_json(data), file=name)
    if fmt == "ocel-xml":
        return assemble(parse_xml(data), file=name)
    msg = "an OCEL 2.0 SQLite log is read from a file: use read()"
    raise OcelError(msg, [Problem(code="ocel.unknown_format", message=msg)])


def dumps(log: OcelLog, fmt: Format) -> bytes:
    """Return ``log`` as a JSON or XML document."""
    fmt = _check_format(fmt)
    if fmt == "ocel-json":
        return dump_json(log)
    if fmt == "ocel-xml":
        return dump_xml(log)
    msg = "an OCEL 2.0 SQLite log is written to a file: use write()"
    raise OcelError(msg, [Problem(code="ocel.unknown_format", message=msg)])


def read(path: str | os.PathLike[str], fmt: Format | None = None) -> OcelLog:
    """Read the OCEL 2.0 log at ``path``: every problem at once, or the whole log."""
    name = os.fspath(path)
    fmt = _check_format(fmt) if fmt is not None else format_of(path)
    if fmt == "ocel-sqlite":
        return assemble(parse_sqlite(Path(path)), file=name)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise OcelError(
            f"cannot read {name}",
            [Problem(code="ocel.unreadable", message=exc.strerror or str(exc), file=name)],
        ) from exc
    return loads(data, fmt, name=name)


def write(log: OcelLog, path: str | os.PathLike[str], fmt: Format | None = None) -> None:
    """Write ``log`` to ``path``; a ``.gz`` name gzips JSON and XML."""
    target = Path(path)
    fmt = _check_format(fmt) if fmt is not None else format_of(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    part = Path(temporary)
    try:
        if fmt == "ocel-sqlite":
            part.unlink()
            write_sqlite(log, part)
        else:
            data = dumps(log, fmt)
            if target.suffix.lower() == ".gz":
                data = gzip.compress(data, compresslevel=6)
            part.write_bytes(data)
        part.replace(target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
