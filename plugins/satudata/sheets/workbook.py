"""Opening spreadsheets safely, and their cells as text: the one home of the xlsx/xls/CSV openers.

    visible, load, book = open_xlsx(handle)        # zip-bomb checks first, then python-calamine
    visible, load, book = open_xls(handle)         # xlrd, legacy .xls
    grid = load(visible[0]); rows = grid.rows()    # rows of Python values; grid.errors / grid.blanks
    cell_to_text(value)                            # one cell as the text an operator typed

xlsx: declared and *actual* uncompressed sizes are checked before python-calamine opens the package (zip
bombs), and an XML part declaring entities (an entity-expansion bomb; Office and LibreOffice never write a
DTD) is refused as such; the same streaming pass notes Excel error cells (`t="e"`, which calamine returns as empty) and
formulas saved without a cached value. Everything that makes a file unusable is a `FileRejected` with a
stable code (intake maps the codes to Bahasa Indonesia). Delimited text is `sheets.delimited`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import zipfile
import zlib
from collections.abc import Iterator
from typing import Any, BinaryIO
from xml.etree import ElementTree

MAX_UNCOMPRESSED_BYTES = 1_000_000_000  # default cap on an xlsx's total uncompressed size
MAX_MEMBER_RATIO = 200
MAX_RATIO_MEMBER_BYTES = 50_000_000
# OOXML (OPC forbids DTDs in its parts) and ODF files never declare entities: one that does is an attack
# ("billion laughs"), which calamine reports only as "Cannot detect file format".
_ENTITY = b"<!ENTITY"


class FileRejected(Exception):
    """The file as a whole cannot be used. `code` is a stable machine code, `detail` English for logs;
    the lead maps codes to Bahasa Indonesia messages."""

    def __init__(self, code: str, detail: str = "", missing_columns: list[str] | None = None, label: str = ""):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail
        self.missing_columns: list[str] = list(missing_columns or [])
        self.label = label  # what the file is, in Bahasa Indonesia, when the sniffing knows

class ExcelError(str):
    """An Excel error cell's text (#N/A ...), kept distinguishable from typed text until cleaning."""


# Cell values that a reader returns for numbers and dates: a NIK among them was damaged by Excel.
NUMBER_TYPES = (float, int, dt.date, dt.datetime, dt.time, dt.timedelta)


def cell_to_text(v: Any) -> str:
    """One spreadsheet cell as text: integers without ".0", dates as ISO, booleans TRUE/FALSE."""
    t = type(v)
    if t is str:
        return v
    if t is float:
        if math.isnan(v) or math.isinf(v):
            return ""
        return str(int(v)) if v.is_integer() else repr(v)
    if t is int:
        return str(v)
    if t is bool:
        return "TRUE" if v else "FALSE"
    if t is dt.datetime:
        if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0):
            return v.date().isoformat()
        return v.isoformat(sep=" ")
    if t is dt.date or t is dt.time:
        return v.isoformat()
    if v is None:
        return ""
    return str(v)

class Grid:
    """A worksheet as rows of Python values (row 0 = Excel row 1, column 0 = column A)."""

    name: str

    def rows(self) -> Iterator[list]:
        raise NotImplementedError

    merged: list[tuple[int, int, int, int]]  # (r0, c0, r1, c1) inclusive, 0-based
    errors: dict[int, list[tuple[int, str]]]  # row0 -> [(col0, "#N/A")]
    blanks: dict[int, list[int]]  # row0 -> [col0] formula cells without a cached value


class CalamineGrid(Grid):
    def __init__(self, sheet, name: str, errors=None, blanks=None):
        self.sheet, self.name = sheet, name
        self.merged = [(a[0], a[1], b[0], b[1]) for a, b in (sheet.merged_cell_ranges or [])]
        self.errors, self.blanks = errors or {}, blanks or {}

    def rows(self) -> Iterator[list]:
        start = self.sheet.start
        if start is None:
            return iter(())
        offset = start[1]
        rows = self.sheet.iter_rows()
        if offset:
            pad = [""] * offset
            return (pad + row for row in rows)
        return rows


