"""Delimited text (CSV) as offices save it: decoding, the delimiter, records, and streaming frames.

    text = decode_text(raw, sniffed)                      # a whole small file, BOM and NULs dropped
    choice = choose_delimiter(lines, find)                # , ; tab | (or Excel's "sep=;" line) by the header
    head = read_head(handle, sniffed, want_lines)         # the first lines of a large file, and where to go on
    for frame in csv_frames(make_stream, delimiter, width, chunk_rows): ...   # columns c0, c1 ... as text

A line ends only at \\r, \\n or \\r\\n (`LINE`), never at the other Unicode breaks. Bytes that are not UTF-8 are
read as Windows-1252 (`sniff.FALLBACK_ERRORS`). Intake, review answers and `satudata link` read CSV through
this module and choose the delimiter by the header their own vocabulary finds.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

import pandas as pd

from satudata.sheets import sniff as _sniff
from satudata.sheets.workbook import FileRejected

LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
DELIMITERS = (",", ";", "\t", "|")
SPARE_COLUMNS = 8  # fields a row may have beyond the header before the slow parser must cut it
_SEP_LINE = re.compile(r"(?i)\s*sep=(.)\s*")


def codec_of(sniffed: _sniff.Sniffed) -> tuple[str, str]:
    """(codec, error handler) to decode a sniffed text file with."""
    codec = sniffed.codec or "utf-8"
    return codec, _sniff.FALLBACK_ERRORS if codec == "utf-8" else "replace"


def decode_text(raw: bytes, sniffed: _sniff.Sniffed) -> str:
    """A whole (small) text file as text: NUL bytes and the byte order mark dropped."""
    codec, errors = codec_of(sniffed)
    if not codec.startswith("utf-16"):
        raw = raw.replace(b"\0", b"")
    return codecs.decode(raw, codec, errors).replace("\0", "").removeprefix("\ufeff")


def declared_delimiter(line: str) -> str | None:
    """The delimiter of Excel's "sep=;" first line, or None."""
    match = _SEP_LINE.fullmatch(line.rstrip("\r\n"))
    return match.group(1) if match else None


class RecordError(ValueError):
    """A record that cannot be parsed (an unclosed quote ...); `line` is where it starts (1-based)."""

    def __init__(self, line: int, message: str):
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


def parse_records(lines: Sequence[str], delimiter: str, limit: int | None = None, *,
                  strict: bool = False) -> tuple[list[list[str]], list[int]]:
    """Records of `lines` and the line number each ends on. A quoting error ends the parse (the records
    before it are kept) unless `strict`, where it raises `RecordError` naming the line the record starts on."""
    reader = csv.reader(iter(lines), delimiter=delimiter, quotechar='"', doublequote=True, strict=False)
    records: list[list[str]] = []
    ends: list[int] = []
    try:
        for record in reader:
            records.append(record)
            ends.append(reader.line_num)
            if limit is not None and len(records) >= limit:
                break
    except csv.Error as exc:
        if strict:
            raise RecordError((ends[-1] if ends else 0) + 1, str(exc)) from exc
    return records, ends


def record_starts(ends: Sequence[int]) -> list[int]:
    """The line each record starts on (1-based), from the lines they end on."""
    return [1, *(end + 1 for end in ends[:-1])] if ends else []


class _Header(Protocol):
    row: int

    @property
    def score(self) -> int: ...


@dataclass
class DelimiterChoice:
    delimiter: str
    records: list[list[str]]  # the parsed head; a "sep=" line is kept as an empty record (row numbers hold)
    ends: list[int]
    header: _Header | None  # what `find` found with this delimiter
    declared: bool  # the file named its delimiter on a "sep=" first line


def choose_delimiter(lines: Sequence[str], find: Callable[[list[list[str]]], _Header | None],
                     limit: int | None = None) -> DelimiterChoice:
    """The delimiter (Excel's "sep=" line, else the best of , ; tab |) under which `find` sees the best
    header: most columns named, then most records as wide as the header."""
    forced = declared_delimiter(lines[0]) if lines else None
    best: tuple[tuple[int, int], DelimiterChoice] | None = None
    for delimiter in (forced,) if forced else DELIMITERS:
        records, ends = parse_records(lines, delimiter, limit)
        cells = [[c.strip() for c in rec] for rec in records]
        if forced and cells:
            cells[0] = []
        header = find(cells)
        if header is None:
            score = (0, 0)
        else:
            width = len(records[header.row])
            score = (header.score, sum(1 for rec in records[header.row + 1 :] if len(rec) == width))
        if best is None or score > best[0]:
            best = (score, DelimiterChoice(delimiter, cells, ends, header, forced is not None))
    assert best is not None
    return best[1]


