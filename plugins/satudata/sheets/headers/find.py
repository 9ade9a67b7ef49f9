"""Finding the header row of a table and mapping each of its cells, with a confidence per cell.

    vocabulary = Vocabulary({"id_dtks": ["ID DTKS"], "keputusan": ["Keputusan"]})
    match = vocabulary.find_header(rows, required=("id_dtks",))
    match.columns        # position -> canonical column, for the cells named with confidence
    match.doubtful       # position -> the column suggested for a cell that needs confirming
    match.judgements     # position -> the whole judgement (candidates, scores)

A `Vocabulary` is the known spellings of one kind of table's columns (`matcher.ColumnModel`); the regency
files' vocabulary is built from the header corpus (`corpus.registry_vocabulary`), review answers and person
lists have their own. All of them are found by the one `find_header`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from satudata.sheets.headers.lexicon import Lexicon, ascii_words
from satudata.sheets.headers.matcher import ColumnModel, Judgement

_DATA_LIKE = re.compile(r"[0-9]{5,}|^[0-9]{1,4}[-/.][0-9]{1,2}[-/.][0-9]{2,4}$")
STOP_WORDS = frozenset({"no", "nomor", "nmr", "nomer", "nomr", "nr", "num", "number"})


def cell_text(value: object) -> str:
    """A header/title cell as display text."""
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value).strip()


def header_key(text: object, *, keep_parens: bool = False) -> str:
    """A cell as lower-case ASCII words without filler words ("No. KK" -> "kk"); a cell of filler words only
    keeps them. For names of sheets and folders; headers are read by the lexicon."""
    value = "" if text is None else str(text)
    if not keep_parens:
        value = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", value)
    words = ascii_words(value)
    kept = [w for w in words if w not in STOP_WORDS]
    return " ".join(kept or words)


def compact_key(text: object) -> str:
    return header_key(text).replace(" ", "")


def header_signature(texts: Sequence[str]) -> str:
    """The signature of a header: its cells, read as words, in order. Two files whose headers differ only
    in case, spacing or punctuation share it (`meta.pemetaan_kolom`)."""
    joined = "\x1f".join(" ".join(ascii_words(t)) for t in texts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


@dataclass
class HeaderMatch:
    """One header: positions -> canonical columns, with how sure each is."""

    row: int  # 0-based index into the rows examined (the lower row of a two-row header)
    first_row: int  # 0-based index of the upper row (== row for one-row headers)
    columns: dict[int, str] = field(default_factory=dict)  # position -> canonical (named with confidence)
    texts: dict[int, str] = field(default_factory=dict)  # position -> original header text
    unmapped: list[str] = field(default_factory=list)  # texts of the cells not taken
    # canonical -> further positions naming it with confidence, after the one that took it
    repeated: dict[str, list[int]] = field(default_factory=dict)
    doubtful: dict[int, str] = field(default_factory=dict)  # position -> suggested column, to confirm
    nothing: set[int] = field(default_factory=set)  # positions of known headers of no column ("Keterangan")
    judgements: dict[int, Judgement] = field(default_factory=dict)
    confirmed: bool = False  # the mapping is one an operator confirmed (`meta.pemetaan_kolom`)

    @property
    def score(self) -> int:
        return len(self.columns)

    @property
    def canonicals(self) -> set[str]:
        return set(self.columns.values())

    def position(self, canonical: str) -> int | None:
        return next((p for p, c in self.columns.items() if c == canonical), None)

    @property
    def signature(self) -> str:
        width = max(self.texts, default=-1) + 1
        return header_signature([self.texts.get(p, "") for p in range(width)])

    def confidence(self, position: int) -> float:
        if self.confirmed:
            return 1.0
        judgement = self.judgements.get(position)
        return judgement.skor if judgement is not None else 0.0


class Vocabulary:
    """The header texts of one kind of table: canonical column -> the spellings people write."""

    def __init__(self, aliases: Mapping[str, Sequence[str]], *, lexicon: Lexicon | None = None,
                 allowed: frozenset[str] | None = None):
        self.aliases = {canonical: list(variants) for canonical, variants in aliases.items()}
        self.model = ColumnModel(self.aliases, lexicon or Lexicon.load())
        self.allowed = allowed
        self.registry: str | None = None

    @property
    def canonical_columns(self) -> tuple[str, ...]:
        return self.model.columns

    def restricted(self, allowed: frozenset[str], registry: str | None = None) -> Vocabulary:
        """The same spellings, naming only `allowed` columns (a kind of file's own); a registry's file reads a
        header that names no registry as its own registry's column ("ID Keluarga" in a DTSEN extract)."""
        view = object.__new__(Vocabulary)
        view.aliases, view.model, view.allowed, view.registry = self.aliases, self.model, frozenset(allowed), registry
        return view

    def judge(self, text: object) -> Judgement:
        return self.model.judge(text, self.allowed, self.registry)

    def exact(self, text: object) -> str | None:
        """The column a header names with confidence, or None."""
        return self.judge(text).kolom

    def map_header(self, cells: Sequence[object]) -> HeaderMatch:
        """Map one header row. A column named by several cells goes to the surest, the leftmost on a tie; the
        others are `repeated` (and not taken)."""
        match = HeaderMatch(row=-1, first_row=-1)
        claims: dict[str, list[tuple[float, int]]] = {}
        for pos, raw in enumerate(cells):
            text = cell_text(raw)
            if not text:
                continue
            match.texts[pos] = text
            judgement = self.judge(text)
            match.judgements[pos] = judgement
            if judgement.kolom is not None:
                claims.setdefault(judgement.kolom, []).append((-judgement.skor, pos))
            elif judgement.tingkat == "ragu" and judgement.usulan is not None:
                match.doubtful[pos] = judgement.usulan
            elif judgement.tanpa_kolom:
                match.nothing.add(pos)
        for canonical, bids in claims.items():
            bids.sort()
            match.columns[bids[0][1]] = canonical
            if len(bids) > 1:
                match.repeated[canonical] = sorted(pos for _, pos in bids[1:])
        match.columns = dict(sorted(match.columns.items()))
        match.unmapped = [match.texts[p] for p in sorted(match.texts) if p not in match.columns]
        return match

    def combine_rows(self, upper: Sequence[object], lower: Sequence[object]) -> list[str]:
        """Cell-by-cell header of a two-row header.

        A group title carries to the right over the cells it spans (merged or not) and is tried together with
        each name under it: "NIK" under "Kepala Keluarga" is "NIK Kepala Keluarga"; "Tempat" / "Tanggal" under
        "Tempat/Tanggal Lahir" are "Tempat Lahir" / "Tanggal Lahir". Otherwise the lower name wins when it is
        known, the upper one when only it is known.
        """
        out: list[str] = []
        group = ""
        for c in range(max(len(upper), len(lower))):
            lo = cell_text(lower[c]) if c < len(lower) else ""
            up = cell_text(upper[c]) if c < len(upper) else ""
            if up:
                group = up
            choice = None
            if lo and group and group != lo:
                last = header_key(group).rsplit(" ", 1)[-1]
                for candidate in (f"{lo} {group}", f"{group} {lo}", f"{lo} {last}"):
                    if self.exact(candidate) is not None:
                        choice = candidate
                        break
            if choice is None:
                if lo and (self.exact(lo) is not None or not up or self.exact(up) is None):
                    choice = lo
                else:
                    choice = up or lo
            out.append(choice)
        return out

    def find_header(self, rows: Sequence[Sequence[object]], search_rows: int = 30, *,
                    required: Sequence[str] = (), min_score: int = 2,
                    known: Mapping[str, Mapping[str, str | None]] | None = None) -> HeaderMatch | None:
        """Best header among the first `search_rows` rows.

        A row whose signature is among `known` (confirmed mappings: signature -> {cell position: column or
        None}) is the header, mapped as confirmed. Otherwise: score = distinct columns named with confidence;
        a row qualifies with at least `min_score` of them, every `required` one among them (or with one of
        them and three or more cells that are all at least a suggestion). The best qualifying row wins, the
        earliest on a tie. A two-row header (a group title row above the names, or names split over two rows)
        is the pair (r, r+1) combined cell by cell (`combine_rows`); it wins only when it names strictly more
        columns than either row alone and the lower row does not look like data (long digit runs, dates).
        """
        limit = min(len(rows), search_rows)
        needed = set(required)
        texts = [[cell_text(c) for c in row] for row in rows[:limit]]
        if known:
            confirmed = self._confirmed_header(texts, known)
            if confirmed is not None:
                return confirmed

        def qualifies(m: HeaderMatch) -> bool:
            # a header names known columns; known headers of no column ("Kode Rekening", "Keterangan") and
            # suggestions count as header words too, beside at least one column named with confidence
            if not needed <= m.canonicals:
                return False
            evidence = m.score + len(m.doubtful) + len(m.nothing)
            return m.score >= min_score or (m.score >= 1 and evidence >= max(min_score, 3))

        def weight(m: HeaderMatch) -> float:
            return m.score + 0.5 * len(m.doubtful) + 0.25 * len(m.nothing)

        best: HeaderMatch | None = None
        singles: list[HeaderMatch] = []
        for r in range(limit):
            m = self.map_header(texts[r])
            m.row = m.first_row = r
            singles.append(m)
            if qualifies(m) and (best is None or weight(m) > weight(best)):
                best = m
        for r in range(limit - 1):
            upper, lower = texts[r], texts[r + 1]
            if not any(upper) or not any(lower) or _looks_like_data(lower):
                continue
            m = self.map_header(self.combine_rows(upper, lower))
            m.row, m.first_row = r + 1, r
            if qualifies(m) and m.score > max(singles[r].score, singles[r + 1].score) and (
                best is None or weight(m) > weight(best)
            ):
                best = m
        return best

    def _confirmed_header(self, texts: list[list[str]], known: Mapping[str, Mapping[str, str | None]]
                          ) -> HeaderMatch | None:
        candidates = [(r, r, texts[r]) for r in range(len(texts))]
        candidates += [(r + 1, r, self.combine_rows(texts[r], texts[r + 1])) for r in range(len(texts) - 1)
                       if any(texts[r]) and any(texts[r + 1])]
        for row, first, cells in candidates:
            width = max((i for i, c in enumerate(cells) if c), default=-1) + 1
            mapping = known.get(header_signature(cells[:width])) if width else None
            if mapping is None:
                continue
            match = HeaderMatch(row=row, first_row=first, confirmed=True)
            for pos, text in enumerate(cells[:width]):
                if not text:
                    continue
                match.texts[pos] = text
                canonical = mapping.get(str(pos))
                if canonical:
                    match.columns[pos] = canonical
                else:
                    match.unmapped.append(text)
            return match
        return None

    def best_effort(self, rows: Sequence[Sequence[object]], search_rows: int = 30) -> HeaderMatch:
        """The row naming the most known columns (none required), for messages about a header not found."""
        found = self.find_header(rows, search_rows, min_score=1)
        return found if found is not None else HeaderMatch(row=-1, first_row=-1)


def title_lines(rows: Sequence[Sequence[object]], upto: int) -> list[str]:
    """The non-empty rows above a header (row index `upto`), each as one line of text: where a period
    ("Periode: November 2026") or a region is written."""
    lines = []
    for row in rows[:upto]:
        parts = [text for text in (cell_text(c) for c in row) if text]
        if parts:
            lines.append(" ".join(parts))
    return lines


def _looks_like_data(cells: Sequence[str]) -> bool:
    return any(_DATA_LIKE.search(c) for c in cells if c)


__all__ = ["HeaderMatch", "Vocabulary", "cell_text", "compact_key", "header_key", "header_signature", "title_lines"]
