"""Large sheets written fast: rows generated as worksheet XML, spliced into the package XlsxWriter wrote.

Up to `FAST_ROWS_FROM` rows go through XlsxWriter's own API (`Splicer.write_rows` decides). Larger bodies keep
100,000 rows at about a second instead of the ~5 s XlsxWriter spends on per-cell calls. The intake's answers
(`intake.report`) and every large table of `sheets.writer.StyledWorkbook.write_table` (action lists, DTSEN
lists, the forum's exports) are written through it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

FAST_ROWS = True  # splice large sheets as XML (see Splicer); False = XlsxWriter API only
FAST_ROWS_FROM = 2_000
_BLOCK = 50_000
ZIP_LEVEL = 1  # deflate level of spliced sheets: ~4x faster than the default 6, ~25% larger


@dataclass
class Column:
    """One column of a sheet's data rows: a value per row (None = empty cell)."""

    values: list
    number: bool = False  # numbers (else text)
    shared: bool = False  # few distinct texts repeated on many rows: kept once in the shared-string table
    fmt: object = None  # an XlsxWriter Format, or a list of them (one per row)


_XML_SPECIAL = re.compile(r"[&<>]|[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|_x[0-9A-Fa-f]{4}_")
_XML_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def _xml_fix(match: re.Match) -> str:
    text = match.group(0)
    if text in _XML_ESCAPES:
        return _XML_ESCAPES[text]
    if text.startswith("_x"):  # would be read back as an escaped character: escape its underscore
        return "_x005F" + text
    if "\ud800" <= text <= "\udfff":
        return "\ufffd"
    return f"_x{ord(text):04X}_"  # control character, as Excel itself writes them


def _xml_texts(values: list) -> list:
    """_xml_text over a column; one regex pass over the joined column when nothing needs escaping."""
    present = [v for v in values if v is not None]
    if not _XML_SPECIAL.search("\n".join(present)) and not any(len(v) > 32_767 for v in present):
        return values
    return [None if v is None else _xml_text(v) for v in values]


def _xml_text(text: str) -> str:
    if len(text) > 32_767:  # Excel's limit per cell
        text = text[:32_767]
    return _XML_SPECIAL.sub(_xml_fix, text) if _XML_SPECIAL.search(text) else text


