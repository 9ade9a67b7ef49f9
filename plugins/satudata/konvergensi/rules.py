"""Convergence rules as data: `include/rules/konvergensi_<year>.yaml`, one file per regime.

A period uses the file with the newest `berlaku_mulai` that is not after it, so the 2020 BLT Dana Desa
rule (no BLT DD for PKH/BPNT families: a violation) and the 2023 desil-priority rule (the same overlap
is an audit flag) both stay reproducible for their own periods. Changing a rule is a YAML change; this
module only reads, checks and applies the files, and every error names the file and the key.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import yaml

from satudata.config import PROJECT_ROOT
from satudata.normalise.periode import PERIODE
from satudata.reference.program import Programme, load_programmes

LEVELS = ("pelanggaran", "audit")
DESIL_SOURCES = {"p3ke": 4, "dtsen": 10}  # whose desil the regime targets -> the highest desil it ranks


class RuleError(ValueError):
    """A rule file that cannot be applied; the message names the file and what is wrong."""


def rules_dir() -> Path:
    return Path(os.environ.get("SATUDATA_RULES_DIR", PROJECT_ROOT / "include" / "rules"))


@dataclass(frozen=True)
class OverlapRule:
    kode: str
    program_a: str
    program_b: str
    tingkat: str
    keterangan: str = ""


@dataclass(frozen=True)
class ProgrammeRule:
    """A programme as it applies in the period: the reference row with the rule file's overrides."""

    kode_program: str
    nama_program: str
    penyelenggara: str | None
    unit: str
    sumber_dana: str | None
    desil_maks: int | None
    program_inti: bool
    strategi_inpres: str | None
    kode_wilayah: str | None
    wajib_dtks: bool
    sumber: str | None = None  # where the rule file took the programme's eligibility from


@dataclass(frozen=True)
class RegencyLimit:
    """A regency's own desil limit for a programme (`penyesuaian_kabupaten`), with its basis."""

    kode_kab: str
    kode_program: str
    desil_maks: int
    sumber: str


@dataclass(frozen=True)
class Rules:
    berkas: str
    sha256: str
    berlaku_mulai: str
    judul: str
    dasar_hukum: tuple[str, ...]
    sumber_desil: str  # p3ke | dtsen: the registry whose desil eligibility, targets and pockets use
    desil_sasaran: int
    programmes: tuple[ProgrammeRule, ...]
    overlaps: tuple[OverlapRule, ...]
    prioritas_desil_maks: int
    lansia_umur_minimal: int
    lansia_jumlah_anggota_maks: int
    disabilitas_nilai_ya: tuple[str, ...]
    disabilitas_pola_ya: tuple[str, ...]
    kepala_perempuan_jenis_kelamin: str
    migran_pola_pekerjaan: tuple[str, ...]
    kantong_teratas_per_kabupaten: int
    kantong_minimal_keluarga: int
    # Programmes whose recipients the DTSEN transition follows (recipients above desil_maks, eligible people
    # not receiving): PBI-JK, deactivated by DTSEN desil since May 2025.
    pantau_transisi: tuple[str, ...] = ()
    penyesuaian_kabupaten: tuple[RegencyLimit, ...] = ()
    raw: dict = field(repr=False, compare=False, default_factory=dict)

    def as_json(self) -> str:
        data = asdict(self)
        data.pop("raw")
        return json.dumps(data, ensure_ascii=False, sort_keys=True, default=str)

    def lansia_born_on_or_before(self, periode: str) -> date:
        """Born on or before this date = at least `lansia_umur_minimal` years old at the period's end."""
        end = period_end(periode)
        year = end.year - self.lansia_umur_minimal
        day = min(end.day, calendar.monthrange(year, end.month)[1])
        return date(year, end.month, day)

    def is_disability(self, value: str) -> bool:
        text = _value_key(value)
        return bool(text) and (text in self.disabilitas_nilai_ya
                               or any(re.search(p, text) for p in self.disabilitas_pola_ya))

    def is_migrant_work(self, value: str) -> bool:
        text = _value_key(value)
        return bool(text) and any(re.search(p, text) for p in self.migran_pola_pekerjaan)


def _value_key(value: object) -> str:
    """How a category value is compared, here and in SQL (`lower(trim(x))`)."""
    return "" if value is None else str(value).strip().lower()


