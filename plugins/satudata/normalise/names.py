"""Person names, normalised column-wise for linking DTKS and P3KE records.

Indonesians have no family name, so the name is compared whole, and the same person is written
differently by different clerks: with or without Haji/Hajjah and academic degrees ("Hj. Siti Aminah,
S.Pd"), with abbreviations (M., Moh., Abd., St.), in the pre-1972 Dutch-based spelling (Soeparman,
Djoko, Tjahjo) or in regional habits (Sasak Jainal for Zainal, Saprudin for Safrudin). Four keys:

  nama_bersih   the name as a person would recognise it: upper-case ASCII, single spaces, titles and
                degrees removed, abbreviations written out (`VARIANTS`). Spelling is otherwise kept.
  nama_fonetik  nama_bersih folded so that spellings of the same sound agree (`fold_phonetic`).
                Not meant to be read, only compared and used for blocking.
  nama_depan    the first token of nama_fonetik that is not a generic prefix (`PREFIXES`): the part that
                tells "Muhammad Ali" from "Muhammad Yusuf".
  nama_urut     the tokens of nama_fonetik sorted: "ALI MUHAMAD" for both "Muhammad Ali" and "Ali, Muhammad".

Removal is conservative: a token is only removed where a title or degree can stand (the front, the
end, after a comma), and short degrees that could be a name part (SE, SH, ST, MA ...) only after a
comma or behind at least two name tokens, so "Budi SE" keeps SE and "St. Aisyah" becomes SITI AISYAH.

The fold errs towards joining: J, Y and Z become one letter (the Dutch spelling wrote y as j, Sasak
clerks write z as j), F, V and P one, and a final H after a vowel is dropped. The price is a few rare
pairs of different names (Yuni / Juni, Jaya / Yaya) that the other fields of a record must tell apart;
a missed spelling would lose the link for good.

Registries repeat names a lot, so each distinct value is processed once (pd.factorize) and mapped back.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

COLUMNS = ("nama_bersih", "nama_fonetik", "nama_depan", "nama_urut")


def _words(text: str) -> list[str]:
    return text.split()


# ------------------------------------------------------------------------------------ titles, degrees
# Titles stand before the name and are removed there (only while another token follows, so a name
# that is nothing but "Haji" is kept). H is always Haji at the front: Indonesian names do not start
# with an initial H.
TITLES = frozenset(
    {
        "H", "HJ", "HJH", "HAJI", "HAJJAH", "HAJAH",  # pilgrims
        "KH", "KYAI", "KIAI", "TGH", "TGKH", "TG",  # Kyai Haji; Tuan Guru (Haji), Lombok
        "USTADZ", "USTAZ", "USTADZAH", "USTAZAH", "UST", "SYEKH", "SYAIKH",
        "DRS", "DRA", "DR", "DRG", "DRH", "IR", "PROF",  # academic titles written before the name
        "BPK", "BAPAK", "IBU", "SDR", "SDRI", "SDRA", "NY", "NYONYA", "TN",  # forms of address
    }
)  # fmt: skip
# "Deceased", written before or after the name ("Budi (Alm.)"); never a name, so removed at either end.
DECEASED = frozenset({"ALM", "ALMH", "ALMARHUM", "ALMARHUMAH"})
TITLES = TITLES | DECEASED
TITLE_PAIRS = frozenset({("TUAN", "GURU")})

# Degrees stand after the name. Written with dots, spaces or neither ("S.Pd.I", "S. Pd. I", "SPdI"),
# so they are matched on their letters joined: "SPDI".
_DEGREES_DOTTED = _words(
    # Sarjana (S1) and Sarjana Terapan
    "S.PD S.PD.I S.PD.SD S.AG S.KOM S.SOS S.IP S.KEP S.KM S.SI S.FARM S.TR S.TR.KEB S.TR.KEP S.KEB "
    "S.GZ S.HI S.HUM S.PSI S.SN S.KED S.PT S.HUT S.TP S.ST S.STP S.IKOM S.KG S.PI S.TH S.AK S.PAR "
    "S.DS S.E.I S.E S.H S.T S.P S.S S.M S.AN "
    # Diploma (Ahli Madya, Ahli Muda) and old academy titles
    "A.MD A.MA A.MA.PD A.MD.KEP A.MD.KEB A.MD.FARM A.MD.KES A.MD.GZ A.MD.AK A.MD.T A.MD.KOM A.MD.PAR "
    "A.MK A.MKEB A.MG A.MF A.MAK "
    # Magister, doctorate, foreign, professional
    "M.PD M.PD.I M.SI M.AG M.KES M.KOM M.HUM M.SOS M.AP M.PH M.KM M.KEP M.HI M.SC M.ENG M.IP M.FARM "
    "M.AK M.PSI M.E.I M.E M.A M.M M.T M.H M.S "
    "PH.D B.SC B.A MBA L.C N.S G.R H.C APT"
)
DEGREES = frozenset(d.replace(".", "") for d in _DEGREES_DOTTED)
# Degrees whose letters are also a plausible name part (Chinese-Indonesian Ma, Mei, Meng, San ...).
WEAK_DEGREES = frozenset(
    {"SE", "SH", "ST", "SP", "SS", "SM", "MA", "MM", "MT", "MH", "MS", "ME", "BA", "NS", "LC", "GR", "HC",
     "SAN", "MEI", "SEI", "AMA", "MAK", "MENG"}
)  # fmt: skip
_LONGEST_DEGREE = 4  # most pieces a degree has when every part is written apart: A. Md. Kep. -> 3

# ------------------------------------------------------------------------------------------- variants
# Token spellings written out to one canonical form, wherever the token stands. Only abbreviations and
# spellings that are never a different name; everything else is left to the phonetic fold.
VARIANTS: dict[str, str] = {
    **dict.fromkeys(
        _words(
            "MUHAMAD MUHAMMED MUHAMED MOHAMMAD MOHAMAD MOHAMMED MOHAMED MOCHAMMAD MOCHAMAD MOCHAMED "
            "MUCHAMMAD MUCHAMAD MOEHAMMAD MOEHAMAD MOHD MOCH MUCH MOH MUH MUHD MHD MHMD"
        ),
        "MUHAMMAD",
    ),
    **dict.fromkeys(_words("ABD ABDL ABDOEL"), "ABDUL"),
    **dict.fromkeys(_words("SITTI"), "SITI"),
    **dict.fromkeys(_words("NOOR NOER NOUR"), "NUR"),  # NURUL is a name of its own and kept
    **dict.fromkeys(_words("ACHMAD AKHMAD AHMED ACHMED AHMAT ACHMAT"), "AHMAD"),
}
# Abbreviations that only mean this in front of another token: "M. Ali", "Md. Nur", "St. Aisyah".
# Elsewhere M is an initial and MD a Balinese Made. ST is Siti before any other token ("Nurul St.
# Aminah"), but kept last, where it may be the degree S.T. behind a single name.
LEADING_VARIANTS = {"M": "MUHAMMAD", "MD": "MUHAMMAD"}
# Balinese abbreviations, expanded in the run of name parts that follows I / NI ("I Md. Sudarma").
BALI_ABBREVIATIONS = {
    "WYN": "WAYAN", "MD": "MADE", "NYM": "NYOMAN", "NYMN": "NYOMAN", "NY": "NYOMAN", "KT": "KETUT",
    "KTT": "KETUT", "GST": "GUSTI", "NGR": "NGURAH", "GD": "GEDE", "PT": "PUTU", "KD": "KADEK",
    "KDK": "KADEK", "KMG": "KOMANG", "LH": "LUH",
}  # fmt: skip

# Generic first parts skipped for nama_depan. Balinese birth-order names count: a quarter of Balinese
# share each, so "I Made Sudarma" is told apart by SUDARMA, like "Muhammad Ali" by ALI.
PREFIXES_BERSIH = frozenset(
    _words(
        "MUHAMMAD AHMAD ABDUL SITI NUR NURUL SRI "
        "I NI LUH GUSTI NGURAH WAYAN PUTU GEDE MADE KADEK NYOMAN KOMANG KETUT COKORDA "  # Bali
        "LALU BAIQ AMAQ INAQ "  # Sasak nobility and teknonyms
        "LA WA TEUKU CUT RADEN SYARIFAH SAYYID SAYID"  # Buton/Muna, Aceh, Java, Arab descent
    )
)
PREFIX_PAIRS_BERSIH = frozenset(
    {("IDA", "BAGUS"), ("IDA", "AYU"), ("GUSTI", "AYU"), ("ANAK", "AGUNG"), ("DEWA", "AYU"), ("LA", "ODE"),
     ("WA", "ODE")}
)  # fmt: skip

# -------------------------------------------------------------------------------------- phonetic fold
# Applied in this order to each token of nama_bersih, repeated until nothing changes (so the fold is
# idempotent). Each line joins spellings clerks use for one sound:
_FOLD_RULES: tuple[tuple[str, str], ...] = (
    (r"Y$", "I"),  # Hady / Hadi; first, so that SY below does not swallow it (Nursyamsy)
    (r"OE|OO(?!$)", "U"),  # Dutch oe (Soeparman); oo of Noor, not a doubled final o (Ekoo)
    (r"AE", "AI"),  # Haerul / Hairul, Jaenab / Zainab
    (r"CHR", "KR"),  # Christina / Kristina
    (r"^CHAND", "CAND"),  # Chandra / Candra (Sanskrit ch)
    (r"^CH(?=[EI])", "C"),  # Chelsea, Chintya: modern English ch
    (r"CH", "H"),  # Achmad, Chairul, Rachmat, Fachri: Dutch ch for Arabic kh/h
    (r"DJ|DZ", "J"),  # Djoko / Joko (Dutch dj); Dzulkifli / Zulkifli (then Z -> J below)
    (r"TJ", "C"),  # Tjahjo / Cahyo
    (r"S[YJH]", "S"),  # Syamsul / Samsul, Dutch Sjamsul, Sholeh / Soleh
    (r"KH", "H"),  # Khairul / Hairul
    (r"TH", "T"),  # Fathur / Fatur
    (r"DH", "D"),  # Ramadhan / Ramadan
    (r"GH", "G"),  # Ghozali / Gozali
    (r"PH|F|V", "P"),  # Safrudin / Saprudin, Novita / Nopita, Taufik / Taupik
    (r"Q", "K"),  # Iqbal / Ikbal, Baiq
    (r"X", "KS"),
    (r"IY(?=[AEIOU])", "I"),  # Sapiyah / Sapiah, Riyanto / Rianto
    (r"[YZ]", "J"),  # Dutch j = y (Jusuf, Wahju, Tjahjo); Sasak J for Z (Jainal); see the module docstring
    (r"(?<=[AEIOU])H$", ""),  # Aminah / Amina, Aisyah / Aisya
    (r"([A-Z])\1+", r"\1"),  # Abdullah / Abdulah, Sapruddin / Saprudin
)
_FOLD = tuple((re.compile(pattern), repl) for pattern, repl in _FOLD_RULES)

# ------------------------------------------------------------------------------------------ text
_APOSTROPHES = "'`\u2019\u2018\u201b\u00b4\u02bc\u02bb\u2032\uff07"  # removed, never split a word
# Letters NFKD does not decompose; without this they would vanish (Łukasz -> UKASZ).
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "Ø": "O", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae", "Æ": "AE",
     "œ": "oe", "Œ": "OE", "ı": "i", "ð": "d", "Ð": "D", "þ": "th", "Þ": "TH"}
    | dict.fromkeys(_APOSTROPHES)
)  # fmt: skip
_WORD = re.compile(r"[A-Z]+")


def _ascii_upper(text: str) -> str:
    """Upper-case ASCII: accents dropped (é -> E), apostrophes removed, anything else left as is."""
    text = text.translate(_UNDECOMPOSED)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return text.upper()


def _as_text(value: object) -> str | None:
    """The text of a cell; numbers, dates and missing values are no name."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return None