@dataclass
class Head:
    """The first lines of a text file, decoded, and where the bytes after them resume."""

    text: str
    lines: list[str]  # complete lines only, unless the file ended
    resume: tuple[int, object]  # (byte offset, decoder state) after the bytes decoded into `text`
    codec: str
    errors: str
    eof: bool


def read_head(handle: BinaryIO, sniffed: _sniff.Sniffed, want_lines: int, max_chars: int = 4 << 20) -> Head:
    """Decode about `want_lines` lines from the start of the file (never more than `max_chars`)."""
    codec, errors = codec_of(sniffed)
    strip_bytes = not codec.startswith("utf-16")
    decoder = codecs.getincrementaldecoder(codec)(errors)
    handle.seek(0)
    text, eof = "", False
    while True:
        raw = handle.read(1 << 18)
        if not raw:
            text += decoder.decode(b"", final=True)
            eof = True
            break
        text += decoder.decode(raw.replace(b"\0", b"") if strip_bytes else raw)
        if text.count("\n") + text.count("\r") > 2 * want_lines or len(text) > max_chars:
            break
    text = text.replace("\0", "").removeprefix("\ufeff")
    lines = LINE.findall(text)
    if not eof and lines and not lines[-1].endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line may continue in the next block
    return Head(text, lines, (handle.tell(), decoder.getstate()), codec, errors, eof)


def stream_after(handle: BinaryIO, head: Head, offset_chars: int) -> Callable[[], DecodedStream]:
    """A factory of fresh text streams of everything after the first `offset_chars` characters of `head`."""
    prefix = head.text[offset_chars:]
    strip_bytes = not head.codec.startswith("utf-16")

    def make() -> DecodedStream:
        decoder = codecs.getincrementaldecoder(head.codec)(head.errors)
        decoder.setstate(head.resume[1])
        return DecodedStream(handle, head.resume[0], decoder, prefix, strip_bytes)

    return make


class DecodedStream:
    """File-like text stream for the CSV parsers: decodes the remaining bytes, strips NULs.

    Reads with os.pread at an offset of its own, so a parser tier that is abandoned (pyarrow may still be
    reading ahead in a thread) cannot move the file position under the next tier.
    """

    _LINE_END = re.compile(r"\r\n|\n|\r(?!$)")

    def __init__(self, handle: BinaryIO, offset: int, decoder, prefix: str, strip_nul_bytes: bool,
                 block: int = 1 << 20):
        self._fd, self._offset = handle.fileno(), offset
        self._decoder, self._buf, self._pos = decoder, prefix, 0
        self._strip_bytes = strip_nul_bytes
        self._block, self._eof = block, False

    def _more(self) -> None:
        raw = os.pread(self._fd, self._block, self._offset)
        self._offset += len(raw)
        if raw:
            if self._strip_bytes:
                raw = raw.replace(b"\0", b"")
            text = self._decoder.decode(raw)
        else:
            text = self._decoder.decode(b"", final=True)
            self._eof = True
        if "\0" in text:
            text = text.replace("\0", "")
        self._buf = self._buf[self._pos :] + text
        self._pos = 0

    def read(self, n: int = -1) -> str:
        if n is None or n < 0:
            while not self._eof:
                self._more()
            n = len(self._buf) - self._pos
        while len(self._buf) - self._pos < n and not self._eof:
            self._more()
        out = self._buf[self._pos : self._pos + n]
        self._pos += len(out)
        return out

    def readline(self, size: int = -1) -> str:  # pandas' python engine reads lines
        while True:
            match = self._LINE_END.search(self._buf, self._pos)
            if match or self._eof:
                break
            self._more()
        end = match.end() if match else len(self._buf)
        if size is not None and size >= 0:
            end = min(end, self._pos + size)
        out = self._buf[self._pos : end]
        self._pos = end
        return out

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = self.readline()
        if not line:
            raise StopIteration
        return line



class _Utf8Stream(io.RawIOBase):
    """Binary view of a `DecodedStream` as UTF-8 bytes (what pyarrow's CSV reader wants)."""

    def __init__(self, text: DecodedStream):
        super().__init__()
        self._text, self._pending = text, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = len(buffer)
        while len(self._pending) < size:
            more = self._text.read(1 << 20)
            if not more:
                break
            self._pending += more.encode("utf-8", "surrogatepass")
        out, self._pending = self._pending[:size], self._pending[size:]
        buffer[: len(out)] = out
        return len(out)


