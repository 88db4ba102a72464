"""Write a flat table as a Parquet file without pyarrow or pandas.

A grid's results table is small and flat, yet writing it through pyarrow costs the
import of pyarrow and, through pyarrow's pandas checks, of pandas: a quarter of a
short grid's wall time from the CLI. This writer covers what the table needs and
nothing more: one row group, one uncompressed PLAIN data page (v1) per column,
every column OPTIONAL, of type int64, double, boolean or UTF-8 string. Any
Parquet reader reads it (tests read it back with pyarrow).

The layout follows the Apache Parquet format specification: "PAR1", the column
chunks, the file metadata in Thrift's compact protocol, its length, "PAR1".
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MAGIC = b"PAR1"

# Parquet enums (parquet.thrift).
_PHYSICAL = {"int64": 2, "double": 5, "boolean": 0, "string": 6}
_OPTIONAL = 1
_UTF8 = 0
_PLAIN, _RLE = 0, 3
_UNCOMPRESSED = 0
_DATA_PAGE = 0

# Thrift compact protocol type ids.
_T_I32, _T_I64, _T_BINARY, _T_LIST, _T_STRUCT = 5, 6, 8, 9, 12


@dataclass(frozen=True)
class Column:
    name: str
    #: "int64", "double", "boolean" or "string"
    kind: str
    #: Python values of that kind, None where missing.
    values: Sequence[Any]


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


class _Struct:
    """A Thrift struct in compact protocol, fields added in increasing id order."""

    def __init__(self) -> None:
        self._out = bytearray()
        self._last = 0

    def _header(self, field_id: int, type_id: int) -> None:
        delta = field_id - self._last
        if 0 < delta <= 15:
            self._out.append(delta << 4 | type_id)
        else:
            self._out.append(type_id)
            self._out += _varint(_zigzag(field_id))
        self._last = field_id

    def i32(self, field_id: int, value: int) -> _Struct:
        self._header(field_id, _T_I32)
        self._out += _varint(_zigzag(value))
        return self

    def i64(self, field_id: int, value: int) -> _Struct:
        self._header(field_id, _T_I64)
        self._out += _varint(_zigzag(value))
        return self

    def string(self, field_id: int, value: str) -> _Struct:
        self._header(field_id, _T_BINARY)
        self._out += _string_item(value)
        return self

    def struct(self, field_id: int, value: _Struct) -> _Struct:
        self._header(field_id, _T_STRUCT)
        self._out += value.encode()
        return self

    def list(self, field_id: int, type_id: int, items: list[bytes]) -> _Struct:
        """`items` already encoded (`_Struct.encode()`, `_varint(_zigzag(n))`, ...)."""
        self._header(field_id, _T_LIST)
        if len(items) < 15:
            self._out.append(len(items) << 4 | type_id)
        else:
            self._out.append(0xF0 | type_id)
            self._out += _varint(len(items))
        for item in items:
            self._out += item
        return self

    def encode(self) -> bytes:
        return bytes(self._out) + b"\x00"


def _string_item(value: str) -> bytes:
    data = value.encode("utf-8")
    return _varint(len(data)) + data


def _definition_levels(present: list[bool]) -> bytes:
    """1 for a value, 0 for a null, as RLE runs of the hybrid encoding (bit width 1),
    prefixed by their byte length."""
    runs = bytearray()
    start = 0
    while start < len(present):
        end = start
        while end < len(present) and present[end] == present[start]:
            end += 1
        runs += _varint((end - start) << 1) + bytes([present[start]])
        start = end
    return struct.pack("<I", len(runs)) + bytes(runs)


def _plain(kind: str, values: list[Any]) -> bytes:
    if kind == "int64":
        return struct.pack(f"<{len(values)}q", *values)
    if kind == "double":
        return struct.pack(f"<{len(values)}d", *values)
    if kind == "boolean":
        packed = bytearray((len(values) + 7) // 8)
        for i, value in enumerate(values):
            if value:
                packed[i // 8] |= 1 << (i % 8)
        return bytes(packed)
    out = bytearray()
    for value in values:
        data = value.encode("utf-8", errors="surrogatepass")
        out += struct.pack("<I", len(data)) + data
    return bytes(out)


def _column_chunk(column: Column, offset: int) -> tuple[bytes, _Struct]:
    """The column's page as written at `offset`, and its ColumnChunk metadata."""
    present = [value is not None for value in column.values]
    page = _definition_levels(present) + _plain(
        column.kind, [value for value in column.values if value is not None]
    )
    data_page = _Struct().i32(1, len(present)).i32(2, _PLAIN).i32(3, _RLE).i32(4, _RLE)
    header = (
        _Struct()
        .i32(1, _DATA_PAGE)
        .i32(2, len(page))
        .i32(3, len(page))
        .struct(5, data_page)
        .encode()
    )
    size = len(header) + len(page)
    meta = (
        _Struct()
        .i32(1, _PHYSICAL[column.kind])
        .list(2, _T_I32, [_varint(_zigzag(_PLAIN)), _varint(_zigzag(_RLE))])
        .list(3, _T_BINARY, [_string_item(column.name)])
        .i32(4, _UNCOMPRESSED)
        .i64(5, len(present))
        .i64(6, size)
        .i64(7, size)
        .i64(9, offset)
    )
    return header + page, _Struct().i64(2, offset).struct(3, meta)


def _schema(columns: list[Column]) -> list[bytes]:
    root = _Struct().string(4, "schema").i32(5, len(columns)).encode()
    elements = [root]
    for column in columns:
        element = _Struct().i32(1, _PHYSICAL[column.kind]).i32(3, _OPTIONAL)
        element.string(4, column.name)
        if column.kind == "string":
            # converted_type UTF8 and logicalType STRING: old and new readers see text.
            element.i32(6, _UTF8).struct(10, _Struct().struct(1, _Struct()))
        elements.append(element.encode())
    return elements


def parquet_bytes(columns: list[Column], *, created_by: str) -> bytes:
    """A whole Parquet file holding `columns` (all of the same length)."""
    rows = {len(column.values) for column in columns}
    if len(rows) > 1:
        raise ValueError("columns of different lengths")
    num_rows = rows.pop() if rows else 0
    body = bytearray(MAGIC)
    chunks = []
    for column in columns:
        data, chunk = _column_chunk(column, len(body))
        body += data
        chunks.append(chunk.encode())
    row_group = _Struct().list(1, _T_STRUCT, chunks).i64(2, len(body) - len(MAGIC)).i64(3, num_rows)
    footer = (
        _Struct()
        .i32(1, 1)
        .list(2, _T_STRUCT, _schema(columns))
        .i64(3, num_rows)
        .list(4, _T_STRUCT, [row_group.encode()])
        .string(6, created_by)
        .encode()
    )
    return bytes(body) + footer + struct.pack("<I", len(footer)) + MAGIC
