"""CSV and XLSX writers: formula neutralisation, typed cells, streaming in chunks."""

from __future__ import annotations

import csv
import io
import os
import tracemalloc
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


# Columns of every kind whose cells may be empty, and a text column fed numbers (a seat number,
# a code read as an integer) that must read as the number, not as "None" or an error.
SPARSE = [
    Column("Title", lambda r: r["title"]),
    Column("Seat", lambda r: r["seat"]),
    Column("Minutes", lambda r: r["minutes"], "int"),
    Column("Attended", lambda r: r["attended"], "bool"),
    Column("Joined (Europe/Zurich)", lambda r: r["joined"], "datetime"),
]
SPARSE_ROWS = [
    {"title": None, "seat": 12, "minutes": None, "attended": None, "joined": None},
    {"title": "Dr.", "seat": None, "minutes": -3, "attended": False, "joined": None},
    {"title": "", "seat": 7.5, "minutes": 90.0, "attended": True,
     "joined": datetime(2026, 12, 1, 12, 58, tzinfo=UTC)},
]


def test_csv_leaves_missing_values_empty_and_writes_numbers_as_numbers():
    body = b"".join(csv_chunks(SPARSE, iter(SPARSE_ROWS), zone=ZONE, yes="oui", no="non")).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body))) == [
        ["Title", "Seat", "Minutes", "Attended", "Joined (Europe/Zurich)"],
        ["", "12", "", "", ""],  # unknown attendance is neither yes nor no
        ["Dr.", "", "-3", "non", ""],  # a negative number is a number, not a formula
        ["", "7.5", "90", "oui", "2026-12-01 13:58"],
    ]


@pytest.mark.parametrize(("count", "sizes"), [(23, [5, 10, 15, 20, 23]), (20, [5, 10, 15, 20])])
def test_csv_chunks_join_into_the_same_file_as_one_batch(monkeypatch, count, sizes):
    whole = b"".join(csv_chunks(COLUMNS, rows(count), zone=ZONE))
    monkeypatch.setattr(writers, "CSV_BATCH_ROWS", 5)
    read = []

    def counting_rows():
        for row in rows(count):
            read.append(row)
            yield row

    pieces = []
    for chunk in csv_chunks(COLUMNS, counting_rows(), zone=ZONE):
        pieces.append((len(read), chunk))
    # Five rows a chunk, the rest in the last one (none after a full batch).
    assert [n for n, _ in pieces] == sizes
    assert b"".join(chunk for _, chunk in pieces) == whole
    assert all(chunk.decode("utf-8").endswith("\r\n") for _, chunk in pieces)  # never a row cut in two
    assert len(list(csv.reader(io.StringIO(whole.decode("utf-8-sig"))))) == count + 1


def test_csv_of_no_rows_is_the_header_alone():
    assert b"".join(csv_chunks(COLUMNS, [], zone=ZONE)) == (
        "\ufeffName,Minutes,Attended,Joined (Europe/Zurich)\r\n".encode())


def test_xlsx_leaves_missing_values_empty_and_writes_numbers_in_text_columns_as_text(tmp_path):
    path = str(tmp_path / "sparse.xlsx")
    assert writers.write_xlsx(path, SPARSE, iter(SPARSE_ROWS), zone=ZONE) == 3
    sheet = openpyxl.load_workbook(path).active
    assert sheet.title == "Registrations"
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values == [
        [None, "12", None, None, None],
        ["Dr.", None, -3, False, None],
        ["", "7.5", 90, True, datetime(2026, 12, 1, 13, 58)],
    ]
    assert sheet["B2"].data_type == "s" and sheet["C3"].data_type == "n" and sheet["D3"].data_type == "b"


def test_xlsx_header_is_bold_and_underlined_and_dates_read_as_dates(tmp_path):
    path = xlsx_temp_file(COLUMNS, rows(3), zone=ZONE)
    try:
        # A file left behind by a crash says what it is.
        assert os.path.basename(path).startswith("panel-export-") and path.endswith(".xlsx")
        sheet = openpyxl.load_workbook(path).active
        assert sheet.title == "Registrations"
        for cell in sheet[1]:
            assert cell.font.b is True and cell.border.bottom.style == "thin"
        assert sheet["A2"].font.b is not True
        assert sheet["D3"].number_format == "yyyy-mm-dd hh:mm"
    finally:
        os.unlink(path)