def _is_removable(pieces: list[str]) -> bool:
    """True when the pieces can be grouped, in order, into degrees and titles (", S.Pd., M.Pd")."""
    n = len(pieces)
    reachable = [True] + [False] * n
    for start in range(n):
        if not reachable[start]:
            continue
        joined = ""
        for end in range(start, min(n, start + _LONGEST_DEGREE)):
            joined += pieces[end]
            if joined in DEGREES or joined in TITLES:
                reachable[end + 1] = True
    return n > 0 and reachable[n]


def _strip_leading_titles(pieces: list[str]) -> None:
    while len(pieces) > 1:
        if pieces[0] in TITLES:
            del pieces[0]
        elif len(pieces) > 2 and (pieces[0], pieces[1]) in TITLE_PAIRS:
            del pieces[:2]
        else:
            # A title written as dotted initials: K.H., T.G.H.
            for k in (3, 2):
                if len(pieces) > k and all(len(p) == 1 for p in pieces[:k]) and "".join(pieces[:k]) in TITLES:
                    del pieces[:k]
                    break
            else:
                return


def _strip_trailing_degrees(pieces: list[str]) -> None:
    while pieces:
        for k in range(min(_LONGEST_DEGREE, len(pieces)), 0, -1):
            joined = "".join(pieces[-k:])
            if joined in DEGREES or joined in DECEASED:
                needed = 2 if joined in WEAK_DEGREES else 1
                if len(pieces) - k >= needed:
                    del pieces[-k:]
                    break
        else:
            return


