"""What `meta.validation_issue.nilai` keeps of a cell: no NIK, KK, name or birthday (issue 28, point 6)."""

from __future__ import annotations

import pytest
from satudata.intake.masking import masked_value


@pytest.mark.parametrize("kolom, value, kept", [
    ("nik", "5205011001200480", "5205********0480"),
    ("no_kk", "5205 0110 0120 0480", "5205********0480"),  # written with spaces
    ("nik", "5.205011001200481E+15", "5205********0481E+15"),  # an Excel number
    ("nik", "520501100120", "5205****0120"),  # 12 digits
    ("nik", "52050110012", "52050110012"),  # 11: not a NIK or KK any more, shown to find the row
    ("nik", "Lalu Ahmad", "L. A."),  # a name in the NIK column
    ("nama", "Hj. Siti Aminah", "H. S. A."),
    ("nama_kepala_keluarga", "5205011001200099", "5205********0099"),
    ("alamat", "Dusun Satu RT 002", None),
    ("id_keluarga_p3ke", "5205011001200001 — baris 3: NIK tidak valid", "5205********0001 — baris 3: NIK tidak valid"),
    ("desil", "7", "7"),
    ("nama", None, None),
    ("tanggal_lahir", "31-02-1985", "**-**-1985"),  # the year and the layout: not whose birthday
    ("tanggal_lahir", "7.8.2085", "*.*.2085"),
    ("tanggal_lahir", "19850231", "********"),  # eight digits: no year to tell apart
    ("tanggal_lahir", "31 Februari 1985", "** Februari 1985"),
    (None, "Lalu Ahmad,Dusun 3", "L. A.,D. 3"),  # cells beyond the header (kolom_berlebih): as a name
    (None, "5205011001200480;Baiq", "5205********0480;B."),
])
def test_meta_keeps_the_row_findable_without_the_person(kolom, value, kept):
    assert masked_value(kolom, value) == kept
