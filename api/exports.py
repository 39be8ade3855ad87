"""Exports (SPEC §12): an answer as CSV for a French Excel, or as an Excel workbook.

The request is the JSON one (same body, token, scope and cache) with another ``Accept``;
the export is derived from the cached JSON answer, decoded against the endpoint's result
type, so every value keeps its type (an int stays an int, a day a ``datetime.date``).

A **block** is what a chart shows: a list or an object of the answer, or a number at its
top (``Nombre_de_visites_moyen``), named by its path of JSON keys
(``statistiques.region``). The blocks are found in the result types of
``engine/results.py``, so a new key is exported with no change here. A block becomes one
table: an object one row of its scalar fields (its lists are blocks of their own), a
list one row per item, and a list of items holding a list (regions and their cities)
one row per innermost item, its parents' scalar fields as leading columns.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, partial
from typing import Any, NamedTuple

import anyio.to_thread
import msgspec
from litestar import MediaType, Request, Response
from litestar.enums import ParamType
from litestar.openapi.spec import (
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    Schema,
)

from api.errors import FieldError
from engine import RESULTS
from engine.filters import Filter

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# What a client may ask for; JSON first, so that */* and no Accept at all mean JSON.
OFFERED = [MediaType.JSON.value, CSV, XLSX]
SUFFIXES = {CSV: "csv", XLSX: "xlsx"}

Scalar = int | float | str | datetime.date | None
Row = tuple[Scalar, ...]

_inspect = msgspec.inspect


class Table(NamedTuple):
    columns: tuple[str, ...]  # JSON keys; a nested item's keys are prefixed with its list's
    rows: list[Row]


# ------------------------------------------------------------------- the blocks


@dataclass(frozen=True)
class _Shape:
    """How to flatten a list item (or an object): its scalar fields, then at most one
    nested list of items, whose rows repeat this item's scalars in front."""

    scalars: tuple[tuple[str, str], ...]  # (attribute name, JSON key)
    nested: tuple[str, str, _Shape] | None  # (attribute name, JSON key, item shape)

    @property
    def columns(self) -> tuple[str, ...]:
        own = tuple(key for _, key in self.scalars)
        if self.nested is None:
            return own
        _, key, shape = self.nested
        return own + tuple(f"{key}.{column}" for column in shape.columns)

    def rows(self, item: object) -> Iterator[Row]:
        own = tuple(getattr(item, name) for name, _ in self.scalars)
        if self.nested is None:
            yield own
            return
        name, _, shape = self.nested
        children = getattr(item, name)
        if not children:  # an item with an empty list still shows its own figures
            yield own + (None,) * len(shape.columns)
        for child in children:
            for row in shape.rows(child):
                yield own + row


def _type(field: _inspect.Field) -> _inspect.Type:
    """A field's type without the ``Meta`` that documents it (engine/results.py)."""
    t = field.type
    return t.type if isinstance(t, _inspect.Metadata) else t


def _list_of_structs(t: _inspect.Type) -> _inspect.StructType | None:
    if isinstance(t, _inspect.ListType) and isinstance(t.item_type, _inspect.StructType):
        return t.item_type
    return None


def _shape(info: _inspect.StructType, *, item: bool) -> _Shape:
    """An item's shape descends into its nested list; an object's does not (its lists
    and objects are blocks of their own)."""
    scalars, nested = [], []
    for field in info.fields:
        child = _list_of_structs(_type(field))
        if child is not None and item:
            nested.append((field.name, field.encode_name, _shape(child, item=True)))
        elif child is None and not isinstance(_type(field), _inspect.StructType):
            scalars.append((field.name, field.encode_name))
    if len(nested) > 1:  # one row per innermost item needs a single line of descent
        raise TypeError(f"{info.cls.__name__} holds more than one list of items")
    return _Shape(tuple(scalars), nested[0] if nested else None)


