"""Load and check the operator texts of `include/pesan/*.yaml` (the public face is `intake.messages`).

The texts are data so that a translator edits them without touching Python (`include/pesan/BACA.md`). A
mistake there must not reach an operator as a raw `{placeholder}` or a KeyError in the middle of a report:
`load_catalogue` refuses the catalogue with a `CatalogueError` naming the file and entry of the problem.
Checked: every file is YAML mappings of texts (a bare `no` is a boolean, not text), no key written twice,
each entry has its keys and no unknown one, no empty text (but a default), codes unique across rules and
file reasons, tingkat galat or peringatan, `{SNIPPET}`s known, and `{value}` placeholders only in the texts
the formatter fills, each with a default in isian.yaml or among `CALLER_KEYS`. petunjuk.yaml (the "Petunjuk"
sheet of the templates) has its own placeholders, per text (`_PETUNJUK_VALUES`), a `satu_baris` and a
`contoh_berkas` for every jenis of the templates, and replaces only points it has.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from satudata.config import PROJECT_ROOT
from satudata.schema import HUBUNGAN_KELUARGA, JENIS

PESAN_DIR = PROJECT_ROOT / "include" / "pesan"
GALAT = "galat"
PERINGATAN = "peringatan"
STATUSES = ("accepted", "partial", "rejected", "duplicate", "menunggu_pemetaan", "ditahan")  # every answer status
# Values callers give a file reason besides those with a default in isian.yaml (intake.run, intake.stage,
# intake.cakupan, intake.review): a placeholder must be one or the other, or it would read "-".
CALLER_KEYS = frozenset({"detail", "baris", "status_asli", "keputusan_dicatat", "sama", "beda",
                         "belum_diputuskan", "jumlah", "periode", "periode_lain", "kiriman", "teks",
                         "tempat", "lembar", "opd", "ukuran", "terpakai", "kuota"})
_SNIPPET = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
# The texts the formatter fills: any other text must not hold a {value}, it would be shown raw.
_FILLED = re.compile(r"(aturan|alasan_berkas)\.yaml:[^.]+\.(pesan|perbaikan)$|isian\.yaml:rangkaian\.")
# reason code -> the parts `messages._prepare` composes for it (isian.yaml: rangkaian)
_RANGKAIAN = {"too_many_bad_rows": ("rincian", "rincian_tanpa_porsi", "rincian_tanpa_angka"),
              "bps_coding": ("rincian",), "wrong_regency": ("nama_kab_isi",), "superseded": ("berkas_baru",)}
# petunjuk.yaml: the values `intake.templates` fills, by entry (or by the section all its entries are in)
_POIN_VALUES = frozenset({"lembar", "satu_baris", "contoh_berkas", "jenis"})
_PETUNJUK_VALUES = {
    "judul": frozenset({"nama_jenis"}),
    "poin": _POIN_VALUES, "ganti_poin": _POIN_VALUES, "tambah_poin": _POIN_VALUES,
    "daftar_kolom.lembar": frozenset({"lembar"}),
    "daftar_kolom.baris": frozenset({"kolom", "label", "wajib", "bantuan"}),
    "daftar_kolom.contoh": frozenset({"contoh"}),
}  # fmt: skip
_DAFTAR_KOLOM = ("lembar", "judul", "baris", "wajib", "tidak_wajib", "contoh")


class CatalogueError(ValueError):
    """The text catalogue cannot be used as written; the message names the file and the entry."""


@dataclass(frozen=True)
class Rule:
    code: str
    tingkat: str  # "galat" (row rejected) | "peringatan" (row kept, operator should fix)
    pesan: str  # what is wrong, for the operator
    perbaikan: str  # how to fix it, in Excel terms
    judul: str = ""  # short label (count table of the report)

    @property
    def label(self) -> str:
        return self.judul or self.pesan


@dataclass(frozen=True)
class FileReason:
    code: str
    pesan: str
    perbaikan: str
    judul: str = ""


@dataclass(frozen=True)
class Status:
    status: str  # accepted | partial | rejected | duplicate
    label: str  # as printed, large, in the report
    langkah: str  # "langkah selanjutnya": what the operator does next
    warna: str  # colour of the status text in the report


@dataclass(frozen=True)
class Catalogue:
    rules: dict[str, Rule]
    file_reasons: dict[str, FileReason]
    status: dict[str, Status]
    unfinished: Status  # any status not in `status` (received, processing); `status` is filled per call
    column_labels: dict[str, str]
    column_help: dict[str, str]
    jenis_labels: dict[str, str]
    tingkat_labels: dict[str, str]
    tingkat_meaning: dict[str, str]
    isian: dict  # isian.yaml: nilai_bawaan, rangkaian, kode_tidak_dikenal, daftar_kolom
    petunjuk: dict  # petunjuk.yaml: judul, poin, ganti_poin, tambah_poin, satu_baris, contoh_berkas, daftar_kolom


# --------------------------------------------------------------------------------------------- loading

class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """Safe YAML that refuses a key written twice (PyYAML alone silently keeps the last one)."""


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    keys = [loader.construct_object(key_node, deep=True) for key_node, _ in node.value]
    if twice := [i for i, k in enumerate(keys) if k in keys[:i]]:
        line = node.value[twice[0]][0].start_mark.line + 1
        raise CatalogueError(f"line {line}: {keys[twice[0]]!r} is written twice")
    return loader.construct_mapping(node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class _Reader:
    """Reads the YAML files of one directory; `where` ("file" or "file:key.subkey") names a problem."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.snippets = {"DAFTAR_HUBUNGAN_KELUARGA": ", ".join(HUBUNGAN_KELUARGA)}  # what validation accepts
        self.known: frozenset[str] = CALLER_KEYS

    def fail(self, where: str, problem: str) -> CatalogueError:
        file, _, key = where.partition(":")
        return CatalogueError(f"{self.directory / file}: {key + ': ' if key else ''}{problem}")

    def file(self, name: str) -> dict:
        try:
            data = yaml.load((self.directory / name).read_text(encoding="utf-8"), Loader=_Loader)
        except (OSError, yaml.YAMLError, CatalogueError) as exc:
            raise self.fail(name, str(exc)) from None
        return self.keys(data, name)

    def tree(self, name: str) -> dict:
        """The file with every text checked and its snippets resolved."""
        def walk(value: object, where: str) -> object:
            if not isinstance(value, dict):
                return self.text(value, where)
            sep = "." if ":" in where else ":"
            return {k: walk(v, f"{where}{sep}{k}") for k, v in self.keys(value, where).items()}
        return walk(self.file(name), name)  # type: ignore[return-value]

    def keys(self, data: object, where: str, required: Iterable[str] = (), optional: Iterable[str] = (),
             texts: bool = False) -> dict:
        """`data` maps text keys, has the `required` ones and no other than `optional`; `texts`: to texts."""
        if not isinstance(data, dict) or not data or not all(isinstance(k, str) for k in data):
            raise self.fail(where, "expected entries written `key: ...`, each key a text")
        required, optional = set(required), set(optional)
        if missing := required - set(data):
            raise self.fail(where, f"missing {', '.join(sorted(missing))}")
        if required and (extra := set(data) - required - optional):
            raise self.fail(where, f"unknown key {', '.join(sorted(extra))} (expected "
                                   f"{', '.join(sorted(required | optional))})")
        if texts and (nested := [k for k, v in data.items() if not isinstance(v, str)]):
            raise self.fail(f"{where}.{nested[0]}", "expected a text, not entries")
        return data

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str):
            raise self.fail(where, f"{value!r} is not text (quote it: YAML reads some bare words as yes/no)")
        if not value.strip() and not where.startswith("isian.yaml:nilai_bawaan."):
            raise self.fail(where, "the text is empty")
        value = _SNIPPET.sub(lambda m: self.snippets.get(m.group(1), m.group(0)), value)
        allowed, which = self.placeholders(where)
        try:
            fields = list(string.Formatter().parse(value))
        except ValueError as exc:
            raise self.fail(where, f"braces do not pair up ({exc})") from None
        for literal, name, spec, conversion in fields:
            if "{" in literal or "}" in literal:
                raise self.fail(where, "{{ or }}: braces only go around a {NAME} or a {name}")
            if name is None:
                continue
            if _SNIPPET.fullmatch("{" + name + "}"):
                raise self.fail(where, f"unknown snippet {{{name}}} (not in potongan.yaml)")
            if not allowed:
                raise self.fail(where, f"{{{name}}} is never filled in this text")
            if spec or conversion or name not in allowed:
                raise self.fail(where, f"unknown placeholder {{{name}}}: {which}")
        return value

    def placeholders(self, where: str) -> tuple[frozenset[str], str]:
        """The {values} filled in the text at `where`, and how to say which they are."""
        file, _, key = where.partition(":")
        if where == "isian.yaml:kode_tidak_dikenal.pesan":
            return frozenset({"kode"}), "only {kode} is filled here"  # the unknown code itself
        if file == "petunjuk.yaml":
            allowed = _PETUNJUK_VALUES.get(key, _PETUNJUK_VALUES.get(key.partition(".")[0], frozenset()))
            return allowed, "this text is filled with " + ", ".join(f"{{{k}}}" for k in sorted(allowed))
        return (self.known if _FILLED.match(where) else frozenset(),
                f"neither a key of nilai_bawaan in isian.yaml nor one of {', '.join(sorted(CALLER_KEYS))}")

    def status(self, code: str, entry: object, where: str) -> Status:
        fields = self.keys(entry, where, ("label", "langkah", "warna"), texts=True)
        if not re.fullmatch(r"#[0-9A-Fa-f]{6}", fields["warna"]):
            raise self.fail(f"{where}.warna", f"{fields['warna']!r} is not a colour written #RRGGBB")
        return Status(code, **fields)


