"""The audit head recorded outside the database: one line per appended entry, appended only.

A store's ``audit_head`` row proves the chain up to it, but whoever can write the database
can rewrite the tail, append a forged entry or drop the last ones and move the head with
them. A head file kept where the database's writers cannot rewrite it (another disk or
host, a file with the append-only attribute, ``chattr +a``, a log shipped elsewhere) closes
that: every process that appends writes ``<seq> <hash>`` there once its transaction
commits, and ``andon audit verify`` requires the store's head to be the newest head the
file records.

The file is named by ``ANDON_AUDIT_HEAD_FILE`` (or given explicitly). Each line is written
with one ``write`` on a file opened for appending, so lines of several processes never
interleave; they may land out of order, so the newest head is the one with the highest
sequence number among the last lines. A line is not flushed to disk (``fsync``) unless
asked for: a crash of the machine between a commit and the page cache's write-back may
leave the file one entry behind, which verify reports rather than hides.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "head"
>>> heads = HeadFile(path)
>>> heads.newest() is None
True
>>> heads.record(2, "b" * 64); heads.record(1, "a" * 64)
>>> heads.newest() == (2, "b" * 64)
True
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from andon.decisions.errors import HeadFileError

__all__ = ["HEAD_FILE_ENV", "HeadFile", "configured_head_file"]

HEAD_FILE_ENV = "ANDON_AUDIT_HEAD_FILE"
"""The environment variable that names the head file every appending process writes."""

_TAIL_BYTES = 64 * 1024
_LINE = re.compile(r"(\d+) ([0-9a-f]{64})")


def configured_head_file() -> Path | None:
    """Return the head file named by ``ANDON_AUDIT_HEAD_FILE``, or ``None`` when unset."""
    value = os.environ.get(HEAD_FILE_ENV, "").strip()
    return Path(value) if value else None


class HeadFile:
    """Append heads to a file and read the newest back."""

    def __init__(self, path: Path | str, *, fsync: bool = False) -> None:
        self.path = Path(path)
        self._fsync = fsync

    def record(self, seq: int, head_hash: str) -> None:
        """Append one head (``seq`` and its hash) as one line."""
        line = f"{int(seq)} {head_hash}\n".encode()
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
                if self._fsync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            msg = f"cannot write the audit head file {self.path}: {exc.strerror or exc}"
            raise HeadFileError(msg) from exc

    def newest(self) -> tuple[int, str] | None:
        """Return the head with the highest sequence number among the last lines, or
        ``None`` when the file is missing or empty."""
        try:
            with self.path.open("rb") as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(size - _TAIL_BYTES, 0))
                tail = handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            msg = f"cannot read the audit head file {self.path}: {exc.strerror or exc}"
            raise HeadFileError(msg) from exc
        lines = tail.decode("ascii", errors="replace").split("\n")
        if size > _TAIL_BYTES:
            lines = lines[1:]  # the first may be cut
        best: tuple[int, str] | None = None
        for number, text in enumerate(lines):
            match = _LINE.fullmatch(text)
            if match is None:
                if text and number != len(lines) - 1:  # a torn last line is no head yet
                    msg = f"{self.path} holds a line that is not '<seq> <hash>': {text[:80]!r}"
                    raise HeadFileError(msg)
                continue
            head = (int(match.group(1)), match.group(2))
            if best is None or head[0] > best[0]:
                best = head
        return best
