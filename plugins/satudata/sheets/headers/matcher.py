"""Which canonical column a header names, with a score: compared word by word with every known spelling.

    model = ColumnModel({"nik": ["NIK", "Nomor Induk Kependudukan"], ...}, lexicon)
    judgement = model.judge("No. Induk Kependudukan")
    judgement.kolom, judgement.skor, judgement.tingkat       # 'nik', 1.0, 'pasti'

Spellings are examples, not a lookup table: a header is read as words (`lexicon`) and compared with every
spelling that shares a word with it. The score of a spelling is half *the head* and half *the words*:

- Indonesian names its thing first: "Bulan Realisasi" is a month, "Realisasi s.d. Bulan Ini" a realisation.
  The head is the first word, or the first two when the first is a generic class word ("Kode Desa",
  "Jenis Kelamin"). Same head: 1; same first word only: 0.6; else 0.
- The words: weighted Jaccard of the two word sets, each word weighted by how few columns use it (a word of
  one column, "desil", says more than "kode"). A word no spelling has weighs the median: it is evidence the
  header speaks of something else.

A column's score is its best spelling's. The judgement is `pasti` (the column is taken) when the best score
reaches `hi` and beats every other column by `margin`; `ragu` (a suggestion to confirm) from `lo`; `tidak`
below. Headers that are known to name no column ("Keterangan", "Nama Ibu Kandung", "Sisa Anggaran") are
spellings of the class `NOTHING`: when it wins, the header maps to nothing, confidently.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from satudata.sheets.headers.lexicon import Lexicon, Reading

NOTHING = "-"  # the class of headers that name no column we read
HEAD_WEIGHT = 0.5
SAME_FIRST_WORD = 0.6
REGISTRY_MISMATCH = 0.5
OTHER_REGISTRY = 0.85
OTHER_PERSON = 0.6


@dataclass(frozen=True)
class Candidate:
    kolom: str
    skor: float
    ejaan: str  # the known spelling it came closest to


@dataclass(frozen=True)
class Judgement:
    text: str
    kandidat: tuple[Candidate, ...]  # best per column, best first
    hi: float
    lo: float
    margin: float

    @property
    def best(self) -> Candidate | None:
        return self.kandidat[0] if self.kandidat else None

    @property
    def skor(self) -> float:
        return self.kandidat[0].skor if self.kandidat else 0.0

    @property
    def selisih(self) -> float:
        """How far the best column is ahead of the next one."""
        if not self.kandidat:
            return 0.0
        return self.kandidat[0].skor - (self.kandidat[1].skor if len(self.kandidat) > 1 else 0.0)

    @property
    def tingkat(self) -> str:
        """`pasti` (taken), `ragu` (to confirm) or `tidak` (no column)."""
        if not self.kandidat or self.skor < self.lo:
            return "tidak"
        return "pasti" if self.skor >= self.hi and self.selisih >= self.margin else "ragu"

    @property
    def kolom(self) -> str | None:
        """The column this header names with confidence (None: none, or not sure)."""
        if self.tingkat != "pasti" or self.kandidat[0].kolom == NOTHING:
            return None
        return self.kandidat[0].kolom

    @property
    def usulan(self) -> str | None:
        """The column to suggest when not sure: the best real column scoring at least `lo`."""
        for candidate in self.kandidat:
            if candidate.skor < self.lo:
                return None
            if candidate.kolom != NOTHING:
                return candidate.kolom
        return None

    @property
    def tanpa_kolom(self) -> bool:
        """Known to name no column we read."""
        return self.tingkat == "pasti" and self.kandidat[0].kolom == NOTHING


@dataclass(frozen=True)
class _Spelling:
    kolom: str
    text: str
    words: frozenset[str]
    head: Reading
    first: str
    registries: frozenset[str] = frozenset()  # the registries its column belongs to (from the column's name)


@dataclass(eq=False)
class ColumnModel:
    """Known spellings of columns, compared with headers (see the module docstring)."""

    spellings: Mapping[str, Iterable[str]]
    lexicon: Lexicon
    hi: float = 0.8
    lo: float = 0.5
    margin: float = 0.08
    _items: list[_Spelling] = field(init=False, repr=False)
    _index: dict[str, list[int]] = field(init=False, repr=False)
    _weights: dict[str, float] = field(init=False, repr=False)
    _unknown: float = field(init=False, repr=False)
    _registries_of: dict[str, frozenset[str]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        texts = {kolom: list(dict.fromkeys(str(t) for t in variants)) for kolom, variants in self.spellings.items()}
        vocabulary = {w for kolom, variants in texts.items() for text in variants for w in _plain_words(text)}
        self.lexicon = self.lexicon.with_vocabulary(vocabulary)
        items: list[_Spelling] = []
        own = {k: frozenset(k.split("_")) & self.lexicon.registries for k in texts}
        self._registries_of = own
        for kolom, variants in texts.items():
            for text in (*((kolom,) if kolom != NOTHING else ()), *variants):
                # a spelling is what it says first: "KK" of no_kk is the family card, not also a head of family
                for reading in self.lexicon.readings(text, brackets_optional=False)[:1]:
                    items.append(_Spelling(kolom, text, frozenset(reading), self._head(reading), reading[0],
                                           own.get(kolom, frozenset())))
        self._items = items
        columns_of: dict[str, set[str]] = defaultdict(set)
        for item in items:
            for word in item.words:
                columns_of[word].add(item.kolom)
        total = len({item.kolom for item in items}) or 1
        self._weights = {w: math.log(1 + total / len(cs)) for w, cs in columns_of.items()}
        self._unknown = statistics.median(self._weights.values()) if self._weights else 1.0
        index: dict[str, list[int]] = defaultdict(list)
        for i, item in enumerate(items):
            for word in item.words:
                index[word].append(i)
        self._index = dict(index)

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(k for k in self.spellings if k != NOTHING)

    def _head(self, reading: Reading) -> Reading:
        if len(reading) > 1 and reading[0] in self.lexicon.class_words:
            return reading[:2]
        return reading[:1]

    def _weight(self, word: str) -> float:
        return self._weights.get(word, self._unknown)

    def _similarity(self, reading: Reading, words: frozenset[str], item: _Spelling) -> float:
        head = self._head(reading)
        if head == item.head:
            head_score = 1.0
        elif reading[0] == item.first:
            head_score = SAME_FIRST_WORD
        else:
            head_score = 0.0
        shared = sum(self._weight(w) for w in words & item.words)
        union = sum(self._weight(w) for w in words | item.words)
        score = HEAD_WEIGHT * head_score + (1 - HEAD_WEIGHT) * (shared / union if union else 0.0)
        registries = words & self.lexicon.registries
        if registries and item.registries and not registries & item.registries:
            score *= REGISTRY_MISMATCH  # "ID Individu DTKS" is no P3KE id, whatever else it shares
        if (words & self.lexicon.others) - item.words:
            score *= OTHER_PERSON  # "Tanggal Lahir Ayah" is not the person's own date of birth
        return score

    def judge(self, text: object, allowed: frozenset[str] | None = None, registry: str | None = None) -> Judgement:
        """The columns this header may name, best first (only `allowed` ones, and `NOTHING`, when given; a
        header naming no registry is read as the file's `registry`'s, other things equal)."""
        key = text if isinstance(text, str) else ("" if text is None else str(text))
        return _judge(self, key.strip(), allowed, registry)

    def _rank(self, text: str, allowed: frozenset[str] | None, registry: str | None) -> tuple[Candidate, ...]:
        best_reading: tuple[Candidate, ...] = ()
        for reading in self.lexicon.readings(text):
            words = frozenset(reading)
            per_column: dict[str, Candidate] = {}
            seen: set[int] = set()
            for word in words:
                for i in self._index.get(word, ()):
                    if i in seen:
                        continue
                    seen.add(i)
                    item = self._items[i]
                    if allowed is not None and item.kolom != NOTHING and item.kolom not in allowed:
                        continue
                    score = round(self._similarity(reading, words, item), 4)
                    current = per_column.get(item.kolom)
                    if current is None or score > current.skor:
                        per_column[item.kolom] = Candidate(item.kolom, score, item.text)
            if registry and not words & self.lexicon.registries:
                per_column = self._own_registry_first(per_column, registry)
            ranked = tuple(sorted(per_column.values(), key=lambda c: (-c.skor, c.kolom)))
            # the first reading is preferred: a later one must do strictly better
            if ranked and (not best_reading or ranked[0].skor > best_reading[0].skor):
                best_reading = ranked
        return best_reading[:6]


    def _own_registry_first(self, per_column: dict[str, Candidate], registry: str) -> dict[str, Candidate]:
        """A header naming no registry, in a registry's file ("ID Keluarga" in a DTSEN extract): where the file's
        own registry has a column as good as another registry's, the other's steps back. Where it has none,
        nothing changes (the other registry's column is folded into the file's own by intake)."""
        best = max((c.skor for c in per_column.values()), default=0.0)
        own = [c for k, c in per_column.items() if registry in self._registries_of.get(k, ())]
        if not own or max(c.skor for c in own) < best - self.margin:
            return per_column
        return {k: (Candidate(k, round(c.skor * OTHER_REGISTRY, 4), c.ejaan)
                    if self._registries_of.get(k) and registry not in self._registries_of[k] else c)
                for k, c in per_column.items()}


@lru_cache(maxsize=262144)
def _judge(model: ColumnModel, text: str, allowed: frozenset[str] | None, registry: str | None) -> Judgement:
    return Judgement(text, model._rank(text, allowed, registry), model.hi, model.lo, model.margin)


def _plain_words(text: str) -> list[str]:
    from satudata.sheets.headers.lexicon import ascii_words

    return ascii_words(text)


__all__ = ["NOTHING", "Candidate", "ColumnModel", "Judgement"]