def _canonical(tokens: list[str]) -> list[str]:
    out = [VARIANTS.get(t, t) for t in tokens]
    if out == ["ST"]:  # a degree with no name in front is no degree
        return ["SITI"]
    if len(out) > 1:
        out[0] = LEADING_VARIANTS.get(out[0], out[0])
        out[:-1] = ["SITI" if t == "ST" else t for t in out[:-1]]
        if out[0] == "LALU" and len(out) > 2 and out[1] == "M":  # Lalu M. Zaini
            out[1] = "MUHAMMAD"
        if out[0] in ("I", "NI"):
            for i in range(1, len(out)):
                full = BALI_ABBREVIATIONS.get(out[i], out[i])
                if full not in PREFIXES_BERSIH:
                    break
                out[i] = full
    return out


def _bersih_tokens(text: str) -> list[str]:
    segments = _ascii_upper(text).split(",")
    pieces = _WORD.findall(segments[0])
    for segment in segments[1:]:
        # After a comma: a run of degrees is dropped; anything else ("Aminah, Siti") is still the name.
        more = _WORD.findall(segment)
        if not _is_removable(more):
            pieces.extend(more)
    _strip_leading_titles(pieces)
    _strip_trailing_degrees(pieces)
    return _canonical(pieces) if pieces else pieces


