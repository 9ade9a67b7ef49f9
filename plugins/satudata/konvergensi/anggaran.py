"""The poverty budget of a period: staged APBD rows -> one classified line per sub-activity.

    rules = load_budget_rules("2026-11")
    lines, lokasi = budget_lines(staged_rows, rules, "2026-11")

Classification is data (`include/rules/anggaran_*.yaml`): each line gets a strategy (Inpres 4/2022), a kind
of spending (`intervensi_langsung`, `pemberdayaan`, `infrastruktur`, `penunjang`) and, when it funds one, the
programme of a recipient list, each *with the rule that decided it* (`aturan_strategi`, `aturan_jenis`,
`aturan_program`), so a forum member can ask "why is this penunjang?" and get the rule and its source.

How rows become lines (documented assumptions; no official SIPD export specification is public):
- a line is one OPD (`kode_skpd`, else its name) and one sub-activity (`kode_sub_giat`, else its name);
- pagu: the rows of the sub-activity sheet, a row repeated on several month rows counted once, the parts
  (per funding source, desa or programme) summed;
- realisation to the period's month: the month rows (`bulan` <= the period's month, this budget year)
  summed; a line without month rows takes the realisation to date written on its pagu rows; a line
  without either has none (empty, not 0);
- a month row naming no OPD belongs to the line of its sub-activity when only one OPD has it;
- rows of another budget year than the period's are left out;
- the desa a line is spent in: its rows' `kode_desa`, each by its share of the pagu (`core.anggaran_lokasi`).

Whose APBD: a regency's rows carry its 4-digit `kode_kab`, the province's own APBD (filed in
`inbox/<kode_prov>/anggaran/`) the 2-digit province code in the same column; each line says which in
`pemilik_anggaran` ('kabupaten' | 'provinsi'). Both are classified by the same rules; a province line's desa
may lie anywhere in the province.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import numpy as np
import pandas as pd

from satudata.konvergensi.rules import RuleError, read_rule_file, rule_file_for
from satudata.reference.program import load_programmes

STRATEGI = ("mengurangi_beban", "meningkatkan_pendapatan", "mengurangi_kantong")
JENIS_BELANJA = ("intervensi_langsung", "pemberdayaan", "infrastruktur", "penunjang")
UNCLASSIFIED = "tidak_terklasifikasi"
FROM_FILE = "berkas"  # the file itself said (SIPD label, programme column)
PEMILIK = ("kabupaten", "provinsi")  # whose APBD a line is: told by the length of its kode_kab (4 or 2 digits)


@dataclass(frozen=True)
class MatchRule:
    """One rule: patterns on the lower-cased name and code (both must match when both are given)."""

    kode: str
    hasil: str  # the strategy, kind or programme it gives
    sumber: str
    nama: str | None = None
    kode_sub_giat: str | None = None

    def matches(self, nama: str, kode: str) -> bool:
        if self.nama is not None and not re.search(self.nama, nama):
            return False
        return not (self.kode_sub_giat is not None and not re.search(self.kode_sub_giat, kode))


@dataclass(frozen=True)
class RegencyDecision:
    kode_kab: str
    kode_sub_giat: str
    sumber: str
    kode_skpd: str | None = None
    strategi: str | None = None
    jenis_belanja: str | None = None
    kode_program: str | None = None


@dataclass(frozen=True)
class BudgetRules:
    berkas: str
    berlaku_mulai: str
    sha256: str
    dasar_hukum: tuple[str, ...]
    nama_strategi: dict[str, str]
    nama_jenis: dict[str, str]
    label_sipd: tuple[MatchRule, ...]  # `nama` matched against the SIPD label text
    strategi: tuple[MatchRule, ...]
    jenis: tuple[MatchRule, ...]
    program: tuple[MatchRule, ...]
    penyesuaian: tuple[RegencyDecision, ...] = field(default=())

    def as_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def _pattern(value: object, where: str) -> str:
    text = str(value).lower()
    try:
        re.compile(text)
    except re.error as exc:
        raise RuleError(f"{where}: {value!r} is not a valid regular expression: {exc}") from exc
    return text


def _match_rules(items: object, where: str, result_key: str, allowed: tuple[str, ...] | None,
                 pattern_key: str = "nama") -> tuple[MatchRule, ...]:
    if not isinstance(items, list):
        raise RuleError(f"{where} must be a list of rules")
    out, seen = [], set()
    for i, item in enumerate(items):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise RuleError(f"{here} must be a mapping")
        unknown = set(item) - {"kode", "sumber", result_key, pattern_key, "nama", "kode_sub_giat"}
        if unknown:
            raise RuleError(f"{here}: unknown key(s) {sorted(unknown)}")
        kode = str(item.get("kode") or "").strip()
        if not kode or kode in seen:
            raise RuleError(f"{here}: every rule needs its own `kode`" + (f" ({kode} is used twice)" if kode else ""))
        seen.add(kode)
        if not str(item.get("sumber") or "").strip():
            raise RuleError(f"{here} ({kode}): `sumber` must name the rule's basis")
        result = str(item.get(result_key) or "").strip()
        if allowed is not None and result not in allowed:
            raise RuleError(f"{here} ({kode}): `{result_key}` must be one of {', '.join(allowed)}, not {result!r}")
        nama = item.get(pattern_key)
        kode_sub_giat = item.get("kode_sub_giat")
        if nama is None and kode_sub_giat is None:
            raise RuleError(f"{here} ({kode}): give `{pattern_key}` and/or `kode_sub_giat`")
        out.append(MatchRule(kode, result, str(item["sumber"]).strip(),
                             _pattern(nama, f"{here}.{pattern_key}") if nama is not None else None,
                             _pattern(kode_sub_giat, f"{here}.kode_sub_giat") if kode_sub_giat is not None else None))
    return tuple(out)


def parse_budget_rules(path: Path, programme_codes: set[str] | None = None) -> BudgetRules:
    name = path.name
    data = read_rule_file(path)
    codes = programme_codes if programme_codes is not None else {p.kode_program for p in load_programmes()}
    for key in ("berlaku_mulai", "strategi", "jenis_belanja"):
        if key not in data:
            raise RuleError(f"{name}: missing key `{key}`")
    strategi, jenis = data["strategi"], data["jenis_belanja"]
    if not isinstance(strategi, dict) or not isinstance(jenis, dict):
        raise RuleError(f"{name}: `strategi` and `jenis_belanja` must be mappings")
    programmes = _match_rules(data.get("program", []), f"{name}: program", "program", None)
    for rule in programmes:
        if rule.hasil not in codes:
            raise RuleError(f"{name}: program rule {rule.kode} names {rule.hasil!r}, not in the programme reference")
    decisions = []
    for kab, items in (data.get("penyesuaian_kabupaten") or {}).items():
        where = f"{name}: penyesuaian_kabupaten.{kab}"
        # a regency's decisions, or (2 digits) the province's own on its APBD lines
        if not re.fullmatch(r"[0-9]{2}|[0-9]{4}", str(kab)) or not isinstance(items, list):
            raise RuleError(f"{where}: a 4-digit regency (or 2-digit province) code in quotes, "
                            "mapping to a list of decisions")
        for i, item in enumerate(items):
            here = f"{where}[{i}]"
            allowed = {"kode_sub_giat", "kode_skpd", "strategi", "jenis_belanja", "kode_program", "sumber"}
            if not isinstance(item, dict) or set(item) - allowed or not item.get("kode_sub_giat"):
                raise RuleError(f"{here}: kode_sub_giat and any of strategi, jenis_belanja, kode_program, kode_skpd")
            if not str(item.get("sumber") or "").strip():
                raise RuleError(f"{here}: `sumber` must name the regency's basis (SK, Perbup ...)")
            if item.get("strategi") not in (None, *STRATEGI) or item.get("jenis_belanja") not in (None, *JENIS_BELANJA):
                raise RuleError(f"{here}: strategi in {STRATEGI}, jenis_belanja in {JENIS_BELANJA}")
            if item.get("kode_program") is not None and item["kode_program"] not in codes:
                raise RuleError(f"{here}: kode_program {item['kode_program']!r} is not in the programme reference")
            decisions.append(RegencyDecision(str(kab), str(item["kode_sub_giat"]).replace(" ", "").upper(),
                                             str(item["sumber"]).strip(),
                                             str(item["kode_skpd"]).replace(" ", "").upper()
                                             if item.get("kode_skpd") else None,
                                             item.get("strategi"), item.get("jenis_belanja"), item.get("kode_program")))
    return BudgetRules(
        berkas=name, berlaku_mulai=str(data["berlaku_mulai"]),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        dasar_hukum=tuple(str(v) for v in data.get("dasar_hukum", [])),
        nama_strategi=dict(strategi.get("nama", {})), nama_jenis=dict(jenis.get("nama", {})),
        label_sipd=_match_rules(strategi.get("label_sipd", []), f"{name}: strategi.label_sipd", "strategi",
                                STRATEGI, "pola"),
        strategi=_match_rules(strategi.get("aturan", []), f"{name}: strategi.aturan", "strategi", STRATEGI),
        jenis=_match_rules(jenis.get("aturan", []), f"{name}: jenis_belanja.aturan", "jenis", JENIS_BELANJA),
        program=programmes, penyesuaian=tuple(decisions),
    )


def load_budget_rules(periode: str, directory: Path | None = None) -> BudgetRules:
    return parse_budget_rules(rule_file_for(periode, "anggaran", directory))


def _first(rules: tuple[MatchRule, ...], nama: str, kode: str) -> MatchRule | None:
    return next((r for r in rules if r.matches(nama, kode)), None)


def classify(lines: pd.DataFrame, rules: BudgetRules) -> pd.DataFrame:
    """Strategy, kind and programme of each line, with the rule that decided each.

    `lines`: kode_kab, kode_skpd, kode_sub_giat, nama_sub_giat, strategi_teks, kelompok_teks, kode_program (as
    the file wrote it, may be empty). Returns the same index with strategi, aturan_strategi, jenis_belanja,
    aturan_jenis, kode_program, aturan_program."""
    decisions = {(d.kode_kab, d.kode_sub_giat, d.kode_skpd): d for d in rules.penyesuaian}
    out = []
    for row in lines.itertuples(index=False):
        nama = str(row.nama_sub_giat or "").lower() if not pd.isna(row.nama_sub_giat) else ""
        kode = str(row.kode_sub_giat or "").lower() if not pd.isna(row.kode_sub_giat) else ""
        code = "" if pd.isna(row.kode_sub_giat) else str(row.kode_sub_giat)
        skpd = None if pd.isna(row.kode_skpd) else str(row.kode_skpd)
        decided = decisions.get((row.kode_kab, code, skpd)) or decisions.get((row.kode_kab, code, None))
        where = (f"penyesuaian_kabupaten.{row.kode_kab}: {decided.sumber}" if decided else None)

        label = " ".join(str(v) for v in (row.strategi_teks, row.kelompok_teks) if not pd.isna(v) and str(v).strip())
        if decided and decided.strategi:
            strategi, aturan_strategi = decided.strategi, where
        elif (hit := _first(rules.label_sipd, label.lower(), "")) if label else None:
            strategi, aturan_strategi = hit.hasil, f"{hit.kode} ({FROM_FILE}: {label})"
        elif hit := _first(rules.strategi, nama, kode):
            strategi, aturan_strategi = hit.hasil, hit.kode
        else:
            strategi, aturan_strategi = UNCLASSIFIED, "tidak ada aturan yang cocok"

        if decided and decided.jenis_belanja:
            jenis, aturan_jenis = decided.jenis_belanja, where
        elif hit := _first(rules.jenis, nama, kode):
            jenis, aturan_jenis = hit.hasil, hit.kode
        else:
            jenis, aturan_jenis = UNCLASSIFIED, "tidak ada aturan yang cocok"

        written = None if pd.isna(row.kode_program) else str(row.kode_program)
        if decided and decided.kode_program:
            program, aturan_program = decided.kode_program, where
        elif written:
            program, aturan_program = written, FROM_FILE
        elif hit := _first(rules.program, nama, kode):
            program, aturan_program = hit.hasil, hit.kode
        else:
            program, aturan_program = None, None
        out.append((strategi, aturan_strategi, jenis, aturan_jenis, program, aturan_program))
    return pd.DataFrame(out, index=lines.index, columns=["strategi", "aturan_strategi", "jenis_belanja", "aturan_jenis",
                                                         "kode_program", "aturan_program"])


def _key(code: pd.Series, name: pd.Series) -> pd.Series:
    named = name.astype("string").str.lower().str.replace(r"[^a-z0-9]+", " ", regex=True).str.strip()
    return code.astype("string").fillna("nama:" + named)


def rupiah(values: pd.Series) -> pd.Series:
    """Amounts as exact Decimals (None when empty): their sums do not depend on the order of the rows, as sums
    of floats do. Staged amounts arrive as Decimal (NUMERIC columns); a float is taken as it prints."""
    def exact(value: object) -> Decimal | None:
        if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
            return None
        try:
            amount = value if isinstance(value, Decimal) else Decimal(repr(value) if isinstance(value, float)
                                                                      else str(value).strip())
        except InvalidOperation:
            return None
        return amount if amount.is_finite() else None

    return pd.Series([exact(v) for v in values], index=values.index, dtype=object)


def pemilik_anggaran(kode_kab: pd.Series) -> pd.Series:
    """'provinsi' for the province's own APBD (a 2-digit code in kode_kab), else 'kabupaten'."""
    own = kode_kab.astype("string").str.len().eq(2).fillna(False).to_numpy(dtype=bool)
    return pd.Series(np.where(own, PEMILIK[1], PEMILIK[0]), index=kode_kab.index, dtype=object)


