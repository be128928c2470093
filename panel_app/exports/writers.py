"""Streaming CSV and XLSX writers.

Both take a list of `Column`s and an iterable of rows (anything the column getters
understand) and never hold more than one batch of rows in memory:

- CSV is produced as a generator of byte chunks, UTF-8 with a byte-order mark so Excel
  opens accents right.
- XLSX is written by XlsxWriter in `constant_memory` mode (each row goes to a temporary
  file as soon as it is complete) into a temporary file, which is then streamed out in
  chunks and deleted.

Formula injection (OWASP "CSV injection"): text that starts with `=`, `+`, `-`, `@`, a tab
or a carriage return could be run as a formula by a spreadsheet. In CSV such text gets a
leading apostrophe; in XLSX every text value is written as a string cell, which spreadsheets
never evaluate, and gets the same apostrophe so a later "save as CSV" stays harmless.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import xlsxwriter

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
#: Rows gathered before a CSV chunk is handed to the server.
CSV_BATCH_ROWS = 500
FILE_CHUNK_BYTES = 64 * 1024
#: Excel's limit on the characters of one cell.
XLSX_CELL_MAX = 32_767


def neutralise(text: str) -> str:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe."""
    if text and text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


@dataclass(frozen=True)
class Column:
    """One export column: header text, how to read the value, and its type.

    kind: "text", "int", "bool" or "datetime" (an aware instant, shown in `zone`).
    """

    header: str
    get: Callable[[object], object]
    kind: str = "text"
    width: int = 16


def _local(value: datetime, zone: ZoneInfo) -> datetime:
    return value.astimezone(zone).replace(tzinfo=None)


def _csv_formatter(column: Column, zone: ZoneInfo, yes: str, no: str) -> Callable[[object], str]:
    """A function turning this column's value into CSV text (chosen once, not per cell)."""
    get = column.get
    if column.kind == "datetime":
        def fmt(row):
            value = get(row)
            if value is None:
                return ""
            local = value.astimezone(zone)
            return f"{local.year:04d}-{local.month:02d}-{local.day:02d} {local.hour:02d}:{local.minute:02d}"
    elif column.kind == "bool":
        def fmt(row):
            value = get(row)
            return "" if value is None else (yes if value else no)
    elif column.kind == "int":
        def fmt(row):
            value = get(row)
            return "" if value is None else str(int(value))
    else:
        def fmt(row):
            value = get(row)
            if value is None:
                return ""
            text = value if isinstance(value, str) else str(value)
            return "'" + text if text and text.startswith(FORMULA_TRIGGERS) else text
    return fmt


def csv_chunks(
    columns: list[Column], rows: Iterable, *, zone: ZoneInfo, yes: str = "yes", no: str = "no"
) -> Iterator[bytes]:
    """Yield the CSV file (BOM, header, rows) as UTF-8 byte chunks of a few hundred rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([neutralise(c.header) for c in columns])
    formatters = [_csv_formatter(c, zone, yes, no) for c in columns]
    batch_rows = CSV_BATCH_ROWS
    pending = 0
    for row in rows:
        writer.writerow([fmt(row) for fmt in formatters])
        pending += 1
        if pending >= batch_rows:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate(0)
            pending = 0
    tail = buffer.getvalue()
    if tail:
        yield tail.encode("utf-8")


def write_xlsx(
    path: str, columns: list[Column], rows: Iterable, *, zone: ZoneInfo, sheet_name: str = "Registrations",
    more: Iterable[tuple[str, list[Column], Iterable]] = (),
) -> int:
    """Write an XLSX workbook to `path`; returns the number of data rows of the first sheet.

    Header row in bold, frozen below the header, an autofilter over the data, dates as real
    date-time cells (local time of `zone`), numbers and booleans typed. `more` adds sheets
    (name, columns, rows) after the first, each written the same way.
    """
    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "tmpdir": os.path.dirname(path) or None,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    try:
        formats = {"header": workbook.add_format({"bold": True, "bottom": 1}),
                   "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})}
        count = _write_sheet(workbook.add_worksheet(_sheet_title(sheet_name)), columns, rows, zone, formats)
        for name, sheet_columns, sheet_rows in more:
            _write_sheet(workbook.add_worksheet(_sheet_title(name)), sheet_columns, sheet_rows, zone, formats)
    finally:
        workbook.close()
    return count


def _write_sheet(sheet, columns: list[Column], rows: Iterable, zone: ZoneInfo, formats: dict) -> int:
    header_format, datetime_format = formats["header"], formats["datetime"]
    for index, column in enumerate(columns):
        width = 18 if column.kind == "datetime" else column.width
        sheet.set_column(index, index, width)
    # In constant_memory mode rows must be written strictly in order, header first.
    for index, column in enumerate(columns):
        sheet.write_string(0, index, neutralise(column.header), header_format)
    sheet.freeze_panes(1, 0)
    # One typed writer per column, chosen once: XlsxWriter's generic write() would
    # inspect every value, and a string that looks like a formula must stay a string.
    writers = []
    for column in columns:
        if column.kind == "datetime":
            writers.append(
                (column.get, lambda r, c, v: sheet.write_datetime(r, c, _local(v, zone), datetime_format))
            )
        elif column.kind == "int":
            writers.append((column.get, lambda r, c, v: sheet.write_number(r, c, int(v))))
        elif column.kind == "bool":
            writers.append((column.get, lambda r, c, v: sheet.write_boolean(r, c, bool(v))))
        else:
            writers.append((column.get, lambda r, c, v: sheet.write_string(
                r, c, neutralise(v if isinstance(v, str) else str(v))[:XLSX_CELL_MAX])))
    count = 0
    for count, row in enumerate(rows, start=1):
        for index, (get, write) in enumerate(writers):
            value = get(row)
            if value is not None:
                write(count, index, value)
    sheet.autofilter(0, 0, max(count, 1), len(columns) - 1)
    return count


def _sheet_title(name: str) -> str:
    # Excel forbids these characters in sheet names and caps them at 31 characters.
    cleaned = "".join("_" if ch in '[]:*?/\\' else ch for ch in name).strip("'") or "Sheet1"
    return cleaned[:31]


def xlsx_temp_file(columns: list[Column], rows: Iterable, *, zone: ZoneInfo, sheet_name: str = "Registrations",
                   more: Iterable[tuple[str, list[Column], Iterable]] = ()) -> str:
    """Write the workbook to a new temporary file and return its path (caller deletes it)."""
    handle, path = tempfile.mkstemp(prefix="panel-export-", suffix=".xlsx")
    os.close(handle)
    try:
        write_xlsx(path, columns, rows, zone=zone, sheet_name=sheet_name, more=more)
    except BaseException:
        os.unlink(path)
        raise
    return path


def file_chunks(path: str, *, delete: bool = True) -> Iterator[bytes]:
    """Yield a file in chunks, deleting it afterwards (also when the client goes away)."""
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(FILE_CHUNK_BYTES):
                yield chunk
    finally:
        if delete:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
