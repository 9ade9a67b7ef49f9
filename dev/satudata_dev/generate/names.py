"""Name pools with regional character, and the name defects (titles, spelling variants).

Indonesians have no family names: a person has one to three name parts. Lombok (Sasak) has nobility
prefixes (Lalu for men, Baiq for women) and, for older villagers, teknonyms on the KTP itself
("Amaq Sahnun", "Inaq Rabiah": father / mother of the eldest child). Bima and Dompu (Mbojo) and Sumbawa
(Samawa) names are mostly Arabic-Islamic with their own favourites; Mataram and West Lombok have Balinese
communities whose names carry the birth order (Wayan/Putu/Gede, Made/Kadek, Nyoman/Komang, Ketut).
Some names carry characters that differ between UTF-8 and cp1252 (’, é) on purpose.
"""

from __future__ import annotations

import re

import numpy as np

CULTURES = ("sasak", "mbojo", "samawa", "bali", "umum")
_C = {c: i for i, c in enumerate(CULTURES)}

# Culture mix of each NTB regency's families; other provinces use PROVINCE_CULTURES or the general pool.
REGENCY_CULTURES: dict[str, dict[str, float]] = {
    "5201": {"sasak": 0.85, "bali": 0.12, "umum": 0.03},
    "5202": {"sasak": 0.97, "umum": 0.03},
    "5203": {"sasak": 0.97, "umum": 0.03},
    "5204": {"samawa": 0.80, "sasak": 0.10, "mbojo": 0.05, "umum": 0.05},
    "5205": {"mbojo": 0.90, "sasak": 0.03, "samawa": 0.02, "umum": 0.05},
    "5206": {"mbojo": 0.95, "umum": 0.05},
    "5207": {"samawa": 0.75, "sasak": 0.15, "umum": 0.10},
    "5208": {"sasak": 0.92, "bali": 0.05, "umum": 0.03},
    "5271": {"sasak": 0.65, "bali": 0.15, "umum": 0.15, "mbojo": 0.05},
    "5272": {"mbojo": 0.85, "umum": 0.15},
}
PROVINCE_CULTURES: dict[str, dict[str, float]] = {
    "52": {"sasak": 0.7, "mbojo": 0.15, "samawa": 0.1, "umum": 0.05},
    "51": {"bali": 0.85, "umum": 0.15},
}


def culture_mix(kode_kab: str) -> dict[str, float]:
    """The culture shares used for a regency's families."""
    return REGENCY_CULTURES.get(kode_kab) or PROVINCE_CULTURES.get(kode_kab[:2]) or {"umum": 1.0}


def _split(text: str) -> np.ndarray:
    return np.array(text.split(), dtype=object)


def _split_lines(text: str) -> np.ndarray:
    return np.array([t.strip() for t in text.strip().splitlines() if t.strip()], dtype=object)


# Common first parts of Muslim names (used as the first of two or three parts).
_PREFIX_L = _split("Muhammad Muhammad Muhammad Ahmad Abdul M. Moh. Zainal")
_PREFIX_P = _split("Siti Siti Siti Nurul Sri Nur Rohani")