class Splicer:
    """Writes the data rows of a sheet.

    Up to `FAST_ROWS_FROM` rows go through XlsxWriter's own API. Larger bodies are generated as worksheet
    XML column by column (a comprehension per column, strings repeated on many rows kept once in the
    workbook's shared-string table) and spliced into the sheet XlsxWriter wrote (header, widths, panes,
    filter), when the package is assembled. That keeps 100,000 issues at about a second instead of the
    ~5 s XlsxWriter spends on per-cell calls. The splice relies on two XlsxWriter internals (the
    shared-string table and a format's xf index); if they are missing the API path is used for every size.
    """

    def __init__(self, book):
        self.book = book
        self.bodies: dict[str, tuple[int, int, Callable[[], Iterator[str]]]] = {}
        table = getattr(book, "str_table", None)
        self.enabled = FAST_ROWS and hasattr(table, "_get_shared_string_index") and all(
            hasattr(fmt, "_get_xf_index") for fmt in book.formats
        )

    # -- writing ----------------------------------------------------------------------------------

    def write_rows(self, sheet, first_row: int, columns: list[Column], trailer: tuple[str, object] | None) -> None:
        n = len(columns[0].values) if columns else 0
        if self.enabled and n >= FAST_ROWS_FROM:
            self._splice(sheet, first_row, columns, trailer)
            return
        calls = []
        for col, column in enumerate(columns):
            write = sheet.write_number if column.number else sheet.write_string
            formats = column.fmt if isinstance(column.fmt, list) else None
            calls.append((col, write, column.values, formats, None if formats is not None else column.fmt))
        for i in range(n):
            r = first_row + i
            for col, write, values, formats, fmt in calls:
                value = values[i]
                if value is None:
                    continue
                write(r, col, value, formats[i] if formats is not None else fmt)
        if trailer is not None:
            sheet.write_string(first_row + n, 0, trailer[0], trailer[1])

    def _xf(self, fmt) -> str:
        if fmt is None:
            return ""
        index = fmt._get_xf_index()
        return f' s="{index}"' if index else ""

    def _shared(self, values: list) -> dict[str, int]:
        table = self.book.str_table
        index = {}
        for text, uses in Counter(v for v in values if v is not None).items():
            index[text] = table._get_shared_string_index(text)
            table.count += uses - 1  # references, as XlsxWriter counts them
        return index

    def _cells(self, letter: str, rows: range, column: Column) -> list[str]:
        values = column.values
        if isinstance(column.fmt, list):
            styles = {id(fmt): self._xf(fmt) for fmt in column.fmt}
            style_of = [styles[id(fmt)] for fmt in column.fmt]
        else:
            style = self._xf(column.fmt)
            style_of = None
        if column.number:
            return ["" if v is None else f'<c r="{letter}{r}"{style_of[i] if style_of else style}><v>{v}</v></c>'
                    for i, (r, v) in enumerate(zip(rows, values, strict=True))]
        if column.shared:
            index = self._shared(values)
            if style_of is None:
                return ["" if v is None else f'<c r="{letter}{r}"{style} t="s"><v>{index[v]}</v></c>'
                        for r, v in zip(rows, values, strict=True)]
            return ["" if v is None else f'<c r="{letter}{r}"{s} t="s"><v>{index[v]}</v></c>'
                    for r, v, s in zip(rows, values, style_of, strict=True)]
        values = _xml_texts(values)
        if style_of is None:
            return ["" if v is None else
                    f'<c r="{letter}{r}"{style} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
                    for r, v in zip(rows, values, strict=True)]
        return ["" if v is None else
                f'<c r="{letter}{r}"{s} t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
                for r, v, s in zip(rows, values, style_of, strict=True)]

    def _splice(self, sheet, first_row: int, columns: list[Column], trailer) -> None:
        from xlsxwriter.utility import xl_col_to_name

        n = len(columns[0].values)
        last_row = first_row + n - 1 + (1 if trailer is not None else 0)
        # Shared strings and formats are registered now, before XlsxWriter writes its tables on close.
        prepared = []
        for start in range(0, n, _BLOCK):
            stop = min(n, start + _BLOCK)
            rows = range(first_row + 1 + start, first_row + 1 + stop)  # 1-based row numbers
            block = [Column(c.values[start:stop], c.number, c.shared,
                             c.fmt[start:stop] if isinstance(c.fmt, list) else c.fmt) for c in columns]
            prepared.append((rows, block))
        trailer_xml = ""
        if trailer is not None:
            r = first_row + n + 1
            trailer_xml = (f'<row r="{r}"><c r="A{r}"{self._xf(trailer[1])} t="inlineStr"><is><t xml:space='
                           f'"preserve">{_xml_text(trailer[0])}</t></is></c></row>')
        letters = [xl_col_to_name(c) for c in range(len(columns))]
        # Cells of each block are made now (registering strings/formats); rows are joined when written.
        blocks = [(rows, [self._cells(letters[c], rows, col) for c, col in enumerate(block)])
                  for rows, block in prepared]

        def chunks() -> Iterator[str]:
            for rows, cells in blocks:
                yield "".join(f'<row r="{r}">{"".join(parts)}</row>' for r, *parts in zip(rows, *cells,
                                                                                           strict=True))
            if trailer_xml:
                yield trailer_xml

        self.bodies[f"xl/worksheets/sheet{sheet.index + 1}.xml"] = (last_row, len(columns) - 1, chunks)

    # -- assembling -------------------------------------------------------------------------------

    def assemble(self, package: bytes, target: Path | BinaryIO) -> None:
        """Copy XlsxWriter's package to `target` (a path or a binary file), with the spliced rows inside their
        sheets."""
        from xlsxwriter.utility import xl_rowcol_to_cell

        with zipfile.ZipFile(io.BytesIO(package)) as source, \
                zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as out:
            for info in source.infolist():
                data = source.read(info.filename)
                body = self.bodies.get(info.filename)
                if body is None:
                    out.writestr(info, data)
                    continue
                last_row, last_col, chunks = body
                text = data.decode("utf-8").replace("<sheetData/>", "<sheetData></sheetData>")
                head, tail = text.rsplit("</sheetData>", 1)
                head = re.sub(r'<dimension ref="[^"]*"/>',
                              f'<dimension ref="A1:{xl_rowcol_to_cell(last_row, max(last_col, 0))}"/>', head,
                              count=1)
                member = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                member.compress_type = zipfile.ZIP_DEFLATED
                member._compresslevel = ZIP_LEVEL  # ZipFile.open(ZipInfo) ignores the archive's level
                with out.open(member, "w", force_zip64=True) as handle:
                    handle.write(head.encode("utf-8"))
                    for chunk in chunks():
                        handle.write(chunk.encode("utf-8"))
                    handle.write(("</sheetData>" + tail).encode("utf-8"))


__all__ = ["FAST_ROWS", "FAST_ROWS_FROM", "ZIP_LEVEL", "Column", "Splicer"]
