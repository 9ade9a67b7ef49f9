"""Builders for hostile and ordinary regency files, all made on the fly in tmp_path.

No binary fixtures are committed: xlsx files are written with XlsxWriter, and the two OLE2 formats
(a password-protected xlsx = an `EncryptedPackage` stream, a real BIFF8 .xls) are assembled here with a
tiny compound-file writer (`cfb_bytes`) and a minimal BIFF8 record writer (`xls_bytes`).
"""

from __future__ import annotations

import math
import struct
import zipfile
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter

ENDOFCHAIN, FREESECT, FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD


def write_xlsx(path: Path, sheets: dict[str, list[list]], *, hidden: Sequence[str] = (),
               merges: dict[str, list[tuple]] | None = None, formulas: dict[str, list[tuple]] | None = None,
               chart_sheet: bool = False, numbers_as_text: bool = False) -> Path:
    """Write rows of Python values; None leaves a cell empty. Strings are written as text.

    formulas: sheet -> [(row0, col0, formula, cached_value)]; merges: sheet -> [(r0, c0, r1, c1, value)].
    """
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": numbers_as_text})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(r, c, value)
                elif hasattr(value, "year"):
                    ws.write_datetime(r, c, value, date_fmt)
                else:
                    ws.write(r, c, value)
        for r0, c0, r1, c1, value in (merges or {}).get(name, []):
            ws.merge_range(r0, c0, r1, c1, value)
        for r, c, formula, cached in (formulas or {}).get(name, []):
            ws.write_formula(r, c, formula, None, cached)
        if name in hidden:
            ws.hide()
        elif not any(w.name not in hidden for w in wb.worksheets()[:-1]):
            ws.activate()  # the active sheet cannot be hidden: make the first visible one active
    if chart_sheet:
        first = next(iter(sheets))
        chart = wb.add_chart({"type": "column"})
        chart.add_series({"values": f"='{first}'!$A$1:$A$3"})
        cs = wb.add_chartsheet("Grafik")
        cs.set_chart(chart)
    wb.close()
    return path


def prefix_sheet_xml(path: Path) -> Path:
    """Rewrite every worksheet with namespace-prefixed elements (`<x:c>`), as .NET OpenXML tools write."""
    import re

    source = path.read_bytes()
    tmp = Path(str(path) + ".src")
    tmp.write_bytes(source)
    with zipfile.ZipFile(tmp) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                text = data.decode().replace("<worksheet xmlns=", "<x:worksheet xmlns:x=")
                text = re.sub(r"<(/?)(?!x:|\?)([A-Za-z]+)", r"<\1x:\2", text)
                data = text.encode()
            dst.writestr(info, data)
    tmp.unlink()
    return path


# --------------------------------------------------------------------------------------------- OLE2


