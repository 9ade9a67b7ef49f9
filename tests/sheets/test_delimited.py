"""Delimited text as offices save it, read once for every reader: encodings, Excel's sep= line, the delimiter
chosen by the header, records that span lines, and where a broken record starts."""

from __future__ import annotations

import codecs
import csv

import pytest
from satudata.sheets.delimited import (
    LINE,
    RecordError,
    choose_delimiter,
    decode_text,
    parse_records,
    read_head,
    record_starts,
    stream_after,
)
from satudata.sheets.headers import REGISTRY
from satudata.sheets.sniff import sniff


def find(cells):
    return REGISTRY.find_header(cells, 30)


def sniffed(path):
    with path.open("rb") as handle:
        return sniff(handle, path.stat().st_size)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_that_shows_the_header(delimiter):
    lines = LINE.findall(delimiter.join(["NIK", "Nama", "Kode Desa"]) + "\n"
                         + delimiter.join(["5205010101800001", '"Budi, S.Pd"', "5205012001"]) + "\n")
    choice = choose_delimiter(lines, find)
    assert choice.delimiter == delimiter and choice.header.row == 0 and not choice.declared
    assert choice.records[1][1] == "Budi, S.Pd"


def test_excel_sep_line_names_the_delimiter_and_keeps_row_numbers():
    lines = LINE.findall("sep=;\nNIK;Nama;Kode Desa\n5205010101800001;Budi;5205012001\n")
    choice = choose_delimiter(lines, find)
    assert choice.declared and choice.delimiter == ";" and choice.records[0] == [] and choice.header.row == 1


@pytest.mark.parametrize(("encoding", "bom"), [("utf-8", b""), ("utf-8", codecs.BOM_UTF8), ("cp1252", b""),
                                               ("utf-16-le", codecs.BOM_UTF16_LE)])
def test_decoded_the_same_whatever_the_encoding(tmp_path, encoding, bom):
    path = tmp_path / "daftar.csv"
    path.write_bytes(bom + "NIK;Nama\n5205010101800001;Dédé\n".encode(encoding))
    assert decode_text(path.read_bytes(), sniffed(path)) == "NIK;Nama\n5205010101800001;Dédé\n"


@pytest.fixture
def field_limit():
    """csv's field limit as Python ships it (some library in the suite raises it process-wide)."""
    before = csv.field_size_limit(131_072)
    yield 131_072
    csv.field_size_limit(before)


def test_a_broken_record_is_named_by_the_line_it_starts_on(field_limit):
    lines = LINE.findall('id,nama\n1,Ani\n2,"' + "x" * (field_limit + 1) + '"\n3,Budi\n')
    records, ends = parse_records(lines, ",")
    assert records == [["id", "nama"], ["1", "Ani"]], "a lenient parse keeps what came before"
    with pytest.raises(RecordError) as caught:
        parse_records(lines, ",", strict=True)
    assert caught.value.line == 3
    records, ends = parse_records(LINE.findall('id,nama\n1,"Budi\nSantoso"\n2,Ani\n'), ",")
    assert records[1] == ["1", "Budi\nSantoso"] and record_starts(ends) == [1, 2, 4]


def test_the_stream_resumes_after_the_header(tmp_path):
    path = tmp_path / "besar.csv"
    path.write_text("NIK,Nama\n" + "".join(f"52050101018{i:05d},Orang {i}\n" for i in range(5000)), encoding="utf-8")
    with path.open("rb") as handle:
        head = read_head(handle, sniffed(path), want_lines=10)
        assert not head.eof and head.lines[0] == "NIK,Nama\n"
        rest = stream_after(handle, head, len(head.lines[0]))().read()
    assert rest.count("\n") == 5000 and rest.startswith("5205010101800000,Orang 0\n")
