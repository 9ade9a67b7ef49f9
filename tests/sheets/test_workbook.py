"""Opening workbooks safely: the same path and limits for xlsx, xlsm and LibreOffice's ODS."""

from __future__ import annotations

import io
import zipfile

import pytest
from satudata.sheets.sniff import sniff
from satudata.sheets.workbook import FileRejected, open_workbook

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