def normalise_name(value: object) -> str | None:
    """nama_bersih of one value (None when nothing of a name is left)."""
    text = _as_text(value)
    if text is None:
        return None
    tokens = _bersih_tokens(text)
    return " ".join(tokens) if tokens else None


@lru_cache(maxsize=200_000)
def _fold_token(token: str) -> str:
    for _ in range(8):  # the fold settles in two or three rounds; the bound only guards the loop
        before = token
        for pattern, repl in _FOLD:
            token = pattern.sub(repl, token)
        if token == before:
            break
    return token


def fold_phonetic(nama: str) -> str:
    """nama_fonetik of a nama_bersih (token by token, see `_FOLD_RULES`). Idempotent."""
    return " ".join(_fold_token(t) for t in nama.split())


PREFIXES = frozenset(_fold_token(p) for p in PREFIXES_BERSIH)
PREFIX_PAIRS = frozenset((_fold_token(a), _fold_token(b)) for a, b in PREFIX_PAIRS_BERSIH)


def _first_given(tokens: list[str]) -> str:
    i = 0
    while i < len(tokens):
        if i + 1 < len(tokens) and (tokens[i], tokens[i + 1]) in PREFIX_PAIRS:
            i += 2
        elif tokens[i] in PREFIXES:
            i += 1
        else:
            return tokens[i]
    return tokens[0]


