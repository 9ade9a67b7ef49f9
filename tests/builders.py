"""Small, hand-made regency files for intake tests (real xlsx/csv bytes, no mocks)."""

from __future__ import annotations

import csv
import os
import time
from pathlib import Path

import xlsxwriter

KAB = "5205"  # Kabupaten Dompu
DESA = ["5205011001", "5205011002", "5205011003", "5205022001"]
OTHER_KAB_DESA = "5201011001"  # Lombok Barat
DTKS_HEADER = ["IDDTKS", "KODE DESA", "ALAMAT", "NO KK", "NIK", "NAMA", "JNS_KEL", "TGL_LHR", "HUB_KEL"]


def nik(day: int, month: int, year: int, serial: int, female: bool, kec: str = "520501") -> str:
    return f"{kec}{day + (40 if female else 0):02d}{month:02d}{year % 100:02d}{serial:04d}"


def dtks_rows(n: int, *, start: int = 1, desa: list[str] | None = None) -> list[list[str]]:
    """n valid DTKS person rows in Dompu (in `desa`, family by family): families of up to four, unique NIKs."""
    desa = desa or DESA
    rows = []
    for i in range(start, start + n):
        female = i % 2 == 0
        day, month, year = (i % 28) + 1, (i % 12) + 1, 1950 + (i % 60)
        family = (i - 1) // 4
        rows.append([
            f"DTKS{i:07d}",
            desa[family % len(desa)],
            f"Dusun {family % 7} RT {family % 5:03d}",
            f"520501010120{family % 9999 + 1:04d}",
            nik(day, month, year, i % 9999 + 1, female),
            ("Baiq Nurul " if female else "Lalu Ahmad ") + f"{i}",
            "P" if female else "L",
            f"{day:02d}-{month:02d}-{year}",
            "Kepala Keluarga" if (i - 1) % 4 == 0 else "Anak",
        ])
    return rows


def write_csv(path: Path, header: list[str], rows: list[list], *, delimiter: str = ",", encoding: str = "utf-8",
              title: list[str] | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=encoding, newline="") as handle:
        for line in title or []:
            handle.write(line + "\r\n")
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return aged(path)


def write_xlsx(path: Path, sheets: dict[str, tuple[list[str], list[list]]], *, title: list[str] | None = None,
               numeric_nik_rows: set[int] | None = None) -> Path:
    """Sheets of text cells (NIK/KK as text, as the template asks); `numeric_nik_rows` (0-based data rows)
    get the NIK as an Excel number instead, as careless files have it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    for name, (header, rows) in sheets.items():
        sheet = book.add_worksheet(name)
        r = 0
        for line in title or []:
            sheet.write_string(r, 0, line)
            r += 1
        for c, value in enumerate(header):
            sheet.write_string(r, c, value)
        r += 1
        nik_col = next((i for i, h in enumerate(header) if h.upper() in ("NIK", "NO. NIK", "NOMOR NIK")), None)
        for i, row in enumerate(rows):
            for c, value in enumerate(row):
                if c == nik_col and numeric_nik_rows and i in numeric_nik_rows:
                    sheet.write_number(r, c, float(value))
                elif value is None:
                    continue
                else:
                    sheet.write_string(r, c, str(value))
            r += 1
    book.close()
    return aged(path)


def ods_bytes(sheets: dict[str, list[list]], *, encrypted: bool = False, mimetype: str | None = None) -> bytes:
    """A LibreOffice Calc (.ods) workbook made by hand (the OpenDocument zip: mimetype first and stored, a
    manifest, content.xml): text cells as strings, numbers as floats (a NIK typed as a number)."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(zipfile.ZipInfo("mimetype"), mimetype or "application/vnd.oasis.opendocument.spreadsheet",
                         compress_type=zipfile.ZIP_STORED)
        encryption = '<manifest:encryption-data manifest:checksum="x"/>' if encrypted else ""
        package.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
            'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            f'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">{encryption}'
            "</manifest:file-entry></manifest:manifest>"))
        tables = []
        for name, rows in sheets.items():
            cells_xml = []
            for row in rows:
                cells = []
                for value in row:
                    if value is None or value == "":
                        cells.append("<table:table-cell/>")
                    elif isinstance(value, int | float):
                        cells.append(f'<table:table-cell office:value-type="float" office:value="{value}">'
                                     f"<text:p>{value}</text:p></table:table-cell>")
                    else:
                        cells.append('<table:table-cell office:value-type="string">'
                                     f"<text:p>{escape(str(value))}</text:p></table:table-cell>")
                cells_xml.append("<table:table-row>" + "".join(cells) + "</table:table-row>")
            tables.append(f'<table:table table:name="{escape(name)}">' + "".join(cells_xml) + "</table:table>")
        package.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            "<office:body><office:spreadsheet>" + "".join(tables)
            + "</office:spreadsheet></office:body></office:document-content>"))
    return buffer.getvalue()


def write_ods(path: Path, sheets: dict[str, tuple[list[str], list[list]]], *,
              numeric_nik_rows: set[int] | None = None) -> Path:
    """Like `write_xlsx`, as a LibreOffice .ods."""
    grids = {}
    for name, (header, rows) in sheets.items():
        nik_col = next((i for i, h in enumerate(header) if h.upper() in ("NIK", "NO. NIK", "NOMOR NIK")), None)
        grids[name] = [header] + [[float(v) if c == nik_col and numeric_nik_rows and i in numeric_nik_rows else v
                                   for c, v in enumerate(row)] for i, row in enumerate(rows)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(ods_bytes(grids))
    return aged(path)


def aged(path: Path, seconds: float = 3600) -> Path:
    """Make a file look settled (not still being written)."""
    stamp = time.time() - seconds
    os.utime(path, (stamp, stamp))
    return path


def query_rows(url: str, sql: str, **params) -> list[tuple]:
    """Rows of a query on a warehouse URL, as tuples (same code on both engines)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(sa.text(sql), params).all()]
    finally:
        engine.dispose()
