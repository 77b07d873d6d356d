"""Check one batch of the audit chain with Arrow kernels and a tight SHA-256 loop.

An entry's hash is SHA-256 over the previous hash and the canonical JSON of
``[seq, ts, actor, action, entity, entity_id, site, data]`` (``json.dumps`` with
``ensure_ascii=False`` and no spaces). Arrow builds those bodies for a whole batch: a
JSON string literal is the text with ``\\`` and ``"`` escaped, in quotes, as long as the
text holds no control character; a batch that does is formatted row by row with the JSON
encoder's own string escaper. What is left per row is hashing, the floor of the work.
"""

from __future__ import annotations

import hashlib
from json.encoder import encode_basestring

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["TEXT_COLUMNS", "bodies", "first_break"]

TEXT_COLUMNS = ("actor", "action", "entity", "entity_id", "site", "data")
_QUOTE, _BACKSLASH, _SPACE = 0x22, 0x5C, 0x20
_STR = pa.string()


def _text(table: pa.Table, name: str) -> pa.Array:
    column = table.column(name).combine_chunks()
    return column if column.type == _STR else column.cast(_STR)


def _bytes(column: pa.Array) -> np.ndarray:
    """Return the UTF-8 bytes behind a string array (a slice may show a few more: harmless,
    as they can only send a batch down the slower, always exact, path)."""
    data = column.buffers()[2]
    return np.frombuffer(data, np.uint8) if data is not None else np.empty(0, np.uint8)


def _literal(column: pa.Array, raw: np.ndarray) -> pa.Array:
    """Return each text as a JSON string literal (the text holds no control character)."""
    escaped = column
    if (raw == _BACKSLASH).any():
        escaped = pc.replace_substring(escaped, "\\", "\\\\")
    if (raw == _QUOTE).any():
        escaped = pc.replace_substring(escaped, '"', '\\"')
    quote = pa.scalar('"', _STR)
    return pc.binary_join_element_wise(quote, escaped, quote, pa.scalar("", _STR))


def _by_row(table: pa.Table) -> list[bytes]:
    """Format every body in Python, exactly as the chain was written."""
    columns = [table.column(n).to_pylist() for n in ("prev_hash", "seq", "ts", *TEXT_COLUMNS)]
    text = encode_basestring
    out = []
    for prev, seq, ts, actor, action, entity, entity_id, site, data in zip(*columns, strict=True):
        where = "null" if site is None else text(site)
        out.append(
            f"{prev}[{seq},{ts},{text(actor)},{text(action)},{text(entity)},"
            f"{text(entity_id)},{where},{text(data)}]".encode()
        )
    return out


def bodies(table: pa.Table) -> list[bytes]:
    """Return the bytes each entry's hash covers, its stored ``prev_hash`` first."""
    texts = {name: _text(table, name) for name in TEXT_COLUMNS}
    raws = {name: _bytes(column) for name, column in texts.items()}
    if any((raw < _SPACE).any() for raw in raws.values()):  # a control character: \n, \u0001
        return _by_row(table)
    comma = pa.scalar(",", _STR)
    parts: list[pa.Array | pa.Scalar] = [
        _text(table, "prev_hash"),
        pa.scalar("[", _STR),
        table.column("seq").combine_chunks().cast(_STR),
        comma,
        table.column("ts").combine_chunks().cast(_STR),
    ]
    for name in TEXT_COLUMNS:
        literal = _literal(texts[name], raws[name])
        parts += [comma, pc.fill_null(literal, pa.scalar("null", _STR))]
    parts.append(pa.scalar("]", _STR))
    joined = pc.binary_join_element_wise(*parts, pa.scalar("", _STR))
    result: list[bytes] = joined.cast(pa.binary()).to_pylist()
    return result


def first_break(table: pa.Table, *, prev: str, first_seq: int) -> tuple[int, str] | None:
    """Return the index in the batch of the first broken entry and why, or ``None``.

    ``prev`` is the hash of the entry before the batch and ``first_seq`` the sequence number
    the batch must start with, so the broken entry is number ``first_seq + index``. The
    checks and their order per entry are those of a plain loop: a gap in the sequence, then
    a previous hash that is not the last entry's hash, then a hash that does not match the
    entry's content.
    """
    rows = table.num_rows
    seq = table.column("seq").to_numpy()
    gap = seq != np.arange(first_seq, first_seq + rows, dtype=seq.dtype)
    hashes = _text(table, "hash")
    chained = pa.concat_arrays([pa.array([prev], _STR), hashes.slice(0, rows - 1)])
    unlinked = pc.not_equal(_text(table, "prev_hash"), chained).to_numpy(zero_copy_only=False)
    sha256 = hashlib.sha256
    digests = pa.array([sha256(body).hexdigest() for body in bodies(table)], _STR)
    altered = pc.not_equal(digests, hashes).to_numpy(zero_copy_only=False)
    broken = np.flatnonzero(gap | unlinked | altered)
    if broken.size == 0:
        return None
    index = int(broken[0])
    if gap[index]:
        return index, f"entry {first_seq + index} is missing"
    if unlinked[index]:
        return index, "its previous hash is not the hash of the entry before"
    return index, "its content does not match its hash"
