"""Header recognition: which column of a regency's file is which canonical column, and how sure we are.

    from satudata.sheets.headers import REGISTRY, find_header
    match = REGISTRY.restricted(COLUMNS_OF_JENIS["anggaran"]).find_header(rows)

One home for it, in four rooms: `lexicon` (reading a header as words: abbreviations, glued words, synonyms,
typos; data in `include/kolom/leksikon.yaml`), `matcher` (a header against every known spelling, with a
score and a confidence), `find` (the header row of a table, two-row headers, confirmed mappings) and `corpus`
(the known spellings, data with sources in `include/kolom/`). What an office writes that we have never seen
is understood from its words; what is still unsure is asked (intake holds the file), never guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from satudata.sheets.headers.corpus import LATIH, UJI, read_corpus, spellings
from satudata.sheets.headers.find import (
    HeaderMatch,
    Vocabulary,
    cell_text,
    compact_key,
    header_key,
    header_signature,
    title_lines,
)
from satudata.sheets.headers.lexicon import Lexicon
from satudata.sheets.headers.matcher import NOTHING, Candidate, ColumnModel, Judgement


@lru_cache(maxsize=1)
def registry_vocabulary() -> Vocabulary:
    """The regency files' vocabulary: every column of every kind of file, from the corpus's tuning part."""
    return Vocabulary(spellings(LATIH))


def __getattr__(name: str):
    # Built on first use, not at import: `REGISTRY` (the vocabulary) and `ALIASES` (column -> spellings).
    if name == "REGISTRY":
        return registry_vocabulary()
    if name == "ALIASES":
        return {k: list(v) for k, v in spellings(LATIH).items() if k != NOTHING}
    raise AttributeError(name)


def exact_canonical(text: object) -> str | None:
    """The column a regency file's header names with confidence, or None."""
    return registry_vocabulary().exact(text)


def map_header(cells: Sequence[object]) -> HeaderMatch:
    return registry_vocabulary().map_header(cells)


def combine_rows(upper: Sequence[object], lower: Sequence[object]) -> list[str]:
    return registry_vocabulary().combine_rows(upper, lower)


def find_header(rows: Sequence[Sequence[object]], search_rows: int = 30) -> HeaderMatch | None:
    """The regency files' header (`Vocabulary.find_header` with the registry vocabulary)."""
    return registry_vocabulary().find_header(rows, search_rows)


__all__ = ["LATIH", "NOTHING", "UJI", "Candidate", "ColumnModel", "HeaderMatch", "Judgement", "Lexicon", "Vocabulary",
           "cell_text", "combine_rows", "compact_key", "exact_canonical", "find_header", "header_key",
           "header_signature", "map_header", "read_corpus", "registry_vocabulary", "spellings", "title_lines"]