@dataclass(frozen=True)
class Block:
    path: str  # JSON keys joined by dots: what ?block= names
    attributes: tuple[str, ...]  # the Struct attributes from the answer to the block
    shape: _Shape | None  # None: a number at the top of the answer
    listed: bool  # a list of items (else an object or a number)

    def table(self, answer: msgspec.Struct) -> Table:
        value: Any = answer
        for name in self.attributes:
            value = getattr(value, name)
        if self.shape is None:
            return Table((self.path,), [(value,)])
        items = value if self.listed else [value]
        return Table(self.shape.columns, [row for item in items for row in self.shape.rows(item)])


def _blocks(
    info: _inspect.StructType, keys: tuple[str, ...], names: tuple[str, ...]
) -> Iterator[Block]:
    for field in info.fields:
        path, attributes, kind = (*keys, field.encode_name), (*names, field.name), _type(field)
        if isinstance(kind, _inspect.StructType):
            yield Block(".".join(path), attributes, _shape(kind, item=False), False)
            yield from _blocks(kind, path, attributes)
        elif (item := _list_of_structs(kind)) is not None:
            yield Block(".".join(path), attributes, _shape(item, item=True), True)
        elif not keys:
            yield Block(".".join(path), attributes, None, False)


@cache
def blocks(endpoint: str) -> dict[str, Block]:
    """The blocks of ``endpoint``'s answer by path, in the answer's order."""
    info = _inspect.type_info(RESULTS[endpoint])
    assert isinstance(info, _inspect.StructType)
    return {block.path: block for block in _blocks(info, (), ())}


# ------------------------------------------------------------------------ CSV

# Excel runs a cell that starts with one of these as a formula: a CRM label must not.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Scalar) -> str:
    match value:
        case None:
            return ""
        case float():
            # The shortest exact decimal, with a French decimal comma.
            return repr(value).replace(".", ",")
        case datetime.date():
            # ISO 8601: Excel reads it as a date whatever its language (a dd/mm/yyyy
            # day would be read month first by an English one), and so does every tool.
            return value.isoformat()
        case str() if value.startswith(_FORMULA_START):
            return "'" + value  # what Excel itself shows for text typed with a leading '
        case _:
            return str(value)


def to_csv(table: Table) -> bytes:
    """UTF-8 with a BOM (without it Excel reads ANSI) and ``;`` (a French Excel's list
    separator, since the comma is its decimal mark)."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow(table.columns)
    writer.writerows([_csv_cell(value) for value in row] for row in table.rows)
    return codecs.BOM_UTF8 + text.getvalue().encode()


# ---------------------------------------------------------------------- Excel

_SHEET_NAME = 31  # Excel's limit on a sheet's name


def sheet_names(paths: list[str]) -> list[str]:
    """Each path cut to Excel's 31 characters, still unique (case aside, like Excel)."""
    names: list[str] = []
    for path in paths:
        name, n = path[:_SHEET_NAME], 1
        while name.lower() in (taken.lower() for taken in names):
            n += 1
            name = f"{path[: _SHEET_NAME - len(str(n)) - 1]}~{n}"
        names.append(name)
    return names


def to_xlsx(tables: Mapping[str, Table]) -> bytes:
    """One sheet per block: a bold header row, then typed cells (numbers as numbers,
    days as dates shown dd/mm/yyyy, texts as texts, never formulas)."""
    # Imported here: XlsxWriter costs a fifth of a second at every server start, and
    # most servers never write a workbook.
    import xlsxwriter

    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True})
    header = workbook.add_format({"bold": True})
    day = workbook.add_format({"num_format": "dd/mm/yyyy"})
    for name, table in zip(sheet_names(list(tables)), tables.values(), strict=True):
        sheet = workbook.add_worksheet(name)
        sheet.write_row(0, 0, table.columns, header)
        for r, row in enumerate(table.rows, start=1):
            for c, value in enumerate(row):
                _write_cell(sheet, r, c, value, day)
        for c, column in enumerate(table.columns):
            sheet.set_column(c, c, max(10, len(column) + 2))
        sheet.freeze_panes(1, 0)
        sheet.autofilter(0, 0, max(len(table.rows), 1), len(table.columns) - 1)
    workbook.close()
    return output.getvalue()