class XlrdGrid(Grid):
    def __init__(self, book, sheet):
        import xlrd

        self.book, self.sheet, self.name = book, sheet, sheet.name
        self.merged = [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in getattr(sheet, "merged_cells", [])]
        self.errors, self.blanks = {}, {}
        self._xlrd = xlrd

    def rows(self) -> Iterator[list]:
        xlrd = self._xlrd
        datemode = self.book.datemode
        text, number, date, boolean, error = (xlrd.XL_CELL_TEXT, xlrd.XL_CELL_NUMBER, xlrd.XL_CELL_DATE,
                                              xlrd.XL_CELL_BOOLEAN, xlrd.XL_CELL_ERROR)

        def convert(cell):
            t = cell.ctype
            if t == text:
                return cell.value
            if t == number:
                return float(cell.value)
            if t == date:
                try:
                    value = xlrd.xldate.xldate_as_datetime(cell.value, datemode)
                except Exception:  # noqa: BLE001 - out-of-range serials stay numbers
                    return float(cell.value)
                return value.time() if cell.value < 1 else value
            if t == boolean:
                return bool(cell.value)
            if t == error:
                return ExcelError(xlrd.error_text_from_code.get(cell.value, "#N/A"))
            return ""

        width = self.sheet.ncols
        for r in range(self.sheet.nrows):
            row = [convert(c) for c in self.sheet.row(r)]
            if len(row) < width:
                row.extend([""] * (width - len(row)))
            yield row

