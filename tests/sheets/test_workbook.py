"""Opening workbooks safely: the same path and limits for xlsx, xlsm and LibreOffice's ODS."""

from __future__ import annotations

import io
import zipfile

import pytest
from satudata.sheets.sniff import sniff
from satudata.sheets.workbook import FileRejected, open_workbook, xlsx_sheet_names

from tests.builders import ods_bytes


def sniffed(data: bytes):
    return sniff(io.BytesIO(data), len(data))


def test_an_ods_is_read_like_an_xlsx():
    data = ods_bytes({"Petunjuk": [["Isi lembar Data"]], "Data": [["NIK", "Nama"], [5205010101800001.0, "Budi"]]})
    assert sniffed(data).format == "ods"
    visible, load, close = open_workbook(io.BytesIO(data), "ods")
    try:
        assert visible == ["Petunjuk", "Data"]
        assert list(load("Data").rows()) == [["NIK", "Nama"], [5205010101800001.0, "Budi"]]
    finally:
        close()


def test_an_ods_bomb_is_refused_before_it_is_opened():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        package.writestr("content.xml", b"<a>" + b" " * 60_000_000 + b"</a>")
    data = buffer.getvalue()
    assert sniffed(data).format == "ods" and len(data) < 200_000
    with pytest.raises(FileRejected) as refused:
        open_workbook(io.BytesIO(data), "ods", max_uncompressed_bytes=10_000_000)
    assert refused.value.code == "too_large_uncompressed"


@pytest.mark.parametrize(("data", "code", "label"), [
    (ods_bytes({"Data": [["NIK"]]}, encrypted=True), "encrypted", "berkata sandi"),
    (ods_bytes({"Data": [["NIK"]]}, mimetype="application/vnd.sun.xml.calc"), "unsupported_format", ".sxc"),
    (ods_bytes({"Data": [["NIK"]]}, mimetype="application/vnd.oasis.opendocument.text"), "not_a_spreadsheet",
     ".odt"),
])
def test_other_zip_documents_are_named(data, code, label):
    verdict = sniffed(data)
    assert verdict.format is None and verdict.code == code and label in verdict.label


_LAUGHS = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%s;" % (str(i - 1).encode() if i > 1 else b"") * 10)
                      for i in range(1, 10)) + b"]>\n")


def _with_laughs(package: bytes, member: str, inside: bytes) -> bytes:
    """The package with an entity-expansion bomb ("billion laughs") in one XML part, expanded inside a text."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == member:
                body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
                data = _LAUGHS + body.replace(inside, inside + b"&lol9;", 1)
            target.writestr(info, data)
    return out.getvalue()


def _xlsx_bytes(tmp_path) -> bytes:
    from tests.builders import write_xlsx

    return write_xlsx(tmp_path / "a.xlsx", {"Data": (["NIK", "Nama"], [["5205010101800001", "Budi"]])}).read_bytes()


@pytest.mark.parametrize(("kind", "member", "inside"), [
    ("xlsx", "xl/sharedStrings.xml", b"<t>"),
    ("xlsx", "xl/workbook.xml", b"<sheets>"),
    ("xlsx", "xl/worksheets/sheet1.xml", b"<v>"),
    ("ods", "content.xml", b"<text:p>"),
])
def test_an_xml_entity_bomb_is_refused_as_such(tmp_path, kind, member, inside):
    package = _xlsx_bytes(tmp_path) if kind == "xlsx" else ods_bytes({"Data": [["NIK", "Nama"], ["1", "Budi"]]})
    data = _with_laughs(package, member, inside)
    assert sniffed(data).format == kind
    with pytest.raises(FileRejected) as refused:
        visible, load, close = open_workbook(io.BytesIO(data), kind)
        try:
            [list(load(name).rows()) for name in visible]
        finally:
            close()
    assert refused.value.code == "xml_bomb", refused.value


def test_an_xml_bomb_gets_its_own_answer():
    from satudata.intake.messages import format_message

    text = format_message("xml_bomb")
    assert "entitas" in text.lower() and "{" not in text


def test_sheet_names_are_read_from_the_workbook_part_alone_hidden_ones_too():
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("Data").write_string(0, 0, "NIK")
    book.add_worksheet("Pemetaan Kolom").hide()
    book.close()
    assert xlsx_sheet_names(buffer) == ["Data", "Pemetaan Kolom"]
    assert xlsx_sheet_names(io.BytesIO(b"NIK,Nama\n1,a\n")) is None, "no zip: the full opening decides"
    damaged = io.BytesIO()
    with zipfile.ZipFile(damaged, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook><sheets><sheet name=")
    assert xlsx_sheet_names(damaged) is None