_POOLS: dict[tuple[str, str], np.ndarray] = {
    ("sasak", "L"): _split(
        "Saprudin Zainal Hadi Ahmad Sahnun Mahsun Sahabudin Junaidi Mustiadi Munawir Zulkifli Hasbullah "
        "Rusdi Fathurrahman Sapoan Mahrip Amrullah Suhaimi Hairul Jumarip Nasrun Burhan Saparudin Sahri "
        "Muhlis Rapiudin Lukmanul Hakim Syamsul Zaini Sukri Mukmin Herman Sarip Mansur Rahmat Habib "
        "Ma’ruf Syafi’i Asmuni Nurdin Wiradi Muksin Sahrul Badrun Apipudin Kasturi Murdani"
    ),
    ("sasak", "P"): _split(
        "Rohani Nurhidayati Sri Wahyuni Hadijah Rabiah Sapiah Mahnun Marni Hartini Saodah Rukmini Jumenah Inah "
        "Murniati Nurhasanah Hikmah Sumiati Rohaini Saeni Halimah Mulyani Rukyah Mardiah Wardiah "
        "Sa’diyah Rosidah Fatimah Aminah Juhriah Rusmini Hulaini Nurhayati Sarniwati Erni Munah Isah"
    ),
    ("mbojo", "L"): _split(
        "Syamsuddin Jamaluddin Ikhsan Hasanuddin Sudirman Abdullah Ismail Muhtar Arifin Nurdin Ruslan "
        "Syarif Haris Julkifli Fahrurrazi Rahmat Taufik Sahbudin Bahtiar Ahmad Abubakar Usman Hamzah "
        "Ilyas Mustakim Anwar Kamaruddin Ma’ruf Mas’ud Ja’far Yusuf Zakaria Suherman Syahbudin Irfan "
        "Sukirman Abdurrahman Faisal Burhanuddin Salahuddin Nasrullah Idris"
    ),
    ("mbojo", "P"): _split(
        "Nurhayati Jaenab Hadijah Aminah Rostina Rahmawati Nurjannah Suryani Fatimah Salmah Maryam "
        "Jubaedah Mariam Saidah Hartati Kurniati Samsiah Rugaya Nurmi Sitti Hawa Kalsum Ramlah Nurlaila "
        "Sa’adah Mu’minah Sumarni Suhartini Syamsiah Nursiah Asiah Rukmini Rosmawati Mardiana Nuraini"
    ),
    ("samawa", "L"): _split(
        "Junaidi Syaifullah Haerul Suhardin Hasanuddin Zulkarnain Sukardi Iwan Syahrul Sudirman Rusdi "
        "Hairuddin Lukman Jamaluddin Nasaruddin Mustamin Arsyad Sahabuddin Kaharuddin Ridwan Asrul "
        "Husain Syukri Abdul Rahman Muhlis Amiruddin Sudarman Zainuddin Rif’at Nu’man Hamdan Ilham"
    ),
    ("samawa", "P"): _split(
        "Suryani Hartini Rusdiana Nurhasanah Sumiati Saniah Hadijah Rahmah Fatmawati Rahayu Juliana "
        "Rosmiati Ernawati Hasnah Nurhidayah Jumiati Sukmawati Murniati Asmah Haryati Mariani Nurbaya "
        "Samsiar Rabiatun Rif’atun Halimah Hafsah Aisyah Nursyamsi Wahidah"
    ),
    ("bali", "L"): _split(
        "Sudarma Suarta Artawan Sukadana Budiarta Suparta Mertayasa Wirawan Sudiana Suardana Arsana "
        "Mudana Sutama Widiana Darmawan Adnyana Suastika Yasa Sukarta Wijaya Ariawan Putrawan Sumerta"
    ),
    ("bali", "P"): _split(
        "Sukarni Suartini Ariani Sudiani Wartini Astuti Mariani Sriani Kartini Suciati Ardani Rusmini "
        "Widiasih Sumiartini Sukerti Arsini Yuliani Darmini Puspawati Mertasari"
    ),
    ("umum", "L"): _split(
        "Budi Agus Slamet Joko Eko Bambang Andi Rudi Heri Dedi Hendra Wahyu Dwi Fajar Sugeng Supriyadi "
        "Suparman Sutrisno Yohanes Agustinus André Hasan Darmawan Kurniawan Setiawan Hidayat Iskandar "
        "Nugroho Santoso Prasetyo Rahman Ridwan Sulaiman Yusuf Gunawan Teguh Wibowo Purnomo Rizal Arif"
    ),
    ("umum", "P"): _split(
        "Sri Siti Dewi Ani Rina Yuni Wati Sumiati Lestari Ayu Putri Indah Nur Maria Yuliana Desi Endang "
        "Sulastri Suharti Wulandari Kusumawati Rahayu Handayani Purwanti Susanti Hartati Ningsih Yanti "
        "Fitri Novita Ratna Kartika Valérie Agustina Mulyani Widya"
    ),
}
# Given names of people born from 2000 on, shared by the Muslim cultures.
_MODERN = {
    "L": _split(
        "Rizky Aditya Fadil Alfarizi Azka Alif Rafa Arkan Fahri Hafiz Zidan Farhan Rehan Dimas Bayu "
        "Raka Naufal Akbar Ilham Faiz Haikal Rasya Daffa Arya Kenzo Gibran Azzam Fathan Ibrahim Abrisam"
    ),
    "P": _split(
        "Aqila Nabila Zahra Aisyah Keysha Naura Salsabila Nayla Azzahra Khansa Alya Kirana Syifa Zaskia "
        "Amelia Cahaya Anisa Ayu Putri Dinda Nadia Fitriani Hilya Shakila Najwa Humaira Adiba Qonita"
    ),
}
_BALI_ORDER = {
    "L": (("Wayan", "Putu", "Gede"), ("Made", "Kadek"), ("Nyoman", "Komang"), ("Ketut",)),
    "P": (("Wayan", "Putu", "Luh"), ("Made", "Kadek"), ("Nyoman", "Komang"), ("Ketut",)),
}

