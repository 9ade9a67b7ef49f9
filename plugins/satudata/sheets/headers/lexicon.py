"""Reading a header as words: case, accents, punctuation, glued abbreviations, synonyms and filler words.

    lexicon = Lexicon.load()
    lexicon.readings("HUB. DGN KRT")   -> (("hubungan", "kepala", "rumah", "tangga"),)
    lexicon.readings("NO_KK")          -> (("kartu", "keluarga"), ("kepala", "keluarga"))

A header and every known spelling of a column are read the same way, so what the lexicon knows is a word
("tgl" is "tanggal"), never a whole header. The lexicon is data: `include/kolom/leksikon.yaml`.

Steps, in order: a leading enumerator ("1.", "(2)") is dropped; camelCase and letter/digit boundaries split;
everything but ASCII letters and digits separates words ("%" is "persen"); a word the lexicon does not know is
split into known words when it is several glued together ("NOKK", "TGLLHR", "IDDTKS"), else repaired when it is
one typing slip away from exactly one known word ("Tangal"); synonym phrases are replaced (longest first), then
abbreviations expanded (an ambiguous one gives several readings); filler words go last.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from satudata.config import kolom_dir

Reading = tuple[str, ...]

_ENUMERATOR = re.compile(r"^\s*(?:\(\s*[0-9]{1,2}\s*\)|[0-9]{1,2}\s*[.)])\s*(?=\S)")
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_WORD = re.compile(r"[a-z]+|[0-9]+")
MAX_READINGS = 6  # an ambiguous header gives at most this many readings (the first ones by preference)


def ascii_words(text: object) -> list[str]:
    """Lower-case ASCII words of a cell; "%" becomes "persen"; letters spaced out ("N I K") are one word.
    Total: never raises."""
    if text is None:
        return []
    value = text if isinstance(text, str) else str(text)
    value = _ENUMERATOR.sub("", value)
    value = _CAMEL.sub(" ", value).replace("%", " persen ")
    value = unicodedata.normalize("NFKD", value)
    value = "".join(ch for ch in value if not unicodedata.combining(ch)).lower()
    words = _WORD.findall(value.encode("ascii", "ignore").decode("ascii"))
    out: list[str] = []
    run: list[str] = []  # consecutive single letters: "N I K" is "nik", "L / P" is "lp"
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if run:
            out.extend(["".join(run)] if len(run) > 1 else run)
            run = []
        if word:
            out.append(word)
    return out


def _damerau(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment distance, stopping early above `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


@dataclass(frozen=True, eq=False)  # hashed by identity: readings are cached per lexicon
class Lexicon:
    filler: frozenset[str]  # words that say nothing about the column
    own: frozenset[str]  # after the head word, the record's own person or a figure's version: nothing either
    class_words: frozenset[str]
    registries: frozenset[str]  # registry names: an id or desil of one registry is never another's
    others: frozenset[str]  # words naming another person than the record's own ("ibu", "ayah", "pendamping")
    abbreviations: dict[str, tuple[Reading, ...]]  # word -> its meanings, in order of preference
    synonyms: dict[Reading, Reading]  # phrase -> the words it is read as
    vocabulary: frozenset[str]  # every word a column is spelled with (filled by the matcher)

    @classmethod
    def from_yaml(cls, path: Path) -> Lexicon:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        _only_text(data, path)

        def words(text: object) -> Reading:
            return tuple(ascii_words(text))

        abbreviations = {w: tuple(words(m) for m in meanings)
                         for w, meanings in (data.get("singkatan") or {}).items()}
        synonyms = {words(phrase): words(target) for phrase, target in (data.get("sinonim") or {}).items()}
        for key in list(abbreviations) + [w for phrase in synonyms for w in phrase]:
            if not key:
                raise ValueError(f"{path}: an empty word in the lexicon")
        return cls(frozenset(data.get("kata_pengisi") or ()), frozenset(data.get("kata_diri") or ()),
                   frozenset(data.get("kata_kelas") or ()), frozenset(data.get("kata_registri") or ()),
                   frozenset(data.get("kata_orang_lain") or ()), abbreviations, synonyms, frozenset())

    @classmethod
    def load(cls) -> Lexicon:
        return _default()

    def with_vocabulary(self, words: set[str]) -> Lexicon:
        """This lexicon knowing the words of a set of spellings. A spelling's word that is itself known words
        glued together ("NOKK", "IDDTKS") is not kept as a word: it is always read as its parts."""
        base = set(self.abbreviations) | self.filler | self.own | self.class_words | {w for p in self.synonyms for w in p}
        known = base | set(words)
        glued = {w for w in set(words) - base if self._with(frozenset(known - {w})).split_glued(w) is not None}
        return self._with(frozenset(known - glued))

    def _with(self, vocabulary: frozenset[str]) -> Lexicon:
        return Lexicon(self.filler, self.own, self.class_words, self.registries, self.others, self.abbreviations,
                       self.synonyms, vocabulary)

    # -- reading ---------------------------------------------------------------------------------------

    def readings(self, text: object, *, brackets_optional: bool = True) -> tuple[Reading, ...]:
        """Every way the header can be read, the preferred first; () for a cell without words. A note in
        brackets ("(16 digit)") may say nothing of the column: the readings without it follow, unless
        `brackets_optional` is False (a known spelling, whose brackets are part of it: "Kode Desa (BPS)")."""
        key = text if isinstance(text, str) else ("" if text is None else str(text))
        return _readings(self, key) if brackets_optional else _text_readings(self, key)

    def split_glued(self, word: str) -> list[str] | None:
        """A word made of known words glued together, split into as few of them as possible (each of at
        least two letters), or None."""
        if len(word) < 4 or not word.isalpha():
            return None
        n = len(word)
        best: list[list[str] | None] = [None] * (n + 1)
        best[0] = []
        for end in range(2, n + 1):
            for start in range(end - 1):
                piece = word[start:end]
                if best[start] is not None and piece in self.vocabulary:
                    candidate = best[start] + [piece]
                    if best[end] is None or len(candidate) < len(best[end]):
                        best[end] = candidate
        found = best[n]
        return found if found is not None and len(found) > 1 else None

    def repair(self, word: str) -> str | None:
        """The one known word a typing slip away (1 edit for 6-7 letters, 2 from 8), or None. Shorter words are
        too often other words ("kuota" is no "kota"); a short slip that drops letters is a `shorthand`."""
        if len(word) < 6 or not word.isalpha():
            return None
        limit = 1 if len(word) < 8 else 2
        # a slip rarely touches the first letter: comparing only words that share it keeps this cheap on the
        # names and places of data rows, which are read too while the header row is searched
        hits = {v for v in self._by_initial().get(word[0], ())
                if abs(len(v) - len(word)) <= limit and _damerau(word, v, limit) <= limit}
        meanings = {self.abbreviations.get(v, ((v,),))[0] for v in hits}
        if len(meanings) != 1:  # two words it could be: not repaired (an abbreviation and its word are one)
            return None
        return min(hits)

    def _by_initial(self) -> dict[str, tuple[str, ...]]:
        cached = self.__dict__.get("_initials")
        if cached is None:
            groups: dict[str, list[str]] = {}
            for word in self.vocabulary:
                if len(word) >= 4 and word.isalpha():
                    groups.setdefault(word[0], []).append(word)
            cached = {k: tuple(sorted(v)) for k, v in groups.items()}
            object.__setattr__(self, "_initials", cached)
        return cached

    def shorthand(self, word: str) -> str | None:
        """The one known word this is a vowel-dropped shorthand of ("klmin" kelamin, "lgkp" lengkap): same first
        letter, its letters in order inside the word, at least 40 % of it; None when none or several."""
        if len(word) < 3 or not word.isalpha():
            return None
        hits = {v for v in self._by_initial().get(word[0], ())
                if len(v) > len(word) and len(word) >= 0.4 * len(v) and _subsequence(word, v)}
        meanings = {self.abbreviations.get(v, ((v,),))[0] for v in hits}
        return min(hits) if len(meanings) == 1 else None

    def _known_words(self, words: list[str]) -> list[str]:
        out: list[str] = []
        for word in words:
            if word in self.vocabulary or word.isdigit():
                out.append(word)
                continue
            out.extend(self.split_glued(word) or [self.repair(word) or self.shorthand(word) or word])
        return out

    def _synonyms(self, words: list[str]) -> list[str]:
        if not self.synonyms:
            return words
        longest = max(len(p) for p in self.synonyms)
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(longest, len(words) - i), 0, -1):
                target = self.synonyms.get(tuple(words[i:i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        return out


def _only_text(value: object, path: Path) -> None:
    """YAML reads a bare `no` or `on` as a boolean: every word of the lexicon must be written as text."""
    if isinstance(value, dict):
        for key, item in value.items():
            _only_text(key, path)
            _only_text(item, path)
    elif isinstance(value, list):
        for item in value:
            _only_text(item, path)
    elif not isinstance(value, str):
        raise TypeError(f"{path}: {value!r} is not text (quote it: YAML reads some bare words as booleans)")


_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


@lru_cache(maxsize=131072)
def _readings(lexicon: Lexicon, text: str) -> tuple[Reading, ...]:
    """The readings of the whole text, then (a note in brackets, "(16 digit)", may say nothing about the
    column) those of the text without what is in brackets."""
    readings = list(_text_readings(lexicon, text))
    bare = _PARENS.sub(" ", text)
    if bare != text:
        readings += [r for r in _text_readings(lexicon, bare) if r not in readings]
    return tuple(readings)


@lru_cache(maxsize=131072)
def _text_readings(lexicon: Lexicon, text: str) -> tuple[Reading, ...]:
    words = lexicon._synonyms(lexicon._known_words(ascii_words(text)))
    options = [lexicon.abbreviations.get(w, ((w,),)) for w in words]
    readings: list[Reading] = []
    for combo in itertools.islice(itertools.product(*options), MAX_READINGS):
        expanded = lexicon._synonyms([w for part in combo for w in part])
        kept = [w for i, w in enumerate(expanded) if w not in lexicon.filler and (i == 0 or w not in lexicon.own)]
        kept = kept or expanded
        if len(kept) > 1 and kept[-1] in lexicon.class_words and kept[0] not in lexicon.class_words:
            kept = [kept[-1], *kept[:-1]]  # "kegiatan_code", "desa_kode": the English and API order
        reading = _dedupe(tuple(kept))
        if reading and reading not in readings:
            readings.append(reading)
    return tuple(readings)


def _subsequence(short: str, word: str) -> bool:
    letters = iter(word)
    return all(ch in letters for ch in short)


def _dedupe(words: Reading) -> Reading:
    """A word said twice counts once ("Kab/Kota" -> kabupaten)."""
    return tuple(dict.fromkeys(words))


@lru_cache(maxsize=1)
def _default() -> Lexicon:
    return Lexicon.from_yaml(kolom_dir() / "leksikon.yaml")


__all__ = ["Lexicon", "Reading", "ascii_words"]