def _arrow_frames(stream: DecodedStream, delimiter: str, width: int, chunk_rows: int) -> Iterator[pd.DataFrame]:
    """pyarrow's streaming CSV reader: fast, but any row whose width differs from `width` is an error."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{i}" for i in range(width)]
    reader = pacsv.open_csv(
        _Utf8Stream(stream),
        read_options=pacsv.ReadOptions(column_names=names, block_size=8 << 20),
        parse_options=pacsv.ParseOptions(delimiter=delimiter, quote_char='"', double_quote=True,
                                         newlines_in_values=True, ignore_empty_lines=False),
        convert_options=pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, null_values=[],
                                             strings_can_be_null=False, quoted_strings_can_be_null=False),
    )
    pending: list = []
    rows = 0
    string = pd.StringDtype("pyarrow")

    def emit(table) -> pd.DataFrame:
        return pd.DataFrame({n: pd.array(table.column(n), dtype=string) for n in names})

    try:
        for batch in reader:
            pending.append(batch)
            rows += batch.num_rows
            while rows >= chunk_rows:
                table = pa.Table.from_batches(pending)
                yield emit(table.slice(0, chunk_rows))
                rest = table.slice(chunk_rows)
                pending, rows = rest.to_batches(), rest.num_rows
        if rows:
            yield emit(pa.Table.from_batches(pending))
    finally:
        reader.close()


def _pandas_frames(stream: DecodedStream, delimiter: str, width: int, chunk_rows: int, *,
                   python: bool = False) -> Iterator[pd.DataFrame]:
    """pandas: the C engine pads short rows; the python engine also cuts over-long ones (into the last column)."""
    names = [f"c{i}" for i in range(width + SPARE_COLUMNS)]
    limit = len(names)

    def cut(fields: list[str]) -> list[str]:
        return [*fields[: limit - 1], delimiter.join(fields[limit - 1 :])]

    extra = {"engine": "python", "on_bad_lines": cut} if python else {"engine": "c"}
    reader = pd.read_csv(stream, sep=delimiter, header=None, names=names, dtype=object, keep_default_na=False,
                         na_filter=False, skip_blank_lines=False, index_col=False, chunksize=chunk_rows,
                         quotechar='"', doublequote=True, **extra)
    with reader:
        yield from reader


def csv_frames(stream_factory: Callable[[], DecodedStream], delimiter: str, width: int, chunk_rows: int,
                first_row: int = 1):
    """Frames of raw fields (columns c0, c1 ...), in order. Tries pyarrow, then pandas C (ragged rows), then
    pandas python (rows wider than the header + spare columns); a later tier skips the rows already given."""
    import pyarrow as pa

    tiers = (
        lambda: _arrow_frames(stream_factory(), delimiter, width, chunk_rows),
        lambda: _pandas_frames(stream_factory(), delimiter, width, chunk_rows),
        lambda: _pandas_frames(stream_factory(), delimiter, width, chunk_rows, python=True),
    )
    done = 0
    for number, tier in enumerate(tiers):
        skip = done
        frames = tier()
        try:
            for frame in frames:
                if skip:
                    if skip >= len(frame):
                        skip -= len(frame)
                        continue
                    frame, skip = frame.iloc[skip:].reset_index(drop=True), 0
                done += len(frame)
                yield frame
            return
        except (pa.ArrowInvalid, pd.errors.ParserError, csv.Error) as exc:
            # pyarrow refuses any ragged row; pandas C pads short rows and refuses only over-long ones, which
            # the python engine then cuts. Anything else (an unclosed quote ...) makes the file unreadable.
            too_wide = number == 1 and "Expected" in str(exc) and "fields" in str(exc)
            if number == len(tiers) - 1 or (number == 1 and not too_wide):
                where = re.search(r"starting at row ([0-9]+)", str(exc))
                at = f" (quote opened in row {first_row + int(where.group(1))})" if where else ""
                raise FileRejected("unreadable", f"CSV cannot be parsed{at}: {exc}") from exc
        finally:
            frames.close()


__all__ = [
    "DELIMITERS",
    "LINE",
    "SPARE_COLUMNS",
    "DecodedStream",
    "DelimiterChoice",
    "Head",
    "choose_delimiter",
    "codec_of",
    "csv_frames",
    "declared_delimiter",
    "decode_text",
    "parse_records",
    "read_head",
    "record_starts",
    "stream_after",
]