# Dusun / lingkungan names by culture: prefix + suffix.
_DUSUN = {
    "sasak": (
        _split("Karang Dasan Lendang Montong Gubuk Kebon Bagek Batu Tanak Lekong Sembung Jurang Repok Tibu "
               "Bun Gerung Orong Pancor Kelayu Tanjung"),
        _split("Baru Lauk Daye Timuk Bat Tengak Bagik Bunut Jeruk Nangka Asem Bongor Kembang Tebu Re Bangket "
               "Atas Bawah Luah Dalem"),
    ),
    "mbojo": (
        _split("So Rasa Kalo Ncai Sori Doro Oi Wadu Tolo Nggaro Lewi Sila Rade Kore Dore"),
        _split("Mori Na’e To’i Bou Ntonggu Kalate Ndano Fo’o Jati Mbawa Nae Mpasi Rasabou Lela Kapa"),
    ),
    "samawa": (
        _split("Bukit Lito Ai Olat Lenang Pungka Batu Sebewe Kerato Brang Sampar Mone Labu Empang"),
        _split("Bangkong Rea Kodo Luar Dalam Baru Padi Bunga Jaya Tengah Ijo Ampar Telu"),
    ),
    "bali": (
        _split("Banjar Karang Pagutan Cakra Sweta Tohpati Gegutu Taman"),
        _split("Sari Kaja Kelod Kangin Kauh Tengah Jaya Asri Baru Bali"),
    ),
    "umum": (
        _split("Krajan Suka Sido Karang Mekar Tanjung Harapan Kampung Pasar Kebon Sumber Tegal"),
        _split("Maju Mulyo Anyar Sari Jadi Jaya Baru Asri Makmur Rejo Indah Timur Barat Utara Selatan"),
    ),
}


def pick(rng: np.random.Generator, pool: np.ndarray, n: int) -> np.ndarray:
    """n random entries of a pool (object array)."""
    return pool[rng.integers(0, len(pool), n)]


def _join(*parts: np.ndarray) -> np.ndarray:
    """Join name parts element-wise with single spaces, skipping empty parts."""
    out = parts[0].copy()
    for part in parts[1:]:
        has = part != ""
        out[has] = out[has] + " " + part[has]
    return out