def period_end(periode: str) -> date:
    if not PERIODE.match(periode or ""):
        raise ValueError(f"periode must be YYYY-MM, not {periode!r}")
    year, month = int(periode[:4]), int(periode[5:])
    return date(year, month, calendar.monthrange(year, month)[1])


def rule_files(directory: Path | None = None, prefix: str = "konvergensi") -> list[tuple[str, Path]]:
    """(berlaku_mulai, path) of every `<prefix>_*.yaml` rule file, oldest first."""
    found = []
    for path in sorted((directory or rules_dir()).glob(f"{prefix}_*.y*ml")):
        data = _read(path)
        start = str(data.get("berlaku_mulai", ""))
        if not PERIODE.match(start):
            raise RuleError(f"{path.name}: berlaku_mulai must be YYYY-MM, not {start!r}")
        found.append((start, path))
    starts = [s for s, _ in found]
    if len(set(starts)) != len(starts):
        raise RuleError(f"two rule files start in the same period: {sorted(starts)}")
    return sorted(found)


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML that refuses a key written twice (PyYAML would silently keep the last one)."""


def _no_duplicates(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"key {key!r} is written twice", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def read_rule_file(path: Path) -> dict:
    """A rule file as data: strict YAML (no key twice), a mapping at the top."""
    return _read(path)


def rule_file_for(periode: str, prefix: str, directory: Path | None = None) -> Path:
    """The `<prefix>_*.yaml` file that applies to `periode`: the newest `berlaku_mulai` not after it."""
    period_end(periode)  # validates the format
    files = [(s, p) for s, p in rule_files(directory, prefix) if s <= periode]
    if not files:
        where = directory or rules_dir()
        raise RuleError(f"no rule file ({prefix}_*.yaml) in {where} applies to period {periode} (berlaku_mulai <= {periode})")
    return files[-1][1]


def _read(path: Path) -> dict:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        raise RuleError(f"{path.name}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise RuleError(f"{path.name}: expected a mapping at the top level")
    return data


def load_rules(periode: str, directory: Path | None = None, programmes: list[Programme] | None = None) -> Rules:
    """The rules that apply to `periode`, checked against the programme reference."""
    path = rule_file_for(periode, "konvergensi", directory)
    return parse_rules(path, programmes if programmes is not None else load_programmes())


def _get(data: dict, path: str, kind: type | tuple[type, ...], name: str, default=None):
    node = data
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            if default is not None:
                return default
            raise RuleError(f"{name}: missing key `{path}`")
        node = node[key]
    if not isinstance(node, kind) or isinstance(node, bool) and kind is int:
        raise RuleError(f"{name}: `{path}` must be {getattr(kind, '__name__', kind)}, not {node!r}")
    return node


def _regency_limits(data: dict, name: str, top: int, code) -> tuple[RegencyLimit, ...]:
    """`penyesuaian_kabupaten: {"5205": {BLT_DD: {desil_maks: 2, sumber: "Perbup ..."}}}`: a regency's own
    limits; each names its basis, so the published figures can say whose rule they follow."""
    out = []
    for kab, programmes in (_get(data, "penyesuaian_kabupaten", dict, name, default={}) or {}).items():
        where = f"penyesuaian_kabupaten.{kab}"
        if not re.fullmatch(r"[0-9]{4}", str(kab)):
            raise RuleError(f"{name}: `{where}` must be a 4-digit kabupaten/kota code in quotes")
        if not isinstance(programmes, dict):
            raise RuleError(f"{name}: `{where}` must map programme codes to {{desil_maks, sumber}}")
        for key, value in programmes.items():
            if not isinstance(value, dict) or set(value) - {"desil_maks", "sumber"}:
                raise RuleError(f"{name}: `{where}.{key}` takes only desil_maks and sumber")
            desil = value.get("desil_maks")
            if not isinstance(desil, int) or isinstance(desil, bool) or not 1 <= desil <= top:
                raise RuleError(f"{name}: `{where}.{key}.desil_maks` must be 1..{top}, not {desil!r}")
            if not str(value.get("sumber") or "").strip():
                raise RuleError(f"{name}: `{where}.{key}.sumber` must name the regency's basis (Perbup, SK ...)")
            out.append(RegencyLimit(str(kab), code(key, f"{where}.{key}"), desil, str(value["sumber"]).strip()))
    return tuple(out)


def _patterns(values: list, name: str, key: str) -> tuple[str, ...]:
    out = []
    for value in values:
        text = str(value).lower()
        try:
            re.compile(text)
        except re.error as exc:
            raise RuleError(f"{name}: `{key}` pattern {value!r} is not a valid regular expression: {exc}") from exc
        out.append(text)
    return tuple(out)


def parse_rules(path: Path, programmes: list[Programme]) -> Rules:
    name = path.name
    data = _read(path)
    by_code = {p.kode_program: p for p in programmes}
    known = ", ".join(sorted(by_code))

    def code(value: object, where: str) -> str:
        text = str(value).strip().upper()
        if text not in by_code:
            raise RuleError(f"{name}: `{where}` names programme {value!r}, which is not in the programme "
                            f"reference (known: {known})")
        return text

    sumber_desil = str(_get(data, "sumber_desil", str, name, default="p3ke") or "p3ke").strip().lower()
    if sumber_desil not in DESIL_SOURCES:
        raise RuleError(f"{name}: `sumber_desil` must be one of {sorted(DESIL_SOURCES)}, not {sumber_desil!r}")
    top = DESIL_SOURCES[sumber_desil]
    desil_sasaran = _get(data, "desil_sasaran", int, name)
    if not 1 <= desil_sasaran <= top:
        raise RuleError(f"{name}: desil_sasaran must be 1..{top}, not {desil_sasaran}")
    applied = _applied_programmes(programmes, _eligibility_overrides(data, name, top, code))
    overlaps = _overlap_rules(data, name, code)
    # Keyword arguments are evaluated in order: a file with several faults names the same one first as ever.
    rules = Rules(
        berkas=name,
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        berlaku_mulai=str(data["berlaku_mulai"]),
        judul=str(data.get("judul") or name),
        dasar_hukum=tuple(str(x) for x in (data.get("dasar_hukum") or [])),
        sumber_desil=sumber_desil,
        desil_sasaran=desil_sasaran,
        programmes=tuple(applied),
        overlaps=tuple(overlaps),
        **_priority_and_pockets(data, name),
        pantau_transisi=tuple(code(c, "pantau_transisi") for c in
                              (_get(data, "pantau_transisi", list, name, default=[]) or [])),
        penyesuaian_kabupaten=_regency_limits(data, name, top, code),
        raw=data,
    )
    _check_ranges(rules, name, top)
    return rules


def _eligibility_overrides(data: dict, name: str, top: int, code) -> dict[str, dict]:
    """`kelayakan: {PKH: {desil_maks: 1, ...}}`, checked: programme code -> what the file overrides."""
    overrides: dict[str, dict] = {}
    for key, value in (_get(data, "kelayakan", dict, name, default={}) or {}).items():
        if not isinstance(value, dict):
            raise RuleError(f"{name}: `kelayakan.{key}` must be a mapping such as {{desil_maks: 1}}")
        unknown = set(value) - {"desil_maks", "program_inti", "wajib_dtks", "sumber"}
        if unknown:
            raise RuleError(f"{name}: `kelayakan.{key}` has unknown keys {sorted(unknown)}")
        desil = value.get("desil_maks")
        if desil is not None and (not isinstance(desil, int) or isinstance(desil, bool) or not 1 <= desil <= top):
            raise RuleError(f"{name}: `kelayakan.{key}.desil_maks` must be 1..{top} or empty, not {desil!r}")
        overrides[code(key, f"kelayakan.{key}")] = value
    return overrides


def _applied_programmes(programmes: list[Programme], overrides: dict[str, dict]) -> list[ProgrammeRule]:
    applied = []
    for p in programmes:
        o = overrides.get(p.kode_program, {})
        applied.append(ProgrammeRule(
            kode_program=p.kode_program, nama_program=p.nama_program, penyelenggara=p.penyelenggara,
            unit=p.unit, sumber_dana=p.sumber_dana,
            desil_maks=o.get("desil_maks", p.desil_maks),
            program_inti=bool(o.get("program_inti", p.program_inti)), strategi_inpres=p.strategi_inpres,
            kode_wilayah=p.kode_wilayah, wajib_dtks=bool(o.get("wajib_dtks", False)),
            sumber=(str(o["sumber"]).strip() if o.get("sumber") else None),
        ))
    return applied


def _overlap_rules(data: dict, name: str, code) -> list[OverlapRule]:
    """`tumpang_tindih`: the programme pairs a family should not hold both of, checked."""
    overlaps = []
    seen = set()
    for i, item in enumerate(_get(data, "tumpang_tindih", list, name, default=[]) or []):
        where = f"tumpang_tindih[{i}]"
        if not isinstance(item, dict):
            raise RuleError(f"{name}: `{where}` must be a mapping with kode, program, tingkat")
        kode = str(item.get("kode") or "").strip()
        if not re.fullmatch(r"[a-z0-9_]{1,60}", kode):
            raise RuleError(f"{name}: `{where}.kode` must be lower-case letters, digits and _, not {kode!r}")
        if kode in seen:
            raise RuleError(f"{name}: overlap rule {kode!r} is defined twice")
        seen.add(kode)
        pair = item.get("program")
        if not isinstance(pair, list) or len(pair) != 2:
            raise RuleError(f"{name}: `{where}.program` must list exactly two programme codes")
        a, b = (code(v, f"{where}.program") for v in pair)
        if a == b:
            raise RuleError(f"{name}: `{where}.program` names {a} twice")
        level = str(item.get("tingkat") or "").strip().lower()
        if level not in LEVELS:
            raise RuleError(f"{name}: `{where}.tingkat` must be one of {LEVELS}, not {item.get('tingkat')!r}")
        overlaps.append(OverlapRule(kode, *sorted((a, b)), level, str(item.get("keterangan") or "").strip()))
    return overlaps


def _priority_and_pockets(data: dict, name: str) -> dict:
    """The `Rules` fields of `kelompok_prioritas` and `kantong_kemiskinan`, read in the order of the fields."""
    prior = "kelompok_prioritas"
    pockets = "kantong_kemiskinan"
    return {
        "prioritas_desil_maks": _get(data, f"{prior}.desil_maks", int, name),
        "lansia_umur_minimal": _get(data, f"{prior}.lansia_tunggal.umur_minimal", int, name),
        "lansia_jumlah_anggota_maks": _get(data, f"{prior}.lansia_tunggal.jumlah_anggota_maks", int, name),
        "disabilitas_nilai_ya": tuple(_value_key(v) for v in
                                      _get(data, f"{prior}.disabilitas.nilai_ya", list, name)),
        "disabilitas_pola_ya": _patterns(_get(data, f"{prior}.disabilitas.pola_ya", list, name, default=[]) or [],
                                         name, f"{prior}.disabilitas.pola_ya"),
        "kepala_perempuan_jenis_kelamin": str(
            _get(data, f"{prior}.kepala_keluarga_perempuan.jenis_kelamin_kepala", str, name)).strip().upper(),
        "migran_pola_pekerjaan": _patterns(_get(data, f"{prior}.pekerja_migran.pola_pekerjaan", list, name),
                                           name, f"{prior}.pekerja_migran.pola_pekerjaan"),
        "kantong_teratas_per_kabupaten": _get(data, f"{pockets}.teratas_per_kabupaten", int, name),
        "kantong_minimal_keluarga": _get(data, f"{pockets}.minimal_keluarga_tanpa_program", int, name),
    }


def _check_ranges(rules: Rules, name: str, top: int) -> None:
    prior = "kelompok_prioritas"
    pockets = "kantong_kemiskinan"
    if not 1 <= rules.prioritas_desil_maks <= top:
        raise RuleError(f"{name}: `{prior}.desil_maks` must be 1..{top}")
    if rules.lansia_umur_minimal < 1 or rules.lansia_jumlah_anggota_maks < 1:
        raise RuleError(f"{name}: `{prior}.lansia_tunggal` needs a positive umur_minimal and jumlah_anggota_maks")
    if rules.kantong_teratas_per_kabupaten < 1 or rules.kantong_minimal_keluarga < 0:
        raise RuleError(f"{name}: `{pockets}` needs teratas_per_kabupaten >= 1 and minimal >= 0")
