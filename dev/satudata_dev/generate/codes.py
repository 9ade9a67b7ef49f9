"""Integer codes of the population arrays (family categories, member roles, marital status, NIK origin) and
the names they stand for, shared by the population modules and the files written from them."""

from __future__ import annotations

import numpy as np

# Family categories.
BOTH, DTKS_ONLY, P3KE_ONLY, OUTSIDER = 0, 1, 2, 3
CATEGORY_NAMES = ("dtks_p3ke", "dtks", "p3ke", "tidak_terdaftar")
# Member roles (order inside a family).
HEAD, SPOUSE, CHILD, PARENT, MENANTU, CUCU, OTHER = range(7)
STATUS_KAWIN = np.array(["Belum Kawin", "Kawin", "Cerai Hidup", "Cerai Mati"], dtype=object)
NIK_ORIGINS = ("kecamatan_sekarang", "kecamatan_lain", "kabupaten_lain", "provinsi_lain", "kode_lama")
