"""Which tables of a file to read and what each header cell is: the plan `intake.read` streams rows by.

For every visible sheet (or the CSV) the header row is found with the kind of file's vocabulary
(`sheets.headers`; an operator's confirmed mapping for that header's signature wins), the cells are
adjusted by what their values show (a "Desa" column of 10-digit codes is `kode_desa`; a "Kode Program" of
nomenclature codes is SIPD's programme), and each table gets its role: a registry's families and members (two
sheets, one flat sheet, or families only), a budget's sub-activities and monthly realisation.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from satudata.intake.pertanyaan import MappingNeeded, SheetQuestions, questions_for
from satudata.intake.rows import RawChunk, SheetState
from satudata.intake.value_kinds import settle_by_values
from satudata.reference.program import ProgrammeMatcher
from satudata.reference.wilayah import normalise_kode
from satudata.schema import COLUMNS_OF_JENIS, FAMILY_REGISTRIES
from satudata.sheets.headers import HeaderMatch, Vocabulary, header_key, registry_vocabulary, title_lines
from satudata.sheets.workbook import FileRejected

# (jenis, sheet) -> groups; each group is satisfied by any one of its columns.
REQUIRED_COLUMNS: dict[tuple[str, str], tuple[tuple[str, ...], ...]] = {
    ("dtks", "utama"): (("nik",), ("nama",), ("kode_desa", "nama_desa"), ("no_kk",)),
    ("p3ke", "keluarga"): (("id_keluarga_p3ke", "no_kk"), ("kode_desa", "nama_desa"), ("desil",),
                           ("nik_kepala_keluarga",)),
    ("p3ke", "anggota"): (("id_keluarga_p3ke", "no_kk"), ("nik",), ("nama",)),
    ("dtsen", "keluarga"): (("id_keluarga_dtsen", "no_kk"), ("kode_desa", "nama_desa"), ("desil_nasional",),
                            ("nik_kepala_keluarga",)),
    ("dtsen", "anggota"): (("id_keluarga_dtsen", "no_kk"), ("nik",), ("nama",)),
    ("intervensi", "utama"): (("nik", "no_kk"), ("nama",), ("kode_desa", "nama_desa")),
    ("anggaran", "sub_kegiatan"): (("kode_sub_giat", "nama_sub_giat"), ("pagu",)),
    ("anggaran", "realisasi"): (("kode_sub_giat", "nama_sub_giat"), ("bulan",), ("realisasi_anggaran",)),
}
# Kinds whose workbook holds several tables, each sheet taking its role from its header (`budget_role`).
TABLE_ROLES = {"anggaran": ("sub_kegiatan", "realisasi")}

# A nomenclature code (Permendagri 90/2019 and its updates): urusan.bidang.program[.kegiatan...], X for
# cross-cutting urusan. "1.06.04", "1.06.04.2.01.0002", "X.XX.01".
NOMENCLATURE_CODE = r"[0-9X]{1,2}\.[0-9X]{2}(?:\.[0-9]{1,4}){1,5}"
NOMENCLATURE = re.compile(rf"^{NOMENCLATURE_CODE}$", re.IGNORECASE)


def vocabulary(jenis: str) -> Vocabulary:
    """The regency files' vocabulary, naming only this kind of file's columns (a registry's as its own)."""
    registry = jenis if jenis in ("dtks", "p3ke", "dtsen") else None
    return registry_vocabulary().restricted(COLUMNS_OF_JENIS[jenis], registry)


def missing_required(jenis: str, sheet: str, columns: set[str] | frozenset[str], *, flat: bool = False) -> list[str]:
    """Required groups not satisfied by `columns`, each as "a|b" (any one of them would do)."""
    missing = []
    for group in REQUIRED_COLUMNS.get((jenis, sheet), ()):
        if any(c in columns for c in group):
            continue
        if flat and group == ("nik_kepala_keluarga",) and {"nik", "hubungan_keluarga"} <= set(columns):
            continue  # derived from the head row of each family
        missing.append("|".join(group))
    return missing


@dataclass
class Plan:
    """One table to read: where its header is and how to stream its rows."""

    sheet: str  # utama / keluarga / anggota / flat / sub_kegiatan / realisasi
    header: HeaderMatch
    header_row: int  # 1-based
    title_lines: list[str]
    source_sheet: str | None
    sample: list[list[str]] = field(default_factory=list)  # the first rows under the header, as text
    stream: Callable[[SheetState], Iterator[RawChunk]] | None = None
    flat: bool = False

    def canonicals(self, *, with_doubtful: bool = False) -> set[str]:
        found = set(self.header.columns.values())
        return found | set(self.header.doubtful.values()) if with_doubtful else found


# --------------------------------------------------------------------------------------------- header cells


def adjust_columns(jenis: str, match: HeaderMatch, sample: list[list[str]]) -> None:
    """What a header means in this kind of file, and what the values under it show."""
    _fold_columns(jenis, match)
    settle_by_values(match, sample)
    _remap_code_columns(match, sample)
    if jenis in TABLE_ROLES:
        budget_columns(match, sample)
        _code_column(match, sample)
    match.columns = dict(sorted(match.columns.items()))
    match.unmapped = [match.texts[p] for p in sorted(match.texts) if p not in match.columns]


def _fold_columns(jenis: str, match: HeaderMatch) -> None:
    """Generic headers mapped to another registry's column become this registry's (`FamilyRegistry.folds`)."""
    registry = FAMILY_REGISTRIES.get(jenis)
    if registry is None:
        return
    folds = dict(registry.folds)
    present = set(match.columns.values())
    for pos, canonical in list(match.columns.items()):
        target = folds.get(canonical)
        if target and target not in present:
            match.columns[pos] = target
            present.add(target)
    for pos, canonical in list(match.doubtful.items()):
        if canonical in folds:
            match.doubtful[pos] = folds[canonical]


def _values(sample: list[list[str]], pos: int) -> list[str]:
    return [row[pos].strip() for row in sample if pos < len(row) and row[pos] and row[pos].strip()]


def _remap_code_columns(match: HeaderMatch, sample: list[list[str]]) -> None:
    """A "Desa" column holding 10-digit codes (and no kode_desa column) is the kode_desa column."""
    if "kode_desa" in match.columns.values():
        return
    for pos, canonical in list(match.columns.items()):
        if canonical != "nama_desa":
            continue
        values = _values(sample, pos)
        if len(values) >= 3 and sum(len(normalise_kode(v) or "") == 10 for v in values) >= 0.8 * len(values):
            match.columns[pos] = "kode_desa"


def _code_column(match: HeaderMatch, sample: list[list[str]]) -> None:
    """A budget column of nomenclature codes of every depth (an LRA "Kode Rekening": programme, kegiatan and
    sub-kegiatan rows) is the sub-activity code the lines hang from, whatever its header says: suggested, to be
    confirmed (`intake.totals` then takes the parent rows out as totals)."""
    if {"kode_sub_giat"} & (match.canonicals | set(match.doubtful.values())):
        return
    for pos in sorted(match.texts):
        if pos in match.columns or pos in match.doubtful:
            continue
        values = _values(sample, pos)
        if len(values) >= 3 and sum(bool(_ANY_NOMENCLATURE.match(v)) for v in values) >= 0.8 * len(values):
            match.doubtful[pos] = "kode_sub_giat"
            match.nothing.discard(pos)
            return


_ANY_NOMENCLATURE = re.compile(r"^(?:[0-9X]{1,2}\.[0-9X]{2}(?:\.[0-9]{1,4}){0,5}|[4-6]\.[0-9](?:\.[0-9]{1,4}){0,5})$",
                               re.IGNORECASE)


def budget_columns(match: HeaderMatch, sample: list[list[str]]) -> None:
    """In a budget file a programme column is told by its values: nomenclature codes (1.06.04) are SIPD's
    programme (`kode_program_apbd`), nomenclature names ("PROGRAM PERLINDUNGAN DAN JAMINAN SOSIAL") its name
    (`nama_program_apbd`); only known social programmes (RTLH, BLT Dana Desa ...) stay `kode_program`."""
    programme = {"kode_program", "kode_program_apbd"}
    free = programme - match.canonicals
    unsure = next((p for p, c in match.doubtful.items() if c in programme), None)
    if unsure is not None and free:  # "Kode Program" is both: the other one taken, or the values tell
        match.columns[unsure] = free.pop() if len(free) == 1 else "kode_program"
        del match.doubtful[unsure]
    if "kode_program" not in match.columns.values():
        return
    pos = match.position("kode_program")
    values = _values(sample, pos)
    if not values:
        return
    codes = sum(bool(NOMENCLATURE.match(v)) for v in values)
    if codes >= 0.8 * len(values) and "kode_program_apbd" not in match.canonicals:
        target = "kode_program_apbd"
    else:
        # every programme of the nomenclature is named "PROGRAM ...": a column of such names is SIPD's
        matcher = ProgrammeMatcher.load()
        known = sum(matcher.code_for(v) is not None for v in values)
        named = sum(v.strip().lower().startswith("program ") for v in values)
        if known >= 0.5 * len(values) or named < 0.8 * len(values) or "nama_program_apbd" in match.canonicals:
            return
        target = "nama_program_apbd"
    match.columns[pos] = target
    # the next header naming a programme ("Program Sasaran" beside "Kode Program") is the social one
    later = match.repeated.pop("kode_program", [])
    if later:
        match.columns[later[0]] = "kode_program"


def budget_role(plan: Plan) -> str:
    """A budget sheet is the sub-activity list when it carries pagu, else the monthly realisation."""
    found = plan.canonicals(with_doubtful=True)
    if "pagu" in found:
        return "sub_kegiatan"
    name = header_key(plan.source_sheet or "")
    if "bulan" in found or "realisasi" in name.split():
        return "realisasi"
    return "sub_kegiatan"


_HEAD_OF = {"nik": "nik_kepala_keluarga", "nama": "nama_kepala_keluarga",
            "jenis_kelamin": "jenis_kelamin_kepala_keluarga"}


def as_family_sheet(match: HeaderMatch) -> None:
    """On a family sheet a person column describes the head: "NIK" there is the NIK of the Kepala Keluarga."""
    present = set(match.columns.values())
    for pos, canonical in list(match.columns.items()):
        target = _HEAD_OF.get(canonical)
        if target and target not in present:
            match.columns[pos] = target
            present.add(target)
    for pos, canonical in list(match.doubtful.items()):
        if canonical in _HEAD_OF and _HEAD_OF[canonical] not in present:
            match.doubtful[pos] = _HEAD_OF[canonical]


_ANGGOTA_WORDS = frozenset({"anggota", "art", "individu", "jiwa", "member", "members", "person", "orang"})
_KELUARGA_WORDS = frozenset({"keluarga", "krt", "kk", "ruta", "rumah", "household", "families", "family", "rt"})


def sheet_role(name: str) -> str | None:
    """A family registry's sheet role from its name: "anggota", "keluarga" or None."""
    words = set(header_key(name).split())
    if words & _ANGGOTA_WORDS:
        return "anggota"
    if words & _KELUARGA_WORDS:
        return "keluarga"
    return None


def family_only(jenis: str, plan: Plan) -> bool:
    """A registry's table of families without members: no relationship column, family columns, and a family
    key no two rows share (a member list repeats its family's key); without a key to tell, a member count."""
    registry = FAMILY_REGISTRIES[jenis]
    found = plan.canonicals()
    if "hubungan_keluarga" in found or not found & {*registry.desil_columns, "jumlah_anggota", "nik_kepala_keluarga"}:
        return False
    key = next((plan.header.position(c) for c in (registry.family_id, "no_kk") if c in found), None)
    keys = _values(plan.sample, key) if key is not None else []
    if len(keys) < 2:
        return "jumlah_anggota" in found
    return len(set(keys)) == len(keys)


# --------------------------------------------------------------------------------------------- tables


def find_plan(jenis: str, texts: list[list[str]], options, source_sheet: str | None) -> Plan | None:
    """The header of one grid of text (rows as read), as a plan without its stream; None when no row names
    enough known columns."""
    match = vocabulary(jenis).find_header(texts, options.header_search_rows, known=known_mappings(options))
    if match is None:
        return None
    sample = texts[match.row + 1:]
    adjust_columns(jenis, match, sample)
    return Plan("utama", match, match.row + 1, title_lines(texts, match.first_row), source_sheet, sample)


def _coverage(jenis: str, sheet: str, plan: Plan, flat: bool = False) -> tuple[int, int]:
    groups = REQUIRED_COLUMNS.get((jenis, sheet), ())
    missing = len(missing_required(jenis, sheet, plan.canonicals(with_doubtful=True), flat=flat))
    return len(groups) - missing, plan.header.score


def choose_tables(jenis: str, found: list[tuple[str, Plan | None]], ignored: list[str]) -> list[Plan]:
    """The tables to read among the visible sheets (name, plan or None), each with its role; the sheets left
    out are named in `ignored` with the reason."""
    names = [name for name, _ in found]
    with_header = [(name, plan) for name, plan in found if plan is not None]
    if not with_header:
        raise FileRejected("no_header", "no row among the first rows of "
                           f"{', '.join(repr(v) for v in names)} names at least two known columns")
    if jenis in TABLE_ROLES:
        chosen = _budget_tables(jenis, with_header, names)
    elif jenis in FAMILY_REGISTRIES:
        chosen = _registry_tables(jenis, with_header, names)
    else:
        name, plan = max(with_header, key=lambda t: (_coverage(jenis, "utama", t[1]), -names.index(t[0])))
        plan.sheet = "utama"
        chosen = [plan]
    used = {plan.source_sheet for plan in chosen}
    for name, plan in found:
        if name not in used:
            ignored.append(f"{name}: " + ("not used for this kind of file" if plan is not None else "no header"))
    return chosen


def _budget_tables(jenis: str, with_header: list[tuple[str, Plan]], names: list[str]) -> list[Plan]:
    """Every sheet holding one of the budget's tables, under its role; none complete: the closest one."""
    complete = []
    for _name, plan in with_header:
        plan.sheet = budget_role(plan)
        if not missing_required(jenis, plan.sheet, plan.canonicals(with_doubtful=True)):
            complete.append(plan)
    if complete:
        return complete
    return [max((p for _, p in with_header), key=lambda p: (_coverage(jenis, p.sheet, p), -names.index(p.source_sheet)))]


def _registry_tables(jenis: str, with_header: list[tuple[str, Plan]], names: list[str]) -> list[Plan]:
    """Families and members: two sheets (by name, else by header), one flat sheet, or families only."""
    registry = FAMILY_REGISTRIES[jenis]
    roles: dict[str, list[Plan]] = {"keluarga": [], "anggota": []}
    by_kind: dict[str | None, list[Plan]] = {}
    for name, plan in with_header:
        role = sheet_role(name)
        if role:
            roles[role].append(plan)
            continue
        found = plan.canonicals(with_doubtful=True)
        person, family = {"nik", "nama"} <= found, bool(found & registry.family_only)
        kind = ("keluarga" if family and not person else "anggota" if person and not family
                else "mixed" if person else None)
        by_kind.setdefault(kind, []).append(plan)
    for role in ("keluarga", "anggota"):
        roles[role] = roles[role] or by_kind.get(role, [])
    mixed = by_kind.get("mixed", [])
    # One role found and an unnamed sheet with person *and* family columns: that sheet is the other role
    # (a family sheet often carries the head's NIK and name).
    if roles["anggota"] and not roles["keluarga"] and mixed:
        roles["keluarga"] = mixed
    elif roles["keluarga"] and not roles["anggota"] and mixed:
        roles["anggota"] = mixed

    def best(plans: list[Plan], role: str, flat: bool = False) -> Plan:
        return max(plans, key=lambda p: (_coverage(jenis, role, p, flat), -names.index(p.source_sheet)))

    if roles["keluarga"] and roles["anggota"]:
        family, members = best(roles["keluarga"], "keluarga"), best(roles["anggota"], "anggota")
        as_family_sheet(family.header)
        family.sheet, members.sheet = "keluarga", "anggota"
        return [family, members]
    flat = [p for _, p in with_header if {"nik", "nama"} <= p.canonicals(with_doubtful=True)
            and p.canonicals(with_doubtful=True) & {*registry.desil_columns, "nik_kepala_keluarga", registry.family_id}]
    families = roles["keluarga"] or [p for _, p in with_header if family_only(jenis, p)]
    if families and (not flat or all(family_only(jenis, p) for p in flat)):
        plan = best(families, "keluarga")  # a recap of families: no member rows at all
        as_family_sheet(plan.header)
        plan.sheet = "keluarga"
        return [plan]
    if not flat:
        raise FileRejected("sheet_missing", f"{registry.label} needs a member sheet or one flat sheet of members "
                           f"with the family columns; found {', '.join(repr(v) for v in names)}",
                           label=registry.label)
    plan = best(flat, "keluarga", True)
    plan.sheet, plan.flat = "flat", True
    return [plan]


# --------------------------------------------------------------------------------------------- questions


def ask_or_refuse(jenis: str, plans: list[Plan], sheet_metas) -> None:
    """Hold the file with questions when a column later stages use is not named with confidence; refuse it
    when a required column is missing and no header is left to ask about."""
    questions: list[SheetQuestions] = []
    for plan in plans:
        for meta in sheet_metas(jenis, plan):
            found = plan.canonicals()
            missing = missing_required(jenis, meta.sheet, found, flat=plan.flat)
            asked = questions_for(jenis, meta.sheet if not plan.flat else "flat", plan.header, plan.sample,
                                  missing=missing, source_sheet=plan.source_sheet, header_row=plan.header_row)
            if asked is not None and all(q.tanda_header != asked.tanda_header for q in questions):
                questions.append(asked)
    if questions:
        raise MappingNeeded(questions)
    for plan in plans:
        for meta in sheet_metas(jenis, plan):
            if meta.missing_required:
                found = plan.canonicals()
                detail = (f"{jenis}/{meta.sheet}: required column(s) {', '.join(meta.missing_required)} not found "
                          f"in header row {plan.header_row}"
                          + (f" of sheet {plan.source_sheet!r}" if plan.source_sheet else ""))
                if "kode_desa|nama_desa" in meta.missing_required and "kode_desa_bps" in found:
                    detail += "; the file has BPS village codes (kode_desa_bps) instead of Kemendagri codes"
                raise FileRejected("missing_columns", detail, missing_columns=meta.missing_required)


def known_mappings(options) -> Mapping[str, Mapping[str, str | None]] | None:
    return getattr(options, "known_mappings", None) or None


__all__ = ["NOMENCLATURE", "NOMENCLATURE_CODE", "REQUIRED_COLUMNS", "TABLE_ROLES", "Plan", "adjust_columns",
           "as_family_sheet", "ask_or_refuse", "budget_columns", "budget_role", "choose_tables", "family_only",
           "find_plan", "known_mappings", "missing_required", "sheet_role", "vocabulary"]