def make_names(
    rng: np.random.Generator,
    culture: np.ndarray,
    female: np.ndarray,
    birth_year: np.ndarray,
    child_rank: np.ndarray,
) -> np.ndarray:
    """True names (Title Case) for people of given culture index, sex, birth year and child rank.

    Args:
        rng: the stream to draw from.
        culture: int index into CULTURES per person.
        female: bool per person.
        birth_year: int per person (modern names for those born 2000+).
        child_rank: 0-based birth order among siblings, -1 when unknown (Balinese names use it).

    Returns:
        Object array of names with one to three parts, noble/teknonym prefixes not included.
    """
    n = len(culture)
    names = np.empty(n, dtype=object)
    n_parts_u = rng.random(n)
    old = birth_year < 1975
    # Older people more often have a single name.
    one = np.where(old, n_parts_u < 0.55, n_parts_u < 0.30)
    three = np.where(old, n_parts_u > 0.96, n_parts_u > 0.85)
    use_prefix = rng.random(n) < 0.45
    use_modern = (birth_year >= 2000) & (rng.random(n) < 0.6)
    for ci, cname in enumerate(CULTURES):
        for sex in ("L", "P"):
            idx = np.flatnonzero((culture == ci) & (female == (sex == "P")))
            if not len(idx):
                continue
            m = len(idx)
            pool = _POOLS[(cname, sex)]
            given1 = pick(rng, pool, m)
            given2 = pick(rng, pool, m)
            modern = use_modern[idx]
            if cname != "bali" and modern.any():
                given1[modern] = pick(rng, _MODERN[sex], int(modern.sum()))
            same = given2 == given1
            given2[same] = pick(rng, pool, int(same.sum()))
            if cname == "bali":
                order = child_rank[idx].copy()
                unknown = order < 0
                order[unknown] = rng.integers(0, 4, int(unknown.sum()))
                order = order % 4
                birth_names = np.empty(m, dtype=object)
                for k, choices in enumerate(_BALI_ORDER[sex]):
                    at = order == k
                    birth_names[at] = pick(rng, np.array(choices, dtype=object), int(at.sum()))
                lead = np.full(m, "I" if sex == "L" else "Ni", dtype=object)
                second = np.where(three[idx], given2, "")
                names[idx] = _join(lead, birth_names, given1, second)
                continue
            prefix_pool = _PREFIX_L if sex == "L" else _PREFIX_P
            first = np.where(use_prefix[idx] & ~one[idx], pick(rng, prefix_pool, m), given1)
            second = np.where(one[idx], "", np.where(use_prefix[idx], given1, given2))
            third = np.where(three[idx], np.where(use_prefix[idx], given2, pick(rng, pool, m)), "")
            third[third == second] = ""
            names[idx] = _join(first, second, third)
    return names


def call_name(names: np.ndarray) -> np.ndarray:
    """The last word of each name, what a child is called (for teknonyms: Amaq + the eldest child's name)."""
    if not len(names):
        return names
    return np.array([s.rsplit(" ", 1)[-1] for s in names], dtype=object)


def dusun_names(rng: np.random.Generator, culture: str, n: int) -> np.ndarray:
    """n dusun / lingkungan names of a culture."""
    prefixes, suffixes = _DUSUN.get(culture, _DUSUN["umum"])
    return _join(pick(rng, prefixes, n), pick(rng, suffixes, n))


# ---------------------------------------------------------------------------------------------- defects
_TITLES_BEFORE_L = np.array(["H.", "H.", "H.", "Drs.", "Ir.", "Drs. H."], dtype=object)
_TITLES_BEFORE_P = np.array(["Hj.", "Hj.", "Hj.", "Dra.", "Hj."], dtype=object)
_TITLES_AFTER = np.array([", S.Pd", ", S.Pd.I", ", A.Md", ", S.E", ", S.Ag", ", S.Kom", ", A.Ma", ", S.Sos"],
                         dtype=object)


