"""What one regency's generation is given: its place in the province, its size and its programmes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Programme:
    kode: str
    unit: str  # "keluarga" | "individu"
    nama: str
    desil_maks: int | None


@dataclass(frozen=True)
class RegencyContext:
    """Everything one regency's generation needs (picklable: workers do not reload the region lists)."""

    seed: int
    scale: float
    province: str
    kode_kab: str
    nama_kab: str
    slot: int  # index of the regency in its province: makes NIK/KK serials unique across regencies
    n_slots: int
    population: int
    kota: bool
    desa: tuple[str, ...]  # current desa/kelurahan of the regency
    other_kec_province: tuple[str, ...]  # current kecamatan of the province's other regencies
    other_desa_province: tuple[str, ...]  # their desa (homes of stray families)
    old_kec: tuple[str, ...]  # kecamatan codes of the province only in the 2019/2022 lists
    other_province_kec: tuple[str, ...]  # a sample of other provinces' kecamatan
    place_names: dict[str, str]  # kecamatan / regency code -> name for tempat_lahir
    programmes: tuple[Programme, ...]

    @property
    def kind(self) -> str:
        return "kota" if self.kota else "kabupaten"

    def rng(self, *purpose: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, int(self.province), int(self.kode_kab), *purpose])