def load_catalogue(directory: Path | str = PESAN_DIR) -> Catalogue:
    """Read and check the catalogue; `CatalogueError` names the file and entry of the first problem."""
    read = _Reader(Path(directory))
    for name, value in read.tree("potongan.yaml").items():  # first: every other file may use them
        if not _SNIPPET.fullmatch("{" + name + "}"):
            raise read.fail(f"potongan.yaml:{name}", "a snippet name is written in UPPER_CASE")
        read.snippets[name] = value
    defaults = read.keys(read.file("isian.yaml").get("nilai_bawaan"), "isian.yaml:nilai_bawaan", texts=True)
    read.known = CALLER_KEYS | set(defaults)
    isian = read.keys(read.tree("isian.yaml"), "isian.yaml",
                      ("nilai_bawaan", "rangkaian", "kode_tidak_dikenal", "daftar_kolom"))
    read.keys(isian["kode_tidak_dikenal"], "isian.yaml:kode_tidak_dikenal", ("pesan", "perbaikan"),
              texts=True)
    read.keys(isian["daftar_kolom"], "isian.yaml:daftar_kolom", ("dan", "atau", "tanpa_kolom"), texts=True)
    for code, parts in read.keys(isian["rangkaian"], "isian.yaml:rangkaian", _RANGKAIAN).items():
        read.keys(parts, f"isian.yaml:rangkaian.{code}", _RANGKAIAN[code], texts=True)

    def entries(name: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> dict[str, dict]:
        return {code: read.keys(entry, f"{name}:{code}", required, optional, texts=True)
                for code, entry in read.tree(name).items()}

    rules = {code: Rule(code, e["tingkat"], e["pesan"], e["perbaikan"], e.get("judul", ""))
             for code, e in entries("aturan.yaml", ("tingkat", "pesan", "perbaikan"), ("judul",)).items()}
    if odd := [r for r in rules.values() if r.tingkat not in (GALAT, PERINGATAN)]:
        raise read.fail(f"aturan.yaml:{odd[0].code}.tingkat",
                        f"{odd[0].tingkat!r} is not {GALAT} or {PERINGATAN}")
    reasons = {code: FileReason(code, e["pesan"], e["perbaikan"], e.get("judul", ""))
               for code, e in entries("alasan_berkas.yaml", ("pesan", "perbaikan"), ("judul",)).items()}
    if both := sorted(set(rules) & set(reasons)):
        raise read.fail("alasan_berkas.yaml",
                        f"{', '.join(both)}: also a code in aturan.yaml (a code names one problem)")
    answers = read.keys(read.tree("status.yaml"), "status.yaml", ("status", "belum_selesai"))
    status = {code: read.status(code, e, f"status.yaml:status.{code}")
              for code, e in read.keys(answers["status"], "status.yaml:status", STATUSES).items()}
    columns = entries("kolom.yaml", ("label", "bantuan"))
    tingkat = read.keys(entries("tingkat.yaml", ("label", "arti")), "tingkat.yaml", (GALAT, PERINGATAN))
    unfinished = read.status("", answers["belum_selesai"], "status.yaml:belum_selesai")
    return Catalogue(
        rules, reasons, status, unfinished,
        column_labels={c: e["label"] for c, e in columns.items()},
        column_help={c: e["bantuan"] for c, e in columns.items()},
        jenis_labels=read.keys(read.tree("jenis.yaml"), "jenis.yaml", texts=True),
        tingkat_labels={k: e["label"] for k, e in tingkat.items()},
        tingkat_meaning={k: e["arti"] for k, e in tingkat.items()}, isian=isian, petunjuk=_petunjuk(read),
    )


def _petunjuk(read: _Reader) -> dict:
    """petunjuk.yaml: its sections, every jenis of the templates, and replacements of points it has."""
    name = "petunjuk.yaml"
    petunjuk = read.keys(read.tree(name), name, ("judul", "poin", "satu_baris", "contoh_berkas", "daftar_kolom"),
                         ("ganti_poin", "tambah_poin"))
    if not isinstance(petunjuk["judul"], str):
        raise read.fail(f"{name}:judul", "expected a text, not entries")
    poin = read.keys(petunjuk["poin"], f"{name}:poin", texts=True)
    for part in ("satu_baris", "contoh_berkas"):  # every template has its own
        read.keys(petunjuk[part], f"{name}:{part}", JENIS, texts=True)
    read.keys(petunjuk["daftar_kolom"], f"{name}:daftar_kolom", _DAFTAR_KOLOM, texts=True)
    for part in ("ganti_poin", "tambah_poin"):  # optional: no jenis may have points of its own
        per_jenis = petunjuk[part] = read.keys(petunjuk[part], f"{name}:{part}") if part in petunjuk else {}
        for jenis, points in per_jenis.items():
            if jenis not in JENIS:
                raise read.fail(f"{name}:{part}.{jenis}", f"not a jenis of the templates ({', '.join(JENIS)})")
            read.keys(points, f"{name}:{part}.{jenis}", texts=True)
            if part == "ganti_poin" and (odd := sorted(set(points) - set(poin))):
                raise read.fail(f"{name}:ganti_poin.{jenis}.{odd[0]}", "replaces no point of poin")
    return petunjuk