def _keys(value: object) -> tuple[str | None, str | None, str | None, str | None]:
    bersih = normalise_name(value)
    if bersih is None:
        return (None, None, None, None)
    tokens = [_fold_token(t) for t in bersih.split()]
    return (bersih, " ".join(tokens), _first_given(tokens), " ".join(sorted(tokens)))


def normalise_names(values: pd.Series) -> pd.DataFrame:
    """The four name keys (see module docstring) of each value; same index, string columns with <NA>.

    Each distinct value is normalised once. Values that are not text (numbers, None, NaN) give <NA>.
    """
    if not isinstance(values, pd.Series):
        values = pd.Series(values, dtype="object")
    try:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
    except (TypeError, ValueError):  # unhashable cells (lists, dicts): they are no names either
        codes, uniques = pd.factorize(values.map(_as_text, na_action="ignore"), use_na_sentinel=True)
    rows = [_keys(value) for value in uniques]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(COLUMNS)
    codes = np.asarray(codes)
    data = {
        name: pd.array(list(column), dtype="string").take(codes, allow_fill=True)
        for name, column in zip(COLUMNS, columns, strict=True)
    }
    return pd.DataFrame(data, index=values.index)


# ------------------------------------------------------------------------------------------ short forms
NICKNAME_FILE = "nama_panggilan.csv"


def _nickname_patterns() -> tuple[tuple[str, re.Pattern], ...]:
    """(short form folded like nama_fonetik, pattern over one name word) from `nama_panggilan.csv`."""
    return tuple((_fold_token(_ascii_upper(short)), pattern) for short, pattern in _listed())


@lru_cache(maxsize=4)
def _listed(directory: str | None = None) -> tuple[tuple[str, re.Pattern], ...]:
    import csv
    from pathlib import Path

    from satudata.config import reference_dir

    path = Path(directory) / NICKNAME_FILE if directory else reference_dir() / NICKNAME_FILE
    with path.open(encoding="utf-8", newline="") as handle:
        return tuple((r["panggilan"].strip().upper(), re.compile(rf"(?:{r['pola_nama']})"))
                     for r in csv.DictReader(handle) if r["panggilan"].strip() and r["pola_nama"].strip())


def listed_short_forms(word: str) -> tuple[str, ...]:
    """The short forms `nama_panggilan.csv` lists for one upper-case name word, as written (not folded)."""
    return tuple(short for short, pattern in _listed() if pattern.fullmatch(word) and short != word)


@lru_cache(maxsize=200_000)
def _short_forms_of(word: str) -> tuple[str, ...]:
    """The listed short forms (folded like nama_fonetik) that one full name word may be called by."""
    return tuple(sorted({short for short, pattern in _nickname_patterns() if pattern.fullmatch(word)
                         and short != _fold_token(word)}))


def short_forms(nama_bersih: pd.Series) -> pd.Series:
    """Per name, the short forms its first given name may be called by (`nama_panggilan.csv`: WAWAN for
    HERMAWAN), folded like `nama_fonetik`, as a sorted tuple; None when there are none."""
    def first_given(bersih: str) -> str:
        tokens = bersih.split()
        folded = [_fold_token(t) for t in tokens]
        given = _first_given(folded)
        return tokens[folded.index(given)]

    codes, uniques = pd.factorize(nama_bersih.astype("string"), use_na_sentinel=True)
    table = np.array([*(_short_forms_of(first_given(u)) or None for u in uniques), None], dtype=object)
    return pd.Series(table[np.asarray(codes)] if len(codes) else [], index=nama_bersih.index, dtype=object)