def xlsx_members(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet name -> member path, from xl/workbook.xml and its relationships."""

    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    names = {n.lower(): n for n in zf.namelist()}
    workbook = ElementTree.fromstring(zf.read(names["xl/workbook.xml"]))
    rels_name = names.get("xl/_rels/workbook.xml.rels")
    targets: dict[str, str] = {}
    if rels_name:
        for rel in ElementTree.fromstring(zf.read(rels_name)):
            target = rel.get("Target") or ""
            target = target.lstrip("/") if target.startswith("/") else "xl/" + target
            parts: list[str] = []
            for part in target.split("/"):
                if part == "..":
                    parts = parts[:-1]
                elif part and part != ".":
                    parts.append(part)
            targets[rel.get("Id") or ""] = "/".join(parts)
    result = {}
    for el in workbook.iter():
        if local(el.tag) == "sheet":
            rid = next((v for k, v in el.attrib.items() if local(k) == "id"), None)
            path = targets.get(rid or "")
            if path and path.lower() in names:
                result[el.get("name") or ""] = names[path.lower()]
    return result


_CELL_REF = re.compile(rb'\sr="([A-Z]{1,3})([0-9]{1,7})"')
_XML_UNESCAPE = {b"&amp;": b"&", b"&lt;": b"<", b"&gt;": b">", b"&quot;": b'"', b"&apos;": b"'"}


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


_VALUE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?v>([^<]*)</")
_CELL_END = re.compile(rb"</(?:[A-Za-z0-9_]+:)?c>")
_CELL_START = re.compile(rb"<(?:[A-Za-z0-9_]+:)?c[\s>]")
_FORMULA_END = re.compile(rb"</[A-Za-z0-9_]+:f>|<[A-Za-z0-9_]+:f\b[^>]*/>")
_NO_VALUE_AFTER = re.compile(rb"\s*(?:<(?:[A-Za-z0-9_]+:)?v\s*/>|<(?:[A-Za-z0-9_]+:)?v>\s*</(?:[A-Za-z0-9_]+:)?v>)?\s*"
                             rb"</(?:[A-Za-z0-9_]+:)?c>")


def _cell_tag(segment: bytes, pos: int) -> tuple[int, int] | None:
    """(start, end) of the `<c ...>` (or `<x:c ...>`) start tag containing byte `pos`, or None."""
    start = segment.rfind(b"<", 0, pos)
    if start == -1 or segment.find(b">", start, pos) != -1:
        return None
    name_end = start + 1
    while name_end < len(segment) and segment[name_end] not in b" \t\r\n/>":
        name_end += 1
    name = segment[start + 1 : name_end]
    if name != b"c" and not name.endswith(b":c"):
        return None
    end = segment.find(b">", pos)
    return (start, end) if end != -1 else None


def _add_ref(target: dict, head: bytes, value=None) -> None:
    ref = _CELL_REF.search(head)
    if ref:
        row0, col0 = int(ref.group(2)) - 1, _col_index(ref.group(1))
        target.setdefault(row0, []).append(col0 if value is None else (col0, value))


def _scan_cells(segment: bytes, errors: dict, blanks: dict) -> None:
    """Error cells (t="e") and formulas without a cached value, in a run of complete rows of sheet XML.

    Plain `<c>` markup takes the fast path (bytes.find); namespace-prefixed markup (`<x:c>`, written by some
    .NET tools) the regex path.
    """
    pos = segment.find(b't="e"')
    while pos != -1:
        tag = _cell_tag(segment, pos)
        if tag is not None:
            end = _CELL_END.search(segment, tag[1])
            value = _VALUE.search(segment, tag[1], end.start() if end else len(segment))
            text = value.group(1) if value else b""
            for k, v in _XML_UNESCAPE.items():
                text = text.replace(k, v)
            _add_ref(errors, segment[tag[0] : tag[1]], text.decode("utf-8", "replace") or "#N/A")
        pos = segment.find(b't="e"', pos + 5)
    if segment.find(b"<f") != -1:
        for needle in (b"</f></c>", b"/></c>", b"</f><v></v></c>", b"</f><v/></c>"):
            pos = segment.find(needle)
            while pos != -1:
                tag_open = segment.rfind(b"<", 0, pos)
                if needle != b"/></c>" or segment[tag_open : tag_open + 3] in (b"<f ", b"<f/", b"<f>"):
                    start = segment.rfind(b"<c ", 0, pos)
                    if start != -1:
                        head = segment[start : segment.find(b">", start)]
                        if not (needle.startswith(b"</f><v") and b't="str"' in head):
                            _add_ref(blanks, head)
                pos = segment.find(needle, pos + 1)
    if segment.find(b":f>") != -1 or segment.find(b":f ") != -1:
        for match in _FORMULA_END.finditer(segment):
            after = _NO_VALUE_AFTER.match(segment, match.end())
            if after is None:
                continue
            starts = list(_CELL_START.finditer(segment, max(0, match.start() - 4096), match.start()))
            if starts:
                start = starts[-1].start()
                head = segment[start : segment.find(b">", start)]
                has_v = b"v>" in segment[match.end() : after.end()] or b"v/>" in segment[match.end() : after.end()]
                if not (has_v and b't="str"' in head):
                    _add_ref(blanks, head)


def check_and_scan_xlsx(handle: BinaryIO, max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES, *,
                        sheets_xml: bool = True) -> dict[str, tuple[dict, dict]]:
    """Zip-bomb checks (declared, then actual sizes of every member while streaming) and, for an xlsx, the
    error-cell scan per worksheet. `sheets_xml=False` (ODS): the size checks only."""
    cap = max_uncompressed_bytes
    try:
        handle.seek(0)
        zf = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRejected("corrupt_xlsx", f"damaged ZIP: {exc}") from exc
    with zf:
        infos = zf.infolist()
        declared = sum(i.file_size for i in infos)
        if declared > cap:
            raise FileRejected("too_large_uncompressed",
                               f"members declare {declared:,} bytes uncompressed (limit {cap:,})")
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > MAX_RATIO_MEMBER_BYTES and ratio > MAX_MEMBER_RATIO:
                raise FileRejected("too_large_uncompressed",
                                   f"{info.filename}: {info.file_size:,} bytes at compression ratio {ratio:.0f}")
        try:
            sheets = xlsx_members(zf) if sheets_xml else {}
        except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            for info in infos:  # expat stops an expanding entity itself: say why the part did not parse
                if info.filename.lower() in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
                    _refuse_entities(zf, info)
            raise FileRejected("corrupt_xlsx", f"unreadable workbook part: {exc}") from exc
        by_member = {m: name for name, m in sheets.items()}
        found: dict[str, tuple[dict, dict]] = {}
        total = 0
        for info in infos:
            name = info.filename
            if info.is_dir():
                continue
            sheet = by_member.get(name)
            errors: dict = {}
            blanks: dict = {}
            carry = b""
            edge = b""  # the end of the previous block: a declaration may straddle two
            actual = 0
            try:
                with zf.open(info) as member:
                    while True:
                        block = member.read(1 << 22)
                        if not block:
                            break
                        if _ENTITY in edge + block[: len(_ENTITY)] or _ENTITY in block:
                            raise _xml_bomb(name)
                        edge = block[-len(_ENTITY):]
                        actual += len(block)
                        total += len(block)
                        if total > cap:
                            raise FileRejected("too_large_uncompressed",
                                               f"more than {cap:,} bytes once decompressed")
                        if actual > MAX_RATIO_MEMBER_BYTES and actual / max(info.compress_size, 1) > MAX_MEMBER_RATIO:
                            raise FileRejected("too_large_uncompressed",
                                               f"{name}: compression ratio above {MAX_MEMBER_RATIO}")
                        if sheet is None:
                            continue
                        data = carry + block
                        cut = data.rfind(b"row>")  # </row> or </x:row>: no cell spans it
                        if cut == -1:
                            carry = data[-(1 << 24) :]
                            continue
                        _scan_cells(data[: cut + 4], errors, blanks)
                        carry = data[cut + 4 :]
                    if carry and sheet is not None:
                        _scan_cells(carry, errors, blanks)
            except FileRejected:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
                raise FileRejected("corrupt_xlsx", f"damaged member {name}: {exc}") from exc
            if sheet is not None:
                found[sheet] = (errors, blanks)
        for name, member in sheets.items():
            found.setdefault(name, ({}, {}))
    return found


def xlsx_sheet_names(handle: BinaryIO) -> list[str] | None:
    """The names of an xlsx's worksheets (hidden ones too) from its workbook part alone, without reading a
    sheet: None when that cannot be told so cheaply (no zip, a declared size out of bounds, a damaged
    part); the full opening then decides and refuses as it should."""
    try:
        handle.seek(0)
        with zipfile.ZipFile(handle) as zf:
            infos = zf.infolist()
            if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED_BYTES or any(
                    i.file_size > MAX_RATIO_MEMBER_BYTES for i in infos if i.filename.lower() == "xl/workbook.xml"):
                return None
            return list(xlsx_members(zf))
    except (KeyError, ElementTree.ParseError, zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        return None


def _xml_bomb(member: str) -> FileRejected:
    return FileRejected("xml_bomb", f"{member} declares XML entities (an entity-expansion bomb)")


def _refuse_entities(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Raise `xml_bomb` when the member declares entities (read in blocks: its size was checked before)."""
    edge = b""
    try:
        with zf.open(info) as member:
            while block := member.read(1 << 20):
                if _ENTITY in edge + block:
                    raise _xml_bomb(info.filename)
                edge = block[-len(_ENTITY):]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError):
        return  # damaged rather than hostile: the caller refuses it as corrupt