def cfb_bytes(streams: dict[str, bytes]) -> bytes:
    """A minimal version-3 compound file holding `streams` at the root (each padded to >= 4096 bytes
    so that everything lives in regular sectors and no mini stream is needed)."""
    ssz = 512
    items = []
    for name, data in streams.items():
        data = data + b"\0" * max(0, 4096 - len(data))
        items.append((name, data))
    n_entries = 1 + len(items)
    dir_sectors = math.ceil(n_entries * 128 / ssz)
    data_sectors = [math.ceil(len(d) / ssz) for _, d in items]
    total = dir_sectors + sum(data_sectors)
    fat_sectors = 1
    while fat_sectors * (ssz // 4) < total + fat_sectors:
        fat_sectors += 1
    fat = [FATSECT] * fat_sectors
    first_dir = len(fat)
    fat += [first_dir + i + 1 for i in range(dir_sectors - 1)] + [ENDOFCHAIN]
    starts = []
    for count in data_sectors:
        start = len(fat)
        starts.append(start)
        fat += [start + i + 1 for i in range(count - 1)] + [ENDOFCHAIN]
    fat += [FREESECT] * (fat_sectors * (ssz // 4) - len(fat))

    def entry(name: str, kind: int, start: int, size: int, child: int = FREESECT, right: int = FREESECT) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        out = raw.ljust(64, b"\0")
        out += struct.pack("<HBB", len(raw), kind, 1)  # name length, type, colour (black)
        out += struct.pack("<III", FREESECT, right, child)  # left sibling, right sibling, child
        out += b"\0" * 16 + b"\0" * 4 + b"\0" * 16  # clsid, state bits, times
        out += struct.pack("<IQ", start, size)
        return out

    directory = entry("Root Entry", 5, ENDOFCHAIN, 0, child=1 if items else FREESECT)
    for i, ((name, data), start) in enumerate(zip(items, starts)):
        right = i + 2 if i + 1 < len(items) else FREESECT
        directory += entry(name, 2, start, len(data), right=right)
    directory = directory.ljust(dir_sectors * ssz, b"\0")

    header = bytearray(512)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, fat_sectors, first_dir, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
    difat = list(range(fat_sectors)) + [FREESECT] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)
    body = struct.pack(f"<{len(fat)}I", *fat) + directory
    for (_, data), count in zip(items, data_sectors):
        body += data.ljust(count * ssz, b"\0")
    return bytes(header) + body


def encrypted_xlsx_bytes() -> bytes:
    """What Excel writes for a password-protected workbook: OLE2 with EncryptionInfo + EncryptedPackage."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<?xml version='1.0'?><encryption/>"
    return cfb_bytes({"EncryptionInfo": info, "EncryptedPackage": struct.pack("<Q", 1234) + b"\x8f" * 2000})


# --------------------------------------------------------------------------------------------- BIFF8 .xls


def _rec(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _unicode16(text: str) -> bytes:
    return struct.pack("<HB", len(text), 1) + text.encode("utf-16-le")


def _unicode8(text: str) -> bytes:
    return struct.pack("<BB", len(text), 1) + text.encode("utf-16-le")


XLS_ERRORS = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17, "#NAME?": 0x1D, "#NUM!": 0x24,
              "#N/A": 0x2A}


class XlsError(str):
    """Marks a cell to be written as an Excel error (BOOLERR record)."""


def xls_bytes(sheets: dict[str, list[list]], *, hidden: Sequence[str] = (),
              merges: dict[str, list[tuple[int, int, int, int]]] | None = None) -> bytes:
    """A real BIFF8 workbook (readable by xlrd and Excel): text, numbers, booleans, errors, merged ranges."""
    font = _rec(0x0031, struct.pack("<HHHHHBBBB", 200, 0, 0x7FFF, 400, 0, 0, 0, 0, 0) + _unicode8("Arial"))
    xf_style = _rec(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0xFFF5, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    xf_cell = _rec(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0x0001, 0x20, 0, 0, 0, 0, 0, 0x20C0))
    globals_head = (
        _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 6))
        + _rec(0x0042, struct.pack("<H", 1200))
        + font * 5
        + xf_style * 16
        + xf_cell
    )
    sheet_streams = []
    for name, rows in sheets.items():
        body = _rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 6))
        ncols = max((len(r) for r in rows), default=0)
        body += _rec(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, ncols, 0))
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, XlsError):
                    body += _rec(0x0205, struct.pack("<HHHBB", r, c, 16, XLS_ERRORS[value], 1))
                elif isinstance(value, bool):
                    body += _rec(0x0205, struct.pack("<HHHBB", r, c, 16, int(value), 0))
                elif isinstance(value, (int, float)):
                    body += _rec(0x0203, struct.pack("<HHHd", r, c, 16, float(value)))
                else:
                    body += _rec(0x0204, struct.pack("<HHH", r, c, 16) + _unicode16(str(value)))
        ranges = (merges or {}).get(name, [])
        if ranges:
            data = struct.pack("<H", len(ranges))
            for r0, c0, r1, c1 in ranges:
                data += struct.pack("<HHHH", r0, r1, c0, c1)
            body += _rec(0x00E5, data)
        body += _rec(0x000A)
        sheet_streams.append((name, body))
    boundsheet_len = sum(len(_rec(0x0085, struct.pack("<IBB", 0, 0, 0) + _unicode8(n))) for n, _ in sheet_streams)
    offset = len(globals_head) + boundsheet_len + len(_rec(0x000A))
    boundsheets = b""
    for name, body in sheet_streams:
        state = 1 if name in hidden else 0
        boundsheets += _rec(0x0085, struct.pack("<IBB", offset, state, 0) + _unicode8(name))
        offset += len(body)
    stream = globals_head + boundsheets + _rec(0x000A) + b"".join(body for _, body in sheet_streams)
    return cfb_bytes({"Workbook": stream})


# --------------------------------------------------------------------------------------------- zip bombs


def zip_bomb_xlsx(path: Path, sheet_megabytes: int) -> Path:
    """An xlsx-shaped zip whose sheet XML is `sheet_megabytes` MB of repeated bytes (deflated to ~1/1000)."""
    valid = Path(str(path) + ".base.xlsx")
    write_xlsx(valid, {"Data": [["NIK", "Nama", "Kode Desa", "No KK"]]})
    block = b"<row>" + b"A" * (1 << 20) + b"</row>"
    with zipfile.ZipFile(valid) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename == "xl/worksheets/sheet1.xml":
                member = zipfile.ZipInfo(info.filename)
                member.compress_type = zipfile.ZIP_DEFLATED
                with dst.open(member, "w", force_zip64=True) as out:
                    out.write(b'<?xml version="1.0"?><worksheet><sheetData>')
                    for _ in range(sheet_megabytes):
                        out.write(block)
                    out.write(b"</sheetData></worksheet>")
            else:
                dst.writestr(info, src.read(info))
    valid.unlink()
    return path


def big_csv(path: Path, rows: int, *, delimiter: str = ",") -> Path:
    """A `rows`-row DTKS-like CSV written block-wise (fast, no per-row Python work beyond one block)."""
    block_rows = 10_000
    lines = []
    for i in range(block_rows):
        nik = f"52050145078{i % 100000:05d}"
        lines.append(delimiter.join([nik, f"Warga {i}", "5205012001", f"52050101010{i % 100000:05d}", "L"]))
    block = ("\n".join(lines) + "\n").encode()
    with path.open("wb") as handle:
        handle.write(delimiter.join(["NIK", "Nama", "Kode Desa", "No KK", "Jenis Kelamin"]).encode() + b"\n")
        full, rest = divmod(rows, block_rows)
        for _ in range(full):
            handle.write(block)
        if rest:
            handle.write(("\n".join(lines[:rest]) + "\n").encode())
    return path