def _write_cell(sheet: Any, row: int, column: int, value: Scalar, day: Any) -> None:
    match value:
        case None:
            return
        case int() | float():
            sheet.write_number(row, column, value)
        case datetime.date():
            sheet.write_datetime(row, column, value, day)
        case str():
            sheet.write_string(row, column, value)


# ----------------------------------------------------------------------- HTTP


def _refused(detail: str) -> FieldError:
    return FieldError(detail, "block")


@dataclass(frozen=True)
class Export:
    """An export a request asked for: its media type, and the block (all if None)."""

    endpoint: str
    media_type: str
    block: Block | None

    def render(self, body: bytes) -> bytes:
        """Blocking (decoding and writing): runs in a worker thread."""
        answer = msgspec.json.decode(body, type=RESULTS[self.endpoint])
        if self.block is None:
            return to_xlsx({b.path: b.table(answer) for b in blocks(self.endpoint).values()})
        table = self.block.table(answer)
        return to_csv(table) if self.media_type == CSV else to_xlsx({self.block.path: table})

    def file_name(self, filter_: Filter, created_at: str) -> str:
        """``visites-performance-annee_2024-region_RE00001-20261203.csv``: the endpoint,
        the block, the filter (scope included) and the snapshot's day, in ASCII."""
        fields = msgspec.structs.asdict(filter_)
        parts = [
            "visites",
            self.endpoint,
            *([self.block.path] if self.block else []),
            *(f"{name}_{value}" for name, value in fields.items() if value is not None),
            datetime.datetime.fromisoformat(created_at).strftime("%Y%m%d"),
        ]
        stem = re.sub(r"[^A-Za-z0-9._-]", "_", "-".join(parts))
        return f"{stem}.{SUFFIXES[self.media_type]}"

    async def respond(
        self, body: bytes, filter_: Filter, created_at: str, headers: Mapping[str, str]
    ) -> Response[bytes]:
        content = await anyio.to_thread.run_sync(partial(self.render, body))
        # The ETag names the JSON answer, not this representation of it.
        sent = {name: value for name, value in headers.items() if name != "ETag"}
        sent["Content-Disposition"] = (
            f'attachment; filename="{self.file_name(filter_, created_at)}"'
        )
        # Litestar adds "; charset=utf-8" to a text type itself.
        return Response(content, media_type=self.media_type, headers=sent)


def requested_export(request: Request[Any, Any, Any], endpoint: str) -> Export | None:
    """The export ``Accept`` asks for, or None for the JSON answer; a 400 for a CSV
    without ``?block=``, or a block the answer does not have."""
    media_type = request.accept.best_match(OFFERED, default=MediaType.JSON.value)
    if media_type == MediaType.JSON:
        return None
    known = blocks(endpoint)
    paths = ", ".join(known)
    asked = request.query_params.get("block")
    if asked is None and media_type == CSV:
        raise _refused(f"is needed for a CSV export (one block): one of {paths}")
    if asked is not None and asked not in known:
        raise _refused(f"/{endpoint} has no block {asked!r}; its blocks are {paths}")
    return Export(endpoint, media_type, known[asked] if asked else None)


def document_exports(operation: Operation, endpoint: str) -> None:
    """Add the exports to an endpoint's OpenAPI operation: ``?block=`` and two more
    media types for its 200."""
    operation.parameters = [
        *(operation.parameters or []),
        Parameter(
            name="block",
            param_in=ParamType.QUERY,
            required=False,
            description="CSV and Excel exports: the block to export (CSV: required), one of "
            + ", ".join(f"`{path}`" for path in blocks(endpoint)),
            # No `type` or `enum`: schemathesis's negative cases for either run hypothesis's
            # ast.parse in two threads at once, which CPython 3.11.7 fails ("SystemError:
            # AST constructor recursion depth mismatch"); the description lists the paths.
            schema=Schema(examples=list(blocks(endpoint))[:1]),
        ),
    ]
    ok = (operation.responses or {}).get("200")
    if isinstance(ok, OpenAPIResponse):
        binary = Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
        ok.content = {
            **(ok.content or {}),
            CSV: OpenAPIMediaType(schema=Schema(type=OpenAPIType.STRING)),
            XLSX: OpenAPIMediaType(schema=binary),
        }