def add_titles(rng: np.random.Generator, names: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Names with a religious or academic title before or after (H., Hj., Drs., ..., S.Pd, A.Md)."""
    n = len(names)
    out = names.copy()
    after = rng.random(n) < 0.4
    before_l = pick(rng, _TITLES_BEFORE_L, n)
    before_p = pick(rng, _TITLES_BEFORE_P, n)
    before = np.where(female, before_p, before_l)
    out[~after] = before[~after] + " " + names[~after]
    out[after] = names[after] + pick(rng, _TITLES_AFTER, int(after.sum()))
    return out


# Spelling variants between registries: (pattern, replacement); applied to Title Case names.
_VARIANT_RULES: tuple[tuple[str, str], ...] = (
    (r"\bMuhammad\b", "Muhamad"),
    (r"\bMuhammad\b", "Moh."),
    (r"\bMuhammad\b", "M."),
    (r"\bMuhammad\b", "Mohammad"),
    (r"\bMuhammad\b", "Muh."),
    (r"\bM\.", "Muhammad"),
    (r"\bMoh\.", "Muhammad"),
    (r"\bAhmad\b", "Achmad"),
    (r"\bAbdul\b", "Abd."),
    (r"\bSiti\b", "St."),
    (r"\bNur", "Noor"),
    (r"\bZ", "J"),  # Zainal / Jainal, Zainab / Jainab (very common in NTB)
    (r"\bJ(?=ainal|aenab|ainab|ulkifli)", "Z"),
    (r"p(?=rudin|udin|iah|oan)", "f"),  # Saprudin / Safrudin, Sapiah / Safiah
    (r"f(?=rudin|udin|iah)", "p"),
    (r"(?<=[bcdfghjklmnprstvwyz])u(?=[bcdfghjklmnprstvwyz])", "oe"),  # Sukarno / Soekarno
    (r"oe", "u"),
    (r"\bJ", "Dj"),
    (r"(?<=[a-z])j", "dj"),
    (r"\bC", "Tj"),
    (r"\bKh", "H"),  # Khadijah / Hadijah
    (r"\bH(?=adijah|alimah|asanah)", "Kh"),
    (r"\bSy", "S"),
    (r"ddin\b", "din"),
    (r"(?<=[aiu])din\b", "ddin"),
    (r"ll", "l"),
    (r"(?<=[aiueo])([lmnrst])(?=[aiueo])", r"\1\1"),  # doubled consonant: Nurhayati / Nurhayatti
    (r"(?<=[a-z])i\b", "y"),  # Hadi / Hady, Rudi / Rudy
    (r"(?<=[a-z])y\b", "i"),
    (r"’", "'"),
    (r"'", ""),
)
_COMPILED = tuple((re.compile(p), r) for p, r in _VARIANT_RULES)


def spelling_variants(names: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """A spelling variant of each name: the first rule, starting at `choice` (int), that changes it.

    Only called on the small share of cells that get the defect, so a Python loop is fine here.
    """
    rules = len(_COMPILED)
    out = np.empty(len(names), dtype=object)
    for i, (name, start) in enumerate(zip(names, choice, strict=True)):
        new = name
        for k in range(rules):
            pattern, repl = _COMPILED[(start + k) % rules]
            new = pattern.sub(repl, name, count=1)
            if new != name:
                break
        if new == name:  # nothing applied: double the last letter
            new = name + name[-1].lower()
        out[i] = new
    return out


def shortened(names: np.ndarray, choice: np.ndarray) -> np.ndarray:
    """Names written short: only the first word ("Hamzah" for "Hamzah Wulandari"), or a middle word dropped
    ("Siti Aminah" for "Siti Nur Aminah"). A one-word name is left as it is."""
    out = names.copy()
    for i, (name, c) in enumerate(zip(names, choice, strict=True)):
        words = name.split()
        if len(words) < 2:
            continue
        out[i] = words[0] if c % 2 == 0 or len(words) < 3 else " ".join(words[:1] + words[2:])
    return out


def nicknamed(names: np.ndarray) -> np.ndarray:
    """The first word replaced by a listed short form it may be called by (Wawan for Hermawan), where the
    product's list (`include/reference/nama_panggilan.csv`) has one; else the name as it is."""
    from satudata.normalise.names import listed_short_forms

    out = names.copy()
    for i, name in enumerate(names):
        words = name.split()
        for k, word in enumerate(words):
            forms = listed_short_forms(word.upper())
            if forms:
                words[k] = forms[0].title()
                out[i] = " ".join(words)
                break
    return out