def budget_lines(rows: pd.DataFrame, rules: BudgetRules, periode: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One classified line per budget owner (regency or province), OPD and sub-activity, and the desa each line
    is spent in.

    `rows`: the period's active `staging.anggaran` rows (any number of regencies and provinces)."""
    year, month = int(periode[:4]), int(periode[5:])
    rows = rows.copy()
    for column in ("pagu", "realisasi_anggaran"):
        rows[column] = rupiah(rows[column])
    rows["realisasi_fisik"] = pd.to_numeric(rows["realisasi_fisik"], errors="coerce").astype(float)
    rows["bulan"] = pd.to_numeric(rows["bulan"], errors="coerce")
    tahun = pd.to_numeric(rows["tahun_anggaran"], errors="coerce")
    rows = rows[tahun.isna() | (tahun == year)]
    rows["giat"] = _key(rows["kode_sub_giat"], rows["nama_sub_giat"])
    rows["opd"] = rows["kode_skpd"].astype("string").fillna(
        "nama:" + rows["nama_skpd"].astype("string").str.lower().str.strip())

    pagu_rows = rows[rows["pagu"].notna()]
    # a month row without OPD: the line of its sub-activity when one OPD alone has it
    owners = pagu_rows.drop_duplicates(["kode_kab", "giat", "opd"]).groupby(["kode_kab", "giat"])["opd"]
    single = owners.agg(lambda s: s.iloc[0] if len(s) == 1 else pd.NA)
    lookup = rows.set_index(["kode_kab", "giat"]).index.map(single.to_dict())
    rows["opd"] = rows["opd"].fillna(pd.Series(np.asarray(lookup, dtype=object), index=rows.index).astype("string"))
    rows = rows[rows["opd"].notna()]
    pagu_rows = rows[rows["pagu"].notna()]

    parts = pagu_rows.drop_duplicates(["kode_kab", "opd", "giat", "nama_dana", "kode_desa", "kode_program", "pagu"])
    keys = ["kode_kab", "opd", "giat"]
    first = pagu_rows.sort_values("baris").groupby(keys, sort=True).agg(
        kode_skpd=("kode_skpd", "first"), nama_skpd=("nama_skpd", "first"),
        kode_program_apbd=("kode_program_apbd", "first"), kode_giat=("kode_giat", "first"),
        kode_sub_giat=("kode_sub_giat", "first"), nama_sub_giat=("nama_sub_giat", "first"),
        kelompok_teks=("kelompok_teks", "first"), strategi_teks=("strategi_teks", "first"),
        submission_id=("submission_id", "max"))
    lines = first.join(parts.groupby(keys)["pagu"].sum())
    # the programme the file names: the one with most pagu on the line
    named = parts.dropna(subset=["kode_program"]).groupby([*keys, "kode_program"])["pagu"].sum().reset_index()
    named = named.sort_values([*keys, "pagu", "kode_program"], ascending=[True, True, True, False, True])
    lines = lines.join(named.drop_duplicates(keys).set_index(keys)["kode_program"])
    lines["baris"] = pagu_rows.groupby(keys)["baris"].agg(lambda b: ",".join(str(int(v)) for v in sorted(b)))

    monthly = rows[rows["bulan"].notna() & (rows["bulan"] <= month) & rows["realisasi_anggaran"].notna()]
    monthly = monthly.drop_duplicates(["kode_kab", "opd", "giat", "nama_dana", "bulan", "realisasi_anggaran"])
    by_month = monthly.groupby(keys)["realisasi_anggaran"].sum()
    to_date = pagu_rows[pagu_rows["bulan"].isna()].dropna(subset=["realisasi_anggaran"])
    to_date = to_date.drop_duplicates(["kode_kab", "opd", "giat", "nama_dana", "kode_desa", "kode_program"])
    cumulative = to_date.groupby(keys)["realisasi_anggaran"].sum()
    lines["realisasi"] = rupiah(by_month.reindex(lines.index).fillna(cumulative.reindex(lines.index)))
    latest = rows[rows["bulan"].notna() & (rows["bulan"] <= month) & rows["realisasi_fisik"].notna()]
    lines["realisasi_fisik"] = latest.sort_values("bulan").groupby(keys)["realisasi_fisik"].last()
    lines["realisasi_melebihi_pagu"] = [r is not None and r > p for r, p in zip(lines["realisasi"], lines["pagu"],
                                                                                 strict=True)]
    lines = lines.reset_index()
    lines["id_sub_kegiatan"] = lines["opd"].astype(str) + "|" + lines["giat"].astype(str)
    # the classification's programme (the file's, a regency decision, or a rule) replaces the written one
    lines = lines.drop(columns="kode_program").join(classify(lines, rules))
    lines.insert(0, "periode", periode)
    lines["tahun_anggaran"] = year
    lines["pemilik_anggaran"] = pemilik_anggaran(lines["kode_kab"])

    located = parts.dropna(subset=["kode_desa"]).groupby([*keys, "kode_desa"])["pagu"].sum().reset_index()
    located = located.merge(lines[[*keys, "id_sub_kegiatan", "pagu"]].rename(columns={"pagu": "pagu_baris"}), on=keys)
    located = located[located["pagu_baris"] > 0]
    lokasi = pd.DataFrame({"periode": periode, "kode_kab": located["kode_kab"],
                           "id_sub_kegiatan": located["id_sub_kegiatan"], "kode_desa": located["kode_desa"],
                           "porsi": [float(part / whole) for part, whole in zip(located["pagu"],
                                                                                located["pagu_baris"], strict=True)]
                           }).reset_index(drop=True)
    columns = ["periode", "kode_kab", "pemilik_anggaran", "id_sub_kegiatan", "tahun_anggaran", "kode_skpd", "nama_skpd",
               "kode_program_apbd", "kode_giat", "kode_sub_giat", "nama_sub_giat", "pagu", "realisasi",
               "realisasi_fisik", "realisasi_melebihi_pagu", "kelompok_teks", "strategi_teks", "strategi",
               "aturan_strategi", "jenis_belanja", "aturan_jenis", "kode_program", "aturan_program", "submission_id",
               "baris"]
    return lines[columns].reset_index(drop=True), lokasi


__all__ = ["JENIS_BELANJA", "PEMILIK", "STRATEGI", "UNCLASSIFIED", "BudgetRules", "budget_lines", "classify",
           "load_budget_rules", "parse_budget_rules", "pemilik_anggaran", "rupiah"]
