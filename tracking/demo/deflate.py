"""zlib streams for many similar messages at once, spliced from precompressed pieces.

The demo stores a million returned messages that differ only in a few short fields (the
recipient, the VERP address, the dates…). Compressing each with `zlib.compress` would be a
Python loop per row; instead every message is a valid zlib stream (RFC 1950) assembled with
Arrow and numpy, column-wise:

- each fixed piece of a template is deflated once, on its own, ending with a full flush, so it
  ends on a byte boundary and refers to nothing before it (RFC 1951 §3.2.3 blocks);
- each variable field goes in as a *stored* block (BTYPE 00: LEN, NLEN, the bytes as they are);
- an empty final stored block closes the stream, and the Adler-32 of the whole text follows.

Adler-32 (RFC 1950 §8.2) of a text of n bytes is A = 1 + Σ b_j and B = n + Σ (n − j)·b_j
(mod 65521), so a row's checksum is a sum over its pieces of terms each piece can give alone:
its byte sum S and its position-weighted sum W = Σ k·b_k. Those are computed for a whole
column with cumulative sums over the Arrow buffer. `zlib.decompress` checks the result.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ZLIB_HEADER = b"\x78\x9c"                   # deflate, 32 KiB window, default level
FINAL_BLOCK = b"\x01\x00\x00\xff\xff"       # BFINAL=1, stored, length 0
ADLER_MOD = 65521
MAX_FIELD = 0xFFFF                          # a stored block holds at most 65535 bytes
PLACEHOLDER = re.compile(r"@@([A-Z_]+)@@")


def _deflate_piece(raw: bytes) -> bytes:
    if not raw:
        return b""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(raw) + compressor.flush(zlib.Z_FULL_FLUSH)


def _sums(raw: bytes) -> tuple[int, int]:
    data = np.frombuffer(raw, dtype=np.uint8).astype(np.int64)
    return int(data.sum()), int((data * np.arange(len(data))).sum())


@dataclass(frozen=True)
class SplicedTemplate:
    """A text with `@@NAME@@` fields, ready to be rendered and compressed for many rows."""

    fixed: tuple[bytes, ...]           # len(names) + 1 pieces around the fields
    names: tuple[str, ...]
    deflated: tuple[bytes, ...]
    sums: tuple[tuple[int, int], ...]

    @classmethod
    def parse(cls, text: str) -> SplicedTemplate:
        parts = PLACEHOLDER.split(text)
        fixed = tuple(part.encode("utf-8") for part in parts[0::2])
        names = tuple(name.lower() for name in parts[1::2])
        return cls(fixed, names, tuple(_deflate_piece(p) for p in fixed),
                   tuple(_sums(p) for p in fixed))

    def render(self, fields: dict[str, pa.Array]) -> tuple[pa.Array, pa.Array, np.ndarray]:
        """(zlib-compressed messages, the messages as text, their sizes in bytes), per row."""
        columns = [_as_binary(fields[name]) for name in self.names]
        n = len(columns[0]) if columns else len(next(iter(fields.values())))
        field_sums = [_column_sums(column) for column in columns]
        lengths = [lens for lens, _, _ in field_sums]
        if any(len(lens) and lens.max() > MAX_FIELD for lens in lengths):
            raise ValueError("a field longer than one stored block")
        size = np.full(n, sum(len(p) for p in self.fixed), dtype=np.int64)
        for lens in lengths:
            size += lens
        checksum = _adler(self, field_sums, size, n)

        texts = [pa.scalar(self.fixed[0], pa.binary())]
        compressed = [pa.scalar(ZLIB_HEADER + self.deflated[0], pa.binary())]
        for index, column in enumerate(columns):
            texts += [column, pa.scalar(self.fixed[index + 1], pa.binary())]
            compressed += [_stored_headers(lengths[index]), column,
                           pa.scalar(self.deflated[index + 1], pa.binary())]
        compressed += [pa.scalar(FINAL_BLOCK, pa.binary()), _fixed_binary(checksum, 4)]
        if not columns:
            compressed.append(pa.array([b""] * n, pa.binary()))
            texts.append(pa.array([b""] * n, pa.binary()))
        blobs = pc.binary_join_element_wise(*compressed, b"")
        text = pc.binary_join_element_wise(*texts, b"").cast(pa.string())
        return blobs, text, size


def _as_binary(column: pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    return pc.fill_null(column, "").cast(pa.binary())


def _column_sums(column: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: byte length, byte sum S, position-weighted sum W (positions from 0)."""
    column = pa.concat_arrays([column])        # a fresh array: offsets start at its buffer
    offsets = np.frombuffer(column.buffers()[1], dtype=np.int32)[: len(column) + 1]
    offsets = offsets.astype(np.int64)
    data_buffer = column.buffers()[2]
    data = (np.frombuffer(data_buffer, dtype=np.uint8)[: offsets[-1]].astype(np.int64)
            if data_buffer is not None else np.zeros(0, dtype=np.int64))
    total = np.concatenate([[0], np.cumsum(data)])
    weighted = np.concatenate([[0], np.cumsum(data * np.arange(len(data)))])
    start, end = offsets[:-1], offsets[1:]
    byte_sum = total[end] - total[start]
    position_sum = weighted[end] - weighted[start] - start * byte_sum
    return end - start, byte_sum, position_sum


def _adler(template: SplicedTemplate, field_sums, size: np.ndarray, n: int) -> np.ndarray:
    a = np.ones(n, dtype=np.int64)
    b = size % ADLER_MOD
    offset = np.zeros(n, dtype=np.int64)
    pieces = [(len(template.fixed[0]), *template.sums[0])]
    for index, (lens, byte_sum, position_sum) in enumerate(field_sums):
        pieces += [(lens, byte_sum, position_sum),
                   (len(template.fixed[index + 1]), *template.sums[index + 1])]
    for length, byte_sum, position_sum in pieces:
        a += byte_sum
        b += ((size - offset) % ADLER_MOD) * (np.asarray(byte_sum) % ADLER_MOD) % ADLER_MOD
        b -= np.asarray(position_sum) % ADLER_MOD
        b %= ADLER_MOD
        offset = offset + length
    return ((b % ADLER_MOD) << 16) | (a % ADLER_MOD)


def _stored_headers(lengths: np.ndarray) -> pa.Array:
    """`00 LEN NLEN` (little-endian) for a non-final stored block of each length."""
    header = np.zeros((len(lengths), 5), dtype=np.uint8)
    header[:, 1] = lengths & 0xFF
    header[:, 2] = lengths >> 8
    header[:, 3] = ~lengths & 0xFF
    header[:, 4] = (~lengths >> 8) & 0xFF
    return _fixed_bytes(header)


def _fixed_binary(values: np.ndarray, width: int) -> pa.Array:
    big_endian = values.astype(">u4").view(np.uint8).reshape(-1, width)
    return _fixed_bytes(big_endian)


def _fixed_bytes(matrix: np.ndarray) -> pa.Array:
    n, width = matrix.shape
    array = pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), n, [None, pa.py_buffer(np.ascontiguousarray(matrix).tobytes())])
    return array.cast(pa.binary())
