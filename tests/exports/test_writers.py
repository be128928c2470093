"""CSV and XLSX writers: formula neutralisation, typed cells, streaming in chunks."""

from __future__ import annotations

import csv
import io
import os
import types
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from panel_app.exports import writers
from panel_app.exports.writers import (
    Column,
    csv_chunks,
    file_chunks,
    neutralise,
    xlsx_temp_file,
)

ZONE = ZoneInfo("Europe/Zurich")
COLUMNS = [
    Column("Name", lambda r: r["name"]),
    Column("Minutes", lambda r: r["minutes"], "int"),
    Column("Attended", lambda r: r["attended"], "bool"),
    Column("Joined (Europe/Zurich)", lambda r: r["joined"], "datetime"),
]
DANGEROUS = ["=HYPERLINK(\"http://evil\")", "+41 22 919 41 50", "-2+3", "@SUM(A1)", "\tTab", "\rCR"]


def rows(n=3):
    for i in range(n):
        yield {"name": DANGEROUS[i % len(DANGEROUS)] if i < len(DANGEROUS) else f"Zoë Ñúñez {i}",
               "minutes": i, "attended": i % 2 == 0,
               "joined": datetime(2026, 9, 26, 13, 5, tzinfo=UTC) if i else None}


@pytest.mark.parametrize("text", DANGEROUS)
def test_formula_looking_text_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", ["Zoë", "Parlement du Bénin", "", "a=b", "Smith-Jones"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise(text) == text


def test_csv_has_bom_header_neutralised_cells_and_local_times():
    body = b"".join(csv_chunks(COLUMNS, rows(8), zone=ZONE))
    assert body.startswith("\ufeff".encode("utf-8"))
    parsed = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert parsed[0] == ["Name", "Minutes", "Attended", "Joined (Europe/Zurich)"]
    names = [row[0] for row in parsed[1:]]
    assert names[: len(DANGEROUS)] == ["'" + d for d in DANGEROUS]
    assert names[-1] == "Zoë Ñúñez 7"
    assert parsed[1][3] == "" and parsed[2][3] == "2026-09-26 15:05"  # CEST, UTC+2
    assert parsed[2][1] == "1" and parsed[1][2] == "yes" and parsed[2][2] == "no"


def test_csv_is_produced_lazily_in_chunks(monkeypatch):
    monkeypatch.setattr(writers, "CSV_BATCH_ROWS", 10)
    consumed = []

    def counting_rows():
        for row in rows(35):
            consumed.append(1)
            yield row

    chunks = csv_chunks(COLUMNS, counting_rows(), zone=ZONE)
    assert isinstance(chunks, types.GeneratorType)
    next(chunks)
    assert len(consumed) == 10  # only the first batch was read so far
    rest = list(chunks)
    assert len(rest) == 3 and len(consumed) == 35


def test_xlsx_has_typed_cells_frozen_header_and_autofilter(tmp_path):
    path = xlsx_temp_file(COLUMNS, rows(8), zone=ZONE, sheet_name="Registrations: panel/1")
    try:
        book = openpyxl.load_workbook(path)
        sheet = book.active
        assert sheet.title == "Registrations_ panel_1"
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == "A1:D9"
        assert [c.value for c in sheet[1]] == ["Name", "Minutes", "Attended", "Joined (Europe/Zurich)"]
        for row_index, text in enumerate(DANGEROUS, start=2):
            cell = sheet.cell(row=row_index, column=1)
            # XLSX stores a carriage return as the escape _x000D_ (Excel reads it back as CR).
            assert cell.data_type == "s" and cell.value.replace("_x000D_", "\r") == "'" + text
        assert sheet.cell(row=3, column=2).value == 1 and sheet.cell(row=3, column=2).data_type == "n"
        assert sheet.cell(row=2, column=3).value is True
        assert sheet.cell(row=3, column=4).value == datetime(2026, 9, 26, 15, 5)
        assert sheet.cell(row=3, column=4).is_date
        assert sheet.cell(row=9, column=1).value == "Zoë Ñúñez 7"
    finally:
        os.unlink(path)


def test_file_chunks_streams_and_deletes_the_file(tmp_path):
    path = tmp_path / "export.bin"
    path.write_bytes(b"x" * (writers.FILE_CHUNK_BYTES * 2 + 5))
    chunks = list(file_chunks(str(path)))
    assert [len(c) for c in chunks] == [writers.FILE_CHUNK_BYTES, writers.FILE_CHUNK_BYTES, 5]
    assert not path.exists()


def test_file_is_deleted_when_the_client_goes_away_early(tmp_path):
    path = tmp_path / "export.bin"
    path.write_bytes(b"x" * (writers.FILE_CHUNK_BYTES * 3))
    chunks = file_chunks(str(path))
    next(chunks)
    chunks.close()
    assert not path.exists()
