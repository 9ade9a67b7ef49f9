"""What a file really is, from its bytes (never from its extension).

`sniff(handle)` returns a `Sniffed` verdict: a readable format ("xlsx" -- .xlsm too --, "xls", "ods" from
LibreOffice/OpenOffice Calc, "csv") or a stable rejection code with a name for what the file is
(`label`, Bahasa Indonesia, for the operator's answer). The OLE2 compound-file directory is parsed properly (`cfb_entry_names`), so a
password-protected xlsx (an OLE2 file with an `EncryptedPackage` stream) is not confused with an .xls
(a `Workbook` stream).
"""

from __future__ import annotations

import codecs
import struct
import zipfile
from dataclasses import dataclass
from typing import BinaryIO

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_BINARY_MAGIC = (
    (b"%PDF", "PDF document", "dokumen PDF"),
    (b"\x89PNG\r\n\x1a\n", "PNG image", "gambar PNG"),
    (b"\xff\xd8\xff", "JPEG image", "foto/gambar JPEG"),
    (b"GIF87a", "GIF image", "gambar GIF"),
    (b"GIF89a", "GIF image", "gambar GIF"),
    (b"II*\x00", "TIFF image", "gambar TIFF (hasil pindaian)"),
    (b"MM\x00*", "TIFF image", "gambar TIFF (hasil pindaian)"),
    (b"Rar!\x1a\x07", "RAR archive", "arsip RAR"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive", "arsip 7-Zip"),
    (b"\x1f\x8b", "gzip archive", "arsip gzip"),
    (b"\xfd7zXZ\x00", "xz archive", "arsip xz"),
    (b"\x7fELF", "executable", "program"),
    (b"{\\rtf", "RTF document", "dokumen RTF"),
)

HEAD_BYTES = 1 << 16


@dataclass
class Sniffed:
    format: str | None  # "xlsx" | "xls" | "ods" | "csv" | None when rejected
    code: str | None = None  # FileRejected code when format is None
    detail: str = ""
    encoding: str | None = None  # CSV: encoding to report
    codec: str | None = None  # CSV: codec to decode with (utf-16-le/-be for BOM-less UTF-16)
    label: str = ""  # what the file is, in Bahasa Indonesia, for the operator's answer ("dokumen PDF")


def _reject(code: str, detail: str, label: str = "") -> Sniffed:
    return Sniffed(None, code, detail, label=label)


# --------------------------------------------------------------------------------------------- OLE2 / CFB

ENDOFCHAIN = 0xFFFFFFFE
FREESECT = 0xFFFFFFFF


def cfb_entry_names(handle: BinaryIO, size: int) -> list[str]:
    """Names of all storages and streams in an OLE2 compound file (raises ValueError when malformed)."""
    handle.seek(0)
    header = handle.read(512)
    if len(header) < 512 or header[:8] != OLE_MAGIC:
        raise ValueError("not a compound file")
    if header[28:30] != b"\xfe\xff":
        raise ValueError("bad byte order mark")
    shift = struct.unpack_from("<H", header, 30)[0]
    if shift not in (9, 12):
        raise ValueError(f"bad sector shift {shift}")
    ssz = 1 << shift
    n_fat, first_dir = struct.unpack_from("<I", header, 44)[0], struct.unpack_from("<I", header, 48)[0]
    first_difat, n_difat = struct.unpack_from("<I", header, 68)[0], struct.unpack_from("<I", header, 72)[0]
    max_sectors = max(1, (size - 512) // ssz + 1)
    if n_fat > max_sectors or n_difat > max_sectors:
        raise ValueError("sector counts exceed file size")

    def sector(sid: int) -> bytes:
        if sid >= max_sectors:
            raise ValueError(f"sector {sid} beyond end of file")
        handle.seek((sid + 1) * ssz)
        data = handle.read(ssz)
        if len(data) < ssz:
            data += b"\0" * (ssz - len(data))  # a short last sector is tolerated
        return data

    fat_sids = [s for s in struct.unpack_from("<109I", header, 76) if s not in (FREESECT, ENDOFCHAIN)]
    sid, seen = first_difat, 0
    while sid not in (FREESECT, ENDOFCHAIN) and seen < n_difat:
        block = sector(sid)
        entries = struct.unpack_from(f"<{ssz // 4}I", block)
        fat_sids.extend(s for s in entries[:-1] if s not in (FREESECT, ENDOFCHAIN))
        sid, seen = entries[-1], seen + 1
    fat_sids = fat_sids[:n_fat] if n_fat else fat_sids
    fat: list[int] = []
    for fs in fat_sids:
        fat.extend(struct.unpack_from(f"<{ssz // 4}I", sector(fs)))

    names: list[str] = []
    sid, hops = first_dir, 0
    while sid != ENDOFCHAIN:
        if sid >= len(fat) or hops > max_sectors:
            raise ValueError("broken directory chain")
        block = sector(sid)
        for off in range(0, ssz, 128):
            entry = block[off : off + 128]
            name_len = struct.unpack_from("<H", entry, 64)[0]
            kind = entry[66]
            if kind in (1, 2, 5) and 2 <= name_len <= 64:
                names.append(entry[: name_len - 2].decode("utf-16-le", "replace"))
        sid, hops = fat[sid], hops + 1
    if not names:
        raise ValueError("empty directory")
    return names


def _sniff_ole(handle: BinaryIO, size: int) -> Sniffed:
    try:
        names = cfb_entry_names(handle, size)
    except (ValueError, struct.error) as exc:
        return _reject("unreadable", f"damaged OLE2 compound file: {exc}")
    lower = {n.lower() for n in names}
    if "encryptedpackage" in lower or "encryptioninfo" in lower:
        return _reject("encrypted", "password-protected Office file (OLE2 with EncryptedPackage stream)")
    if "workbook" in lower or "book" in lower:
        return Sniffed("xls")
    if "worddocument" in lower:
        return _reject("not_a_spreadsheet", "Word document (.doc)")
    if "powerpoint document" in lower:
        return _reject("not_a_spreadsheet", "PowerPoint document (.ppt)")
    return _reject("not_a_spreadsheet", f"OLE2 compound file without a workbook stream ({', '.join(names[:6])})")


# --------------------------------------------------------------------------------------------- ZIP


def _sniff_zip(handle: BinaryIO) -> Sniffed:
    try:
        handle.seek(0)
        with zipfile.ZipFile(handle) as zf:
            names = zf.namelist()
            lower = {n.lower(): n for n in names}
            content_types = ""
            if "[content_types].xml" in lower:
                info = zf.getinfo(lower["[content_types].xml"])
                if info.file_size <= 1 << 20:
                    content_types = zf.read(info).decode("utf-8", "replace").lower()
            mimetype = ""
            if "mimetype" in lower and zf.getinfo(lower["mimetype"]).file_size < 200:
                mimetype = zf.read(lower["mimetype"]).decode("ascii", "replace").strip()
            manifest = ""
            if "meta-inf/manifest.xml" in lower and zf.getinfo(lower["meta-inf/manifest.xml"]).file_size <= 1 << 20:
                manifest = zf.read(lower["meta-inf/manifest.xml"]).decode("utf-8", "replace")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, ValueError) as exc:
        return _broken_zip(handle, exc)
    if "xl/workbook.xml" in lower:
        return Sniffed("xlsx")  # an .xlsm too: only cell values are ever read, no macro runs
    if "xl/workbook.bin" in lower:  # calamine could read it, but no writer here makes one to test with
        return _reject("unsupported_format", "Excel binary workbook (.xlsb); save it as .xlsx",
                       "buku kerja biner Excel (.xlsb)")
    if mimetype == "application/vnd.oasis.opendocument.spreadsheet":
        if "encryption-data" in manifest:
            return _reject("encrypted", "password-protected OpenDocument spreadsheet", "lembar kerja ODS berkata sandi")
        return Sniffed("ods")
    if mimetype.startswith("application/vnd.sun.xml.calc"):
        return _reject("unsupported_format", "StarOffice/OpenOffice 1 spreadsheet (.sxc)",
                       "lembar kerja OpenOffice lama (.sxc)")
    if mimetype.startswith("application/vnd.oasis.opendocument."):
        kind = mimetype.rsplit(".", 1)[-1]
        return _reject("not_a_spreadsheet", f"OpenDocument {kind} (not a spreadsheet)",
                       {"text": "dokumen teks OpenDocument (.odt)",
                        "presentation": "presentasi OpenDocument (.odp)"}.get(kind, f"dokumen OpenDocument ({kind})"))
    if "index/document.iwa" in lower or any(n.startswith("index/") and n.endswith(".iwa") for n in lower):
        return _reject("unsupported_format", "Apple Numbers document (.numbers)", "lembar kerja Apple Numbers (.numbers)")
    if any(n.startswith("xl/") for n in lower) or "spreadsheetml" in content_types:
        return _reject("corrupt_xlsx", "xlsx package without xl/workbook.xml")
    if any(n.startswith("word/") for n in lower):
        return _reject("not_a_spreadsheet", "Word document (.docx)", "dokumen Word (.docx)")
    if any(n.startswith("ppt/") for n in lower):
        return _reject("not_a_spreadsheet", "PowerPoint document (.pptx)", "presentasi PowerPoint (.pptx)")
    return _reject("not_a_spreadsheet", f"ZIP archive that is not a spreadsheet ({len(names)} members)",
                   "arsip ZIP (bukan lembar kerja)")


def _broken_zip(handle: BinaryIO, exc: Exception) -> Sniffed:
    """A ZIP that cannot be opened: corrupt xlsx unless its first member says it is another document."""
    handle.seek(0)
    head = handle.read(HEAD_BYTES)
    if head[:4] == b"PK\x03\x04" and len(head) >= 30:
        name_len = struct.unpack_from("<H", head, 26)[0]
        first = head[30 : 30 + name_len].decode("utf-8", "replace").lower()
        if first.startswith(("word/", "ppt/")) and b"xl/" not in head:
            return _reject("not_a_spreadsheet", f"damaged Office document that is not a workbook ({first})",
                           "dokumen Word/PowerPoint yang rusak")
    return _reject("corrupt_xlsx", f"damaged or truncated ZIP/xlsx: {exc}")


# --------------------------------------------------------------------------------------------- text

_fallback_bytes = [0]  # process-wide: pyarrow reads the decoded stream from its own threads


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 are read as Windows-1252 (undefined bytes as Latin-1)."""
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    chunk = exc.object[exc.start : exc.end]
    _fallback_bytes[0] += exc.end - exc.start
    out = []
    for b in bytes(chunk):
        try:
            out.append(bytes([b]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(b))
    return "".join(out), exc.end


FALLBACK_ERRORS = "satudata_cp1252_fallback"
codecs.register_error(FALLBACK_ERRORS, _cp1252_fallback)


def fallback_count() -> int:
    """How many bytes were decoded as Windows-1252 so far (in this process)."""
    return _fallback_bytes[0]


def _utf16_without_bom(head: bytes) -> str | None:
    sample = head[: 1 << 14]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    even_zero = sum(1 for b in sample[0 : pairs * 2 : 2] if b == 0)
    odd_zero = sum(1 for b in sample[1 : pairs * 2 : 2] if b == 0)
    if odd_zero >= 0.4 * pairs and even_zero <= 0.05 * pairs:
        return "utf-16-le"
    if even_zero >= 0.4 * pairs and odd_zero <= 0.05 * pairs:
        return "utf-16-be"
    return None


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    bad = sum(1 for ch in text if (ord(ch) < 32 and ch not in "\t\n\r\x0c\x1a") or ch in "\x7f\ufffd")
    return bad / len(text)


def sniff_text(head: bytes, complete: bool) -> Sniffed:
    """Decide whether bytes are delimited text, and in which encoding."""
    if head.startswith(codecs.BOM_UTF8):
        encoding, codec, body = "utf-8-sig", "utf-8-sig", head
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, codec, body = "utf-16", "utf-16", head
    else:
        codec16 = _utf16_without_bom(head)
        if codec16:
            encoding, codec, body = "utf-16", codec16, head
        else:
            if head.count(0) > 0.3 * len(head):
                return _reject("not_a_spreadsheet", "binary data (many NUL bytes)")
            body = head.replace(b"\0", b"")
            try:
                body.decode("utf-8") if complete else codecs.getincrementaldecoder("utf-8")().decode(body)
                encoding = "utf-8"
            except UnicodeDecodeError:
                encoding = "cp1252"
            codec = "utf-8"  # decoded as UTF-8 with a Windows-1252 fallback for invalid bytes
    try:
        if codec == "utf-8":
            text = codecs.getincrementaldecoder("utf-8")(FALLBACK_ERRORS).decode(body, final=complete)
        else:
            text = codecs.getincrementaldecoder(codec)("replace").decode(body, final=complete)
    except (UnicodeError, LookupError) as exc:  # pragma: no cover - decoders above use lenient handlers
        return _reject("unreadable", f"cannot decode text: {exc}")
    text = text.replace("\0", "")
    if not text.strip(" \t\r\n\ufeff\x1a"):
        return _reject("empty_file", "file contains no text")
    if _control_share(text[:20000]) > 0.005:
        return _reject("not_a_spreadsheet", "binary data, not a spreadsheet or CSV text")
    probe = text.lstrip("\ufeff \t\r\n")[:4096].lower()
    if probe.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in probe:
            return _reject("unsupported_format", "Excel 2003 XML spreadsheet; save it as .xlsx",
                           "lembar kerja XML Excel 2003")
        if "opendocument" in probe and "spreadsheet" in probe:
            return _reject("unsupported_format", "flat OpenDocument spreadsheet (.fods); save it as .ods or .xlsx",
                           "lembar kerja OpenDocument datar (.fods)")
        if probe.startswith(("<html", "<!doctype html", "<table", "<meta")) or "<table" in probe:
            return _reject("unsupported_format", "HTML table saved with a spreadsheet extension; save it as .xlsx",
                           "tabel halaman web (HTML)")
        return _reject("not_a_spreadsheet", "XML/HTML document", "dokumen XML/HTML")
    if probe.startswith("{\\rtf"):
        return _reject("not_a_spreadsheet", "RTF document", "dokumen RTF")
    return Sniffed("csv", encoding=encoding, codec=codec)


def sniff(handle: BinaryIO, size: int) -> Sniffed:
    """Classify an open binary file of `size` bytes."""
    if size == 0:
        return _reject("empty_file", "zero-byte file")
    handle.seek(0)
    head = handle.read(HEAD_BYTES)
    if head.startswith(OLE_MAGIC):
        return _sniff_ole(handle, size)
    if head.startswith(ZIP_MAGICS):
        return _sniff_zip(handle)
    for magic, what, label in _BINARY_MAGIC:
        if head.startswith(magic):
            return _reject("not_a_spreadsheet", what, label)
    if head[:4] == b"RIFF" and head[8:12] in (b"WEBP", b"AVI ", b"WAVE"):
        return _reject("not_a_spreadsheet", "RIFF media file")
    return sniff_text(head, complete=size <= len(head))


_NAME_LABELS = {
    ".numbers": "lembar kerja Apple Numbers (.numbers)", ".123": "lembar kerja Lotus 1-2-3",
    ".wk1": "lembar kerja Lotus 1-2-3", ".wk3": "lembar kerja Lotus 1-2-3", ".wk4": "lembar kerja Lotus 1-2-3",
    ".wks": "lembar kerja Lotus/Microsoft Works", ".qpw": "lembar kerja Quattro Pro",
    ".wb3": "lembar kerja Quattro Pro", ".dbf": "tabel dBase (.dbf)", ".sav": "data SPSS (.sav)",
    ".dta": "data Stata (.dta)", ".mdb": "basis data Microsoft Access", ".accdb": "basis data Microsoft Access",
    ".json": "berkas JSON", ".xml": "berkas XML", ".sql": "berkas SQL", ".pdf": "dokumen PDF",
    ".doc": "dokumen Word (.doc)", ".docx": "dokumen Word (.docx)", ".zip": "arsip ZIP", ".rar": "arsip RAR",
}


def label_for_name(name: str) -> str:
    """What a file probably is by its name, in Bahasa Indonesia, when its bytes do not say (a last resort)."""
    suffix = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return _NAME_LABELS.get(suffix, f"berkas {suffix}" if suffix else "berkas tanpa akhiran nama")


__all__ = ["FALLBACK_ERRORS", "Sniffed", "cfb_entry_names", "fallback_count", "label_for_name", "sniff", "sniff_text"]