def test_xlsx_columns_are_as_wide_as_declared_and_dates_fit(tmp_path):
    columns = [Column("Name", lambda r: r["name"], width=30), Column("Minutes", lambda r: r["minutes"], "int", 10),
               Column("Joined", lambda r: r["joined"], "datetime", width=8), Column("Note", lambda r: "")]
    path = str(tmp_path / "widths.xlsx")
    writers.write_xlsx(path, columns, rows(2), zone=ZONE)
    sheet = openpyxl.load_workbook(path).active
    # XlsxWriter stores a width plus Excel's cell padding (5 pixels).
    widths = [round(sheet.column_dimensions[letter].width) for letter in "ABCD"]
    assert widths == [31, 11, 19, 17]


@pytest.mark.parametrize(("count", "ref"), [(0, "A1:D2"), (1, "A1:D2"), (2, "A1:D3")])
def test_xlsx_autofilter_covers_the_header_and_every_row(tmp_path, count, ref):
    path = str(tmp_path / "filter.xlsx")
    assert writers.write_xlsx(path, COLUMNS, rows(count), zone=ZONE) == count
    assert openpyxl.load_workbook(path).active.auto_filter.ref == ref


def test_xlsx_further_sheets_follow_with_their_own_columns_and_local_times(tmp_path):
    path = str(tmp_path / "two.xlsx")
    walk_ins = [Column("Name shown in Zoom", lambda w: w[0]), Column("First joined", lambda w: w[1], "datetime")]
    writers.write_xlsx(path, COLUMNS, rows(1), zone=ZONE, sheet_name="Inscriptions",
                       more=[("'Walk-ins: [annex] X'", walk_ins,
                              [("=cmd", datetime(2026, 7, 1, 6, 30, tzinfo=UTC)), ("Zoë", None)])])
    book = openpyxl.load_workbook(path)
    # Excel forbids []:*?/\ in sheet names and an apostrophe at either end.
    assert book.sheetnames == ["Inscriptions", "Walk-ins_ _annex_ X"]
    sheet = book["Walk-ins_ _annex_ X"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["Name shown in Zoom", "First joined"], ["'=cmd", datetime(2026, 7, 1, 8, 30)], ["Zoë", None]]
    assert sheet.auto_filter.ref == "A1:B3" and sheet.freeze_panes == "A2"


def test_xlsx_sheet_names_keep_their_spaces_and_are_cut_to_31_characters(tmp_path):
    path = str(tmp_path / "names.xlsx")
    writers.write_xlsx(path, COLUMNS, rows(1), zone=ZONE, sheet_name=" Inscriptions au panel de l’UIP à Genève ",
                       more=[("''", COLUMNS, rows(0))])
    assert openpyxl.load_workbook(path).sheetnames == [" Inscriptions au panel de l’UIP", "Sheet1"]


def test_xlsx_is_written_in_constant_memory(tmp_path):
    """Rows go to disk as they are written: 4 MB of distinct text never sits in memory at once."""
    columns = [Column("Accessibility needs", lambda r: r)]
    texts = (f"{i:06d} " + "é" * 2000 for i in range(2000))
    tracemalloc.start()
    try:
        writers.write_xlsx(str(tmp_path / "big.xlsx"), columns, texts, zone=ZONE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000
    assert openpyxl.load_workbook(tmp_path / "big.xlsx", read_only=True).active.max_row == 2001


def test_xlsx_spill_files_go_next_to_the_workbook_and_are_removed(tmp_path):
    seen = []

    def watching_rows():
        for row in rows(2):
            seen.append(sorted(p.name for p in tmp_path.iterdir()))
            yield row

    writers.write_xlsx(str(tmp_path / "out.xlsx"), COLUMNS, watching_rows(), zone=ZONE)
    assert seen and all(len(names) == 1 and names != ["out.xlsx"] for names in seen)  # the sheet's row spill file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]