def open_xlsx(handle: BinaryIO, max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES, *, fmt: str = "xlsx"):
    """An xlsx (or xlsm: its macros are never run, only cell values read) or ODS workbook, after the zip-bomb
    checks; python-calamine reads both."""
    scans = check_and_scan_xlsx(handle, max_uncompressed_bytes, sheets_xml=fmt == "xlsx")
    import python_calamine as pc

    try:
        handle.seek(0)
        book = pc.CalamineWorkbook.from_filelike(handle)
        metadata = book.sheets_metadata
    except pc.PasswordError as exc:
        raise FileRejected("encrypted", f"password-protected workbook: {exc}") from exc
    except Exception as exc:
        raise FileRejected("corrupt_xlsx", f"calamine cannot open the {fmt} workbook: {exc}") from exc
    visible = [m.name for m in metadata
               if m.typ == pc.SheetTypeEnum.WorkSheet and m.visible == pc.SheetVisibleEnum.Visible]

    def load(name: str) -> Grid:
        try:
            sheet = book.get_sheet_by_name(name)
        except Exception as exc:
            raise FileRejected("corrupt_xlsx", f"sheet {name!r} cannot be read: {exc}") from exc
        errors, blanks = scans.get(name, ({}, {}))
        return CalamineGrid(sheet, name, errors, blanks)

    return visible, load, book


def open_workbook(handle: BinaryIO, fmt: str, max_uncompressed_bytes: int = MAX_UNCOMPRESSED_BYTES):
    """Any workbook format `sheets.sniff` recognises: (visible sheet names, load(name) -> Grid, close())."""
    if fmt in ("xlsx", "ods"):
        visible, load, book = open_xlsx(handle, max_uncompressed_bytes, fmt=fmt)
        return visible, load, book.close
    if fmt == "xls":
        visible, load, book = open_xls(handle)
        return visible, load, book.release_resources
    raise ValueError(f"not a workbook format: {fmt!r}")


WORKBOOK_FORMATS = ("xlsx", "xls", "ods")


def open_xls(handle: BinaryIO):
    import xlrd

    handle.seek(0)
    content = handle.read()
    try:
        try:
            book = xlrd.open_workbook(file_contents=content, formatting_info=True, on_demand=True)
        except NotImplementedError:
            book = xlrd.open_workbook(file_contents=content, on_demand=True)
    except xlrd.biffh.XLRDError as exc:
        if "encrypt" in str(exc).lower():
            raise FileRejected("encrypted", f"password-protected .xls: {exc}") from exc
        raise FileRejected("unreadable", f"damaged .xls: {exc}") from exc
    except Exception as exc:
        raise FileRejected("unreadable", f"damaged .xls: {exc}") from exc
    visible = []
    for i, name in enumerate(book.sheet_names()):
        if book._sheet_visibility[i] == 0:
            visible.append(name)

    def load(name: str) -> Grid:
        try:
            return XlrdGrid(book, book.sheet_by_name(name))
        except Exception as exc:
            raise FileRejected("unreadable", f"sheet {name!r} of the .xls cannot be read: {exc}") from exc

    return visible, load, book

__all__ = [
    "MAX_MEMBER_RATIO",
    "MAX_RATIO_MEMBER_BYTES",
    "MAX_UNCOMPRESSED_BYTES",
    "NUMBER_TYPES",
    "WORKBOOK_FORMATS",
    "CalamineGrid",
    "ExcelError",
    "FileRejected",
    "Grid",
    "XlrdGrid",
    "cell_to_text",
    "check_and_scan_xlsx",
    "open_workbook",
    "open_xls",
    "open_xlsx",
    "xlsx_members",
]
