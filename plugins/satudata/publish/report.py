"""Static report of one published period for the Satu Data forum's coordination meeting.

    write_report(settings, "2026-11", out_dir)
    -> {"html": ".../laporan_2026-11.html", "pdf": ".../laporan_2026-11.pdf" or None, "grafik": 7, ...}

One self-contained HTML file in Bahasa Indonesia: inline CSS, charts as inline SVG drawn here in Python,
no JavaScript, fonts or links to fetch (the forum may meet offline), laid out for A4 print. The same
page is printed to PDF by headless Chromium when it is installed; without Chromium the PDF is skipped
with a log line.

Only published figures are read: the current ('terbit') publication of the period in `mart`, its record
in `meta.publikasi`, submission counts from `meta.submission` and region names from `core.wilayah`,
never personal data. A suppressed cell (empty in `mart`, named in `sel_disensor`) is shown as
"disensor", never as 0. The SVG helpers (`svg_bar_chart`, `svg_grouped_bar_chart`,
`svg_stacked_bar_chart`) are pure functions of their data, as are the formatting helpers.
"""

from __future__ import annotations

import html
import logging
import math
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from satudata.config import Settings
from satudata.fileio import write_atomically
from satudata.warehouse.engine import make_engine, read_frame

log = logging.getLogger(__name__)

PDF_TIMEOUT_SECONDS = 120
_PERIODE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
BULAN = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember")

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale by lightness.
WARNA = {"biru": "#0072B2", "oranye": "#E69F00", "hijau": "#009E73", "merah": "#D55E00", "ungu": "#CC79A7",
         "langit": "#56B4E9", "kuning": "#F0E442", "hitam": "#000000", "abu": "#8C8C8C"}
PALET = (WARNA["biru"], WARNA["oranye"], WARNA["hijau"], WARNA["merah"], WARNA["ungu"], WARNA["langit"],
         WARNA["kuning"], WARNA["abu"])
STATUS_GRADUASI = (("membaik", "Membaik (desil naik)", WARNA["hijau"]), ("tetap", "Tetap", WARNA["langit"]),
                   ("memburuk", "Memburuk (desil turun)", WARNA["merah"]),
                   ("keluar", "Keluar dari P3KE", WARNA["ungu"]), ("baru", "Baru masuk P3KE", WARNA["oranye"]))
STATUS_KIRIMAN = (("accepted", "diterima"), ("partial", "diterima sebagian"), ("rejected", "ditolak"),
                  ("duplicate", "duplikat"))
CARA_PERSETUJUAN = {"hitl": "persetujuan di Airflow", "konfigurasi": "konfigurasi", "cli": "baris perintah"}


class _Disensor:
    """A suppressed cell: published as empty so that a small count cannot be read or recomputed."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "DISENSOR"


DISENSOR = _Disensor()
Value = float | int | None | _Disensor  # None: no value (e.g. a percentage of zero families)


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _is_number(value) -> bool:
    return value is not None and value is not DISENSOR and not (isinstance(value, float) and math.isnan(value))


# --------------------------------------------------------------------------------------------- formatting


def format_angka(value: float, decimals: int = 0) -> str:
    """Indonesian number format: 12.345 and 93,6."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_nilai(value: Value, decimals: int = 0, unit: str = "") -> str:
    """A published value as text: 'disensor' for a suppressed cell, '–' for no value, never 0 for either."""
    if value is DISENSOR:
        return "disensor"
    if not _is_number(value):
        return "–"
    return format_angka(float(value), decimals) + unit


def nama_periode(periode: str) -> str:
    year, month = periode.split("-")
    return f"{BULAN[int(month) - 1]} {year}"


def format_waktu(value) -> str:
    if value is None or (not isinstance(value, datetime) and pd.isna(value)):
        return "–"
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize(UTC) if stamp.tzinfo is None else stamp.tz_convert(UTC)
    return f"{stamp.day} {BULAN[stamp.month - 1]} {stamp.year}, {stamp:%H.%M} UTC"


def nama_pendek(nama: str) -> str:
    """'Kabupaten Lombok Barat' -> 'Kab. Lombok Barat' (charts); tables keep the full name."""
    return re.sub(r"^Kabupaten\s+", "Kab. ", str(nama)).strip()


# --------------------------------------------------------------------------------------------- SVG


def _ticks(top: float, integer: bool) -> list[float]:
    """0 and round steps up to at least `top` (about five intervals)."""
    if top <= 0:
        return [0.0, 1.0]
    raw = top / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    steps = (1, 2, 5, 10) if integer else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in steps if raw <= m * magnitude)
    if integer:
        step = max(1.0, round(step))
    return [i * step for i in range(math.ceil(top / step - 1e-9) + 1)]


def _text_width(text: str, size: float = 12) -> float:
    return 0.6 * size * len(text)


def _clip(text: str, limit: int) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _text_colour(fill: str) -> str:
    r, g, b = (int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "#FFFFFF"


def _open(width: float, height: float, title: str, desc: str) -> list[str]:
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" class="grafik" role="img" aria-label="{_e(title)}" '
           f'viewBox="0 0 {width:.0f} {height:.0f}" width="{width:.0f}" height="{height:.0f}" '
           f'font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="12">'),
           f"<title>{_e(title)}</title>"]
    if desc:
        out.append(f"<desc>{_e(desc)}</desc>")
    return out


def _legend(items: Sequence[tuple[str, str]], x0: float, y0: float, width: float) -> tuple[list[str], float]:
    """Colour squares with names, wrapped over rows; returns the elements and the height used."""
    out, x, y = ['<g class="legenda">'], x0, y0
    for name, colour in items:
        label = _clip(name, 60)
        need = 18 + _text_width(label, 11) + 16
        if x > x0 and x + need > width:
            x, y = x0, y + 18
        out.append(f'<rect class="kunci" x="{x:.1f}" y="{y:.1f}" width="12" height="12" fill="{colour}" '
                   f'stroke="#333" stroke-width="0.5"/>')
        out.append(f'<text x="{x + 17:.1f}" y="{y + 10:.1f}" font-size="11">{_e(label)}</text>')
        x += need
    out.append("</g>")
    return out, y + 18 - y0


def _x_axis(ticks: list[float], left: float, plot_w: float, top: float, plot_h: float, axis_label: str,
            decimals: int, unit: str) -> list[str]:
    """Vertical gridlines with tick labels under a horizontal chart, and the axis title."""
    scale = ticks[-1]
    out = ['<g class="sumbu">']
    for tick in ticks:
        x = left + tick / scale * plot_w
        out.append(f'<line x1="{x:.1f}" y1="{top:.1f}" x2="{x:.1f}" y2="{top + plot_h:.1f}" stroke="#D9D9D9"/>')
        out.append(f'<text x="{x:.1f}" y="{top + plot_h + 14:.1f}" text-anchor="middle" font-size="10" '
                   f'fill="#333">{_e(format_angka(tick, decimals if tick % 1 else 0) + unit)}</text>')
    out.append(f'<line x1="{left:.1f}" y1="{top:.1f}" x2="{left:.1f}" y2="{top + plot_h:.1f}" stroke="#333"/>')
    out.append(f'<text class="judul-sumbu" x="{left + plot_w / 2:.1f}" y="{top + plot_h + 32:.1f}" '
               f'text-anchor="middle" font-size="11" fill="#111">{_e(axis_label)}</text>')
    out.append("</g>")
    return out


def _missing_text(value: Value, x: float, y: float, anchor: str = "start") -> str:
    word = "disensor" if value is DISENSOR else "tidak ada"
    css = "disensor" if value is DISENSOR else "kosong"
    return (f'<text class="{css}" x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="10" '
            f'font-style="italic" fill="#595959">{word}</text>')


def svg_bar_chart(labels: Sequence[str], values: Sequence[Value], *, title: str, axis_label: str,
                  unit: str = "", decimals: int = 0, horizontal: bool = True, max_value: float | None = None,
                  colour: str = WARNA["biru"], reference: tuple[str, float] | None = None, desc: str = "",
                  width: int = 760) -> str:
    """One series of bars, horizontal or vertical, with value labels.

    Every number (0 included) is one `<rect class="batang">`; a suppressed value gets the word
    "disensor" and a missing one "tidak ada" instead of a bar. `reference` draws a dashed line
    (e.g. the province's value) labelled with its name.
    """
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    numbers = [float(v) for v in values if _is_number(v)]
    top_value = max([*numbers, reference[1] if reference else 0.0, 0.0])
    ticks = _ticks(max(top_value, max_value or 0.0) if max_value is None else max_value, integer=decimals == 0
                   and unit != "%")
    if ticks[-1] < top_value:
        ticks = _ticks(top_value, integer=decimals == 0 and unit != "%")
    scale = ticks[-1]
    value_text = [format_nilai(v, decimals, unit) for v in values]

    if horizontal:
        shown = [_clip(label, 42) for label in labels]
        left = min(300.0, 12 + max((_text_width(s) for s in shown), default=0))
        right = 16 + max((_text_width(t, 11) for t in value_text), default=0)
        top = 26.0 if reference else 8.0
        row_h, bar_h = 24.0, 16.0
        plot_w, plot_h = width - left - right, max(row_h, row_h * len(labels))
        height = top + plot_h + 42
        out = _open(width, height, title, desc)
        out += _x_axis(ticks, left, plot_w, top, plot_h, axis_label, decimals, unit)
        out.append('<g class="data">')
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            y = top + i * row_h
            mid = y + row_h / 2 + 4
            out.append(f'<text class="kategori" x="{left - 6:.1f}" y="{mid:.1f}" text-anchor="end">'
                       f"{_e(shown[i])}</text>")
            if not _is_number(value):
                out.append(_missing_text(value, left + 4, mid))
                continue
            w = float(value) / scale * plot_w
            out.append(f'<rect class="batang" x="{left:.1f}" y="{y + (row_h - bar_h) / 2:.1f}" width="{w:.1f}" '
                       f'height="{bar_h:.1f}" fill="{colour}"><title>{_e(label)}: {_e(value_text[i])}</title></rect>')
            out.append(f'<text class="nilai" x="{left + w + 4:.1f}" y="{mid:.1f}" font-size="11">'
                       f"{_e(value_text[i])}</text>")
        out.append("</g>")
        if reference:
            x = left + reference[1] / scale * plot_w
            ref_text = f"{reference[0]}: {format_nilai(reference[1], decimals, unit)}"
            out.append(f'<g class="acuan"><line x1="{x:.1f}" y1="{top - 4:.1f}" x2="{x:.1f}" y2="{top + plot_h:.1f}" '
                       f'stroke="#000" stroke-width="1.5" stroke-dasharray="5 3"/>'
                       f'<text x="{x:.1f}" y="{top - 9:.1f}" text-anchor="middle" font-size="11">{_e(ref_text)}'
                       "</text></g>")
        out.append("</svg>")
        return "\n".join(out)

    left, right, top = 64.0, 12.0, 34.0 if reference else 22.0
    plot_h = 240.0
    plot_w = width - left - right
    slot = plot_w / max(1, len(labels))
    per_line = max(4, int((slot - 4) / 6.0))  # characters of 10 px text that fit under one bar
    wrapped = []
    for label in labels:
        parts = textwrap.wrap(str(label), per_line) or [""]
        if len(parts) > 3:
            parts = [*parts[:2], _clip(" ".join(parts[2:]), per_line)]
        wrapped.append(parts)
    lines = max((len(w) for w in wrapped), default=1)
    height = top + plot_h + 10 + 12 * lines + 8
    bar_w = min(48.0, slot * 0.62)
    out = _open(width, height, title, desc)
    out.append('<g class="sumbu">')
    for tick in ticks:
        y = top + plot_h - tick / scale * plot_h
        out.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" stroke="#D9D9D9"/>')
        out.append(f'<text x="{left - 6:.1f}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#333">'
                   f"{_e(format_angka(tick, decimals if tick % 1 else 0) + unit)}</text>")
    out.append(f'<line x1="{left:.1f}" y1="{top + plot_h:.1f}" x2="{left + plot_w:.1f}" y2="{top + plot_h:.1f}" '
               'stroke="#333"/>')
    out.append(f'<text class="judul-sumbu" transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle" font-size="11" fill="#111">{_e(axis_label)}</text>')
    out.append("</g>")
    out.append('<g class="data">')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        cx = left + slot * (i + 0.5)
        base = top + plot_h
        out.append(f'<text class="kategori" x="{cx:.1f}" y="{base + 14:.1f}" text-anchor="middle" font-size="10">'
                   + "".join(f'<tspan x="{cx:.1f}" dy="{0 if j == 0 else 12}">{_e(part)}</tspan>'
                             for j, part in enumerate(wrapped[i]))
                   + f"<title>{_e(label)}</title></text>")
        if not _is_number(value):
            out.append(_missing_text(value, cx, base - 6, "middle"))
            continue
        h = float(value) / scale * plot_h
        out.append(f'<rect class="batang" x="{cx - bar_w / 2:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" '
                   f'height="{h:.1f}" fill="{colour}"><title>{_e(label)}: {_e(value_text[i])}</title></rect>')
        out.append(f'<text class="nilai" x="{cx:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" font-size="11">'
                   f"{_e(value_text[i])}</text>")
    out.append("</g>")
    if reference:
        y = top + plot_h - reference[1] / scale * plot_h
        ref_text = f"{reference[0]}: {format_nilai(reference[1], decimals, unit)}"
        out.append(f'<g class="acuan"><line x1="{left:.1f}" y1="{y:.1f}" x2="{left + plot_w:.1f}" y2="{y:.1f}" '
                   f'stroke="#000" stroke-width="1.5" stroke-dasharray="5 3"/>'
                   f'<text x="{left + plot_w:.1f}" y="{top - 20:.1f}" text-anchor="end" font-size="11">'
                   f"- - - {_e(ref_text)}</text></g>")
    out.append("</svg>")
    return "\n".join(out)


def svg_grouped_bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Value]]], *,
                          title: str, axis_label: str, unit: str = "", decimals: int = 0,
                          max_value: float | None = None, colours: Sequence[str] = PALET, desc: str = "",
                          width: int = 760) -> str:
    """Horizontal bars grouped per category, one colour per series, with a legend and value labels.

    Every number (0 included) is one `<rect class="batang">`.
    """
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    numbers = [float(v) for _, values in series for v in values if _is_number(v)]
    integer = decimals == 0 and unit != "%"
    ticks = _ticks(max([*numbers, max_value or 0.0, 0.0]), integer)
    scale = ticks[-1]
    texts = [[format_nilai(v, decimals, unit) for v in values] for _, values in series]
    shown = [_clip(c, 42) for c in categories]
    left = min(300.0, 12 + max((_text_width(s) for s in shown), default=0))
    right = 16 + max((_text_width(t, 11) for row in texts for t in row), default=0)
    legend, legend_h = _legend([(name, colours[k % len(colours)]) for k, (name, _) in enumerate(series)],
                               8, 6, width)
    top = 6 + legend_h + 8
    bar_h, gap = 13.0, 12.0
    block = len(series) * (bar_h + 2) - 2 + gap
    plot_w, plot_h = width - left - right, max(block, block * len(categories))
    height = top + plot_h + 42
    out = _open(width, height, title, desc) + legend
    out += _x_axis(ticks, left, plot_w, top, plot_h, axis_label, decimals, unit)
    out.append('<g class="data">')
    for i, category in enumerate(categories):
        y0 = top + i * block + gap / 2
        out.append(f'<text class="kategori" x="{left - 6:.1f}" y="{y0 + (block - gap) / 2 + 4:.1f}" '
                   f'text-anchor="end">{_e(shown[i])}</text>')
        for k, (name, values) in enumerate(series):
            y = y0 + k * (bar_h + 2)
            value = values[i]
            if not _is_number(value):
                out.append(_missing_text(value, left + 4, y + bar_h - 3))
                continue
            w = float(value) / scale * plot_w
            colour = colours[k % len(colours)]
            out.append(f'<rect class="batang" x="{left:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h:.1f}" '
                       f'fill="{colour}"><title>{_e(category)}, {_e(name)}: {_e(texts[k][i])}</title></rect>')
            out.append(f'<text class="nilai" x="{left + w + 4:.1f}" y="{y + bar_h - 3:.1f}" font-size="10">'
                       f"{_e(texts[k][i])}</text>")
    out.append("</g></svg>")
    return "\n".join(out)


def svg_stacked_bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Value]]], *,
                          title: str, axis_label: str, unit: str = "", decimals: int = 0,
                          colours: Sequence[str] = PALET, annotations: Sequence[str] | None = None,
                          desc: str = "", width: int = 760) -> str:
    """Horizontal stacked bars: one bar per category, one segment per series, the total at the end.

    Every positive number is one `<rect class="batang">` (a zero has no segment). A suppressed part is
    left out of the bar and its total is marked "*" ("sebagian disensor"). `annotations` are written
    after each bar's total (e.g. "2 berkas ditolak").
    """
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    annotations = list(annotations or [""] * len(categories))
    totals, partial = [], []
    for i in range(len(categories)):
        parts = [values[i] for _, values in series]
        totals.append(sum(float(v) for v in parts if _is_number(v)))
        partial.append(any(v is DISENSOR for v in parts))
    integer = decimals == 0 and unit != "%"
    ticks = _ticks(max([*totals, 0.0]), integer)
    scale = ticks[-1]
    # The known part of a total with a suppressed part is marked "*"; a total that is all suppressed is "disensor".
    end_text = ["disensor" if p and t == 0 else format_angka(t, decimals) + unit + ("*" if p else "")
                for t, p in zip(totals, partial, strict=True)]
    end_text = [f"{t} ({a})" if a else t for t, a in zip(end_text, annotations, strict=True)]
    shown = [_clip(c, 42) for c in categories]
    left = min(300.0, 12 + max((_text_width(s) for s in shown), default=0))
    right = 16 + max((_text_width(t, 11) for t in end_text), default=0)
    right = min(right, width * 0.35)
    legend, legend_h = _legend([(name, colours[k % len(colours)]) for k, (name, _) in enumerate(series)],
                               8, 6, width)
    top = 6 + legend_h + 8
    row_h, bar_h = 26.0, 18.0
    plot_w, plot_h = width - left - right, max(row_h, row_h * len(categories))
    height = top + plot_h + 42
    out = _open(width, height, title, desc) + legend
    out += _x_axis(ticks, left, plot_w, top, plot_h, axis_label, decimals, unit)
    out.append('<g class="data">')
    for i, category in enumerate(categories):
        y = top + i * row_h + (row_h - bar_h) / 2
        out.append(f'<text class="kategori" x="{left - 6:.1f}" y="{y + bar_h - 5:.1f}" text-anchor="end">'
                   f"{_e(shown[i])}</text>")
        x = left
        for k, (name, values) in enumerate(series):
            value = values[i]
            if not _is_number(value) or float(value) <= 0:
                continue
            w = float(value) / scale * plot_w
            colour = colours[k % len(colours)]
            text = format_nilai(value, decimals, unit)
            out.append(f'<rect class="batang" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{bar_h:.1f}" '
                       f'fill="{colour}" stroke="#FFFFFF" stroke-width="0.5">'
                       f"<title>{_e(category)}, {_e(name)}: {_e(text)}</title></rect>")
            if _text_width(text, 10) + 4 <= w:
                out.append(f'<text class="nilai-segmen" x="{x + w / 2:.1f}" y="{y + bar_h - 5:.1f}" '
                           f'text-anchor="middle" font-size="10" fill="{_text_colour(colour)}">{_e(text)}</text>')
            x += w
        out.append(f'<text class="nilai" x="{x + 4:.1f}" y="{y + bar_h - 5:.1f}" font-size="11">'
                   f"{_e(end_text[i])}</text>")
    out.append("</g></svg>")
    return "\n".join(out)


# --------------------------------------------------------------------------------------------- HTML pieces


def html_table(caption: str, headers: Sequence[str], rows: Sequence[Sequence[str]], *, first_numeric: int = 1,
               note: str = "", groups: Sequence[tuple[str, int]] = ()) -> str:
    """A data table (cells already formatted as text); columns from `first_numeric` on are right-aligned.

    `groups` adds a header row above `headers`: (label, number of columns spanned), "" for no label.
    """
    out = ['<table class="data">', f"<caption>{_e(caption)}</caption>", "<thead>"]
    if groups:
        out.append("<tr>" + "".join(f'<th scope="colgroup" colspan="{int(span)}">{_e(label)}</th>'
                                    for label, span in groups) + "</tr>")
    out.append("<tr>")
    numeric = ' class="angka"'
    out += [f'<th scope="col"{numeric if j >= first_numeric else ""}>{_e(h)}</th>' for j, h in enumerate(headers)]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = []
        for j, cell in enumerate(row):
            classes = (["angka"] if j >= first_numeric else []) + (["disensor"] if "disensor" in str(cell) else [])
            attr = f' class="{" ".join(classes)}"' if classes else ""
            tag = "th" if j == 0 else "td"
            scope = ' scope="row"' if j == 0 else ""
            cells.append(f"<{tag}{scope}{attr}>{_e(cell)}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    if note:
        out.append(f'<p class="catatan">{_e(note)}</p>')
    return "\n".join(out)


@dataclass
class Bagian:
    """One section of the report: heading, explanation, chart (or a sentence instead) and its data table."""

    kode: str
    judul: str
    keterangan: str
    grafik: str = ""  # SVG, or "" when there is nothing to draw
    tabel: str = ""
    pengganti: str = ""  # the sentence shown instead of the chart

    def render(self) -> str:
        out = [f'<section class="bagian" id="{_e(self.kode)}">', f"<h2>{_e(self.judul)}</h2>",
               f'<p class="keterangan">{_e(self.keterangan)}</p>']
        if self.grafik:
            out.append(f'<figure class="wadah-grafik">{self.grafik}</figure>')
        elif self.pengganti:
            out.append(f'<p class="pengganti">{_e(self.pengganti)}</p>')
        out.append(self.tabel)
        out.append("</section>")
        return "\n".join(out)


# --------------------------------------------------------------------------------------------- data


@dataclass
class Data:
    """What the report reads, all of it published or non-personal metadata."""

    periode: str
    publikasi: dict
    tables: dict[str, pd.DataFrame]
    kiriman: pd.DataFrame
    wilayah: dict[str, str] = field(default_factory=dict)

    def nama(self, kode, fallback: str | None = None) -> str:
        kode = "" if kode is None else str(kode)
        return self.wilayah.get(kode) or fallback or kode or "(tanpa kode)"


_MART_TABLES = ("konvergensi_provinsi", "konvergensi_kabupaten", "konvergensi_kecamatan", "tumpang_tindih",
                "kantong_kemiskinan", "graduasi", "cakupan_program")


def read_data(settings: Settings, periode: str) -> Data:
    """The current publication of `periode` and what the report shows next to it (same SQL on both engines)."""
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            record = read_frame(conn, "SELECT publikasi_id, periode, dibuat_pada, run_id, disetujui_oleh, "
                                      "cara_persetujuan, ambang_sel_kecil, aturan, sidik_jari FROM meta.publikasi "
                                      "WHERE periode = :p AND status = 'terbit' ORDER BY publikasi_id DESC",
                                {"p": periode})
            if record.empty:
                raise ValueError(f"period {periode} has not been published: no report without a publication")
            publikasi = {k: (None if not isinstance(v, str) and pd.isna(v) else v)
                         for k, v in record.iloc[0].to_dict().items()}
            params = {"p": periode, "id": int(publikasi["publikasi_id"])}
            tables = {t: read_frame(conn, f"SELECT * FROM mart.{t} WHERE periode = :p AND publikasi_id = :id", params)
                      for t in _MART_TABLES}
            kiriman = read_frame(conn, "SELECT kode_kab, status, COUNT(*) AS berkas, "
                                       "SUM(COALESCE(rows_total, 0)) AS baris, "
                                       "SUM(COALESCE(rows_accepted, 0)) AS baris_diterima, "
                                       "SUM(COALESCE(rows_rejected, 0)) AS baris_ditolak, "
                                       "SUM(COALESCE(rows_warning, 0)) AS baris_peringatan "
                                       "FROM meta.submission WHERE periode = :p GROUP BY kode_kab, status", params)
            result = conn.execute(sa.text("SELECT kode, nama FROM core.wilayah WHERE LENGTH(kode) <= 4"))
            wilayah = {str(kode): str(nama) for kode, nama in result if nama is not None}
    finally:
        engine.dispose()
    return Data(periode, publikasi, tables, kiriman, wilayah)


def _hidden(row: dict) -> set[str]:
    listed = row.get("sel_disensor")
    return set(listed.split(",")) if isinstance(listed, str) and listed else set()


def nilai(row: dict, column: str) -> Value:
    """A published cell: DISENSOR when suppressed, None when empty for another reason (a percentage of zero)."""
    value = row.get(column)
    if column in _hidden(row):
        return DISENSOR
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        # Counts are never empty unless suppressed; only a percentage can be empty on its own.
        return None if column.startswith("persen") else DISENSOR
    return float(value)


def _records(frame: pd.DataFrame) -> list[dict]:
    return frame.astype(object).where(frame.notna(), None).to_dict("records") if not frame.empty else []


def _sort_key(value: Value, descending: bool) -> tuple:
    if not _is_number(value):
        return (1, 0.0)
    return (0, -float(value) if descending else float(value))


# --------------------------------------------------------------------------------------------- sections


def _qty(value: Value, unit: str = "keluarga") -> str:
    return "disensor" if value is DISENSOR else f"{format_nilai(value)} {unit}"


def _headline(data: Data) -> str:
    rows = _records(data.tables["konvergensi_provinsi"])
    out = []
    for row in rows:
        v = partial(nilai, row)
        cards = [
            ("keluarga_desil1", "Keluarga desil 1", format_nilai(v("keluarga_desil1")), "keluarga sasaran (P3KE)"),
            ("persen_cakupan_desil1", "Menerima ≥ 1 program inti", format_nilai(v("persen_cakupan_desil1"), 1, "%"),
             f"keluarga desil 1 yang menerima: {_qty(v('desil1_terintervensi'))}"),
            ("persen_eksklusi_desil1", "Kesalahan eksklusi", format_nilai(v("persen_eksklusi_desil1"), 1, "%"),
             f"keluarga desil 1 tanpa program inti: {_qty(v('desil1_tanpa_program_inti'))}"),
            ("persen_inklusi", "Kesalahan inklusi", format_nilai(v("persen_inklusi"), 1, "%"),
             (f"penerima tidak layak: {_qty(v('keluarga_penerima_di_atas_desil'))}; "
             f"semua penerima: {_qty(v('keluarga_penerima'))}")),
            ("keluarga_tumpang_tindih_pelanggaran", "Tumpang tindih (pelanggaran)",
             format_nilai(v("keluarga_tumpang_tindih_pelanggaran")),
             f"keluarga; perlu diaudit: {_qty(v('keluarga_tumpang_tindih_audit'))}"),
            ("penerima_tidak_ditemukan", "Penerima tidak ditemukan", format_nilai(v("penerima_tidak_ditemukan")),
             "orang di daftar penerima, tidak ada di DTKS maupun P3KE"),
        ]
        name = data.nama(row.get("kode_provinsi"), row.get("nama_wilayah"))
        out.append(f'<section class="angka-utama-blok"><h2>Angka utama: {_e(name)}</h2><div class="kartu-kartu">')
        for key, label, value, sub in cards:
            css = " disensor" if value == "disensor" else ""
            out.append(f'<div class="angka-utama" data-kunci="{_e(key)}"><div class="label">{_e(label)}</div>'
                       f'<div class="nilai{css}">{_e(value)}</div><div class="sub">{_e(sub)}</div></div>')
        out.append("</div></section>")
    if not rows:
        out.append('<p class="pengganti">Publikasi ini tidak memuat baris provinsi.</p>')
    return "\n".join(out)


def _kabupaten_rows(data: Data) -> list[dict]:
    rows = _records(data.tables["konvergensi_kabupaten"])
    for row in rows:
        row["_nama"] = data.nama(row.get("kode_kab"), row.get("nama_wilayah"))
    return rows


def _province_value(data: Data, column: str) -> float | None:
    rows = _records(data.tables["konvergensi_provinsi"])
    if len(rows) != 1:
        return None
    value = nilai(rows[0], column)
    return float(value) if _is_number(value) else None


def bagian_cakupan_kabupaten(data: Data) -> Bagian:
    rows = sorted(_kabupaten_rows(data), key=lambda r: (_sort_key(nilai(r, "persen_cakupan_desil1"), True),
                                                        r["_nama"]))
    title = "Cakupan keluarga desil 1 per kabupaten/kota"
    province = _province_value(data, "persen_cakupan_desil1")
    bagian = Bagian("cakupan-kabupaten", f"1. {title}",
                    "Persentase keluarga desil 1 (P3KE) yang sudah menerima paling sedikit satu program inti, "
                    "diurutkan dari yang tertinggi. Garis putus-putus: angka provinsi.")
    if rows:
        bagian.grafik = svg_bar_chart(
            [nama_pendek(r["_nama"]) for r in rows], [nilai(r, "persen_cakupan_desil1") for r in rows],
            title=title, axis_label="Cakupan keluarga desil 1 (%)", unit="%", decimals=1, horizontal=False,
            max_value=100, reference=("Provinsi", province) if province is not None else None,
            desc="Batang: persentase keluarga desil 1 yang menerima paling sedikit satu program inti.")
    else:
        bagian.pengganti = "Tidak ada baris kabupaten/kota pada publikasi ini."
    bagian.tabel = html_table(
        "Data grafik 1: cakupan keluarga desil 1 per kabupaten/kota",
        ["Kabupaten/kota", "Keluarga desil 1", "Menerima ≥ 1 program inti", "Tanpa program inti", "Cakupan (%)"],
        [[r["_nama"], format_nilai(nilai(r, "keluarga_desil1")), format_nilai(nilai(r, "desil1_terintervensi")),
          format_nilai(nilai(r, "desil1_tanpa_program_inti")), format_nilai(nilai(r, "persen_cakupan_desil1"), 1)]
         for r in rows])
    return bagian


def bagian_cakupan_kecamatan(data: Data, jumlah: int = 15) -> Bagian:
    rows = _records(data.tables["konvergensi_kecamatan"])
    known = [r for r in rows if r.get("kode_kec") and _is_number(nilai(r, "persen_cakupan_desil1"))]
    unranked = sum(1 for r in rows if r.get("kode_kec")) - len(known)
    known.sort(key=lambda r: (float(nilai(r, "persen_cakupan_desil1")), -_num0(nilai(r, "keluarga_desil1")),
                              str(r.get("kode_kec"))))
    lowest = known[:jumlah]
    title = (f"{len(lowest)} kecamatan dengan cakupan desil 1 terendah di provinsi" if lowest
             else "kecamatan dengan cakupan desil 1 terendah di provinsi")
    note = (f"Hanya {len(lowest)} kecamatan terendah dari {len(known)} kecamatan yang angka cakupannya terbit "
            f"yang ditampilkan, diurutkan dari yang terendah." if lowest else "")
    if unranked:
        note += (f" {unranked} kecamatan tidak diurutkan karena cakupannya disensor atau tidak ada keluarga "
                 "desil 1 di sana.")
    bagian = Bagian("cakupan-kecamatan", f"2. Cakupan per kecamatan: {title}", note)

    def label(r: dict) -> str:
        kab = nama_pendek(data.nama(r.get("kode_kab")))
        return f"{r.get('nama_wilayah') or r.get('kode_kec')} ({kab})"

    if lowest:
        bagian.grafik = svg_bar_chart(
            [label(r) for r in lowest], [nilai(r, "persen_cakupan_desil1") for r in lowest], title=title,
            axis_label="Cakupan keluarga desil 1 (%)", unit="%", decimals=1, max_value=100,
            colour=WARNA["oranye"], desc=note)
    else:
        bagian.pengganti = "Tidak ada kecamatan dengan angka cakupan yang terbit."
    bagian.tabel = html_table(
        "Data grafik 2: kecamatan dengan cakupan desil 1 terendah",
        ["Kecamatan", "Kabupaten/kota", "Keluarga desil 1", "Menerima ≥ 1 program inti", "Cakupan (%)"],
        [[str(r.get("nama_wilayah") or r.get("kode_kec")), data.nama(r.get("kode_kab")),
          format_nilai(nilai(r, "keluarga_desil1")), format_nilai(nilai(r, "desil1_terintervensi")),
          format_nilai(nilai(r, "persen_cakupan_desil1"), 1)] for r in lowest], first_numeric=2)
    return bagian


def _num0(value: Value) -> float:
    return float(value) if _is_number(value) else 0.0


def bagian_kesalahan(data: Data) -> Bagian:
    rows = sorted(_kabupaten_rows(data), key=lambda r: r["_nama"])
    title = "Kesalahan eksklusi dan inklusi per kabupaten/kota"
    bagian = Bagian("kesalahan", f"3. {title}",
                    "Eksklusi: persentase keluarga desil 1 yang belum menerima satu pun program inti. Inklusi: "
                    "persentase keluarga penerima yang menerima program yang tidak layak baginya (desil di atas "
                    "batas program, di luar wilayah program, atau tidak terdaftar di P3KE).")
    if rows:
        bagian.grafik = svg_grouped_bar_chart(
            [nama_pendek(r["_nama"]) for r in rows],
            [("Eksklusi: % keluarga desil 1 tanpa program inti", [nilai(r, "persen_eksklusi_desil1") for r in rows]),
             ("Inklusi: % keluarga penerima yang tidak layak", [nilai(r, "persen_inklusi") for r in rows])],
            title=title, axis_label="Persen (%)", unit="%", decimals=1, max_value=100,
            colours=(WARNA["merah"], WARNA["biru"]), desc=bagian.keterangan)
    else:
        bagian.pengganti = "Tidak ada baris kabupaten/kota pada publikasi ini."
    bagian.tabel = html_table(
        "Data grafik 3: kesalahan eksklusi dan inklusi",
        ["Kabupaten/kota", "Desil 1 tanpa program inti", "Eksklusi (%)", "Keluarga penerima",
         "Penerima tidak layak", "Inklusi (%)"],
        [[r["_nama"], format_nilai(nilai(r, "desil1_tanpa_program_inti")),
          format_nilai(nilai(r, "persen_eksklusi_desil1"), 1), format_nilai(nilai(r, "keluarga_penerima")),
          format_nilai(nilai(r, "keluarga_penerima_di_atas_desil")), format_nilai(nilai(r, "persen_inklusi"), 1)]
         for r in rows])
    return bagian


def _program_names(data: Data) -> dict[str, str]:
    frame = data.tables["cakupan_program"]
    if frame.empty:
        return {}
    return {str(k): str(v) for k, v in frame[["kode_program", "nama_program"]].drop_duplicates().itertuples(index=False)}


def bagian_tumpang_tindih(data: Data) -> Bagian:
    rows = _records(data.tables["tumpang_tindih"])
    names = _program_names(data)
    rules: dict[str, str] = {}  # rule -> short label (programme codes), for the chart's legend
    full: dict[str, str] = {}  # rule -> programme names, for the table
    for r in sorted(rows, key=lambda r: (r["tingkat_aturan"] != "pelanggaran", str(r["kode_aturan"]))):
        a, b = (str(r[c]) for c in ("program_a", "program_b"))
        rules.setdefault(str(r["kode_aturan"]), f"{a} + {b} ({r['tingkat_aturan']})")
        full.setdefault(str(r["kode_aturan"]), f"{names.get(a, a)} ({a}) + {names.get(b, b)} ({b}), "
                                               f"{r['tingkat_aturan']}")
    regencies = sorted({str(r["kode_wilayah"]) for r in rows if r["tingkat"] == "kabupaten"},
                       key=lambda k: data.nama(k))
    cell = {(str(r["kode_wilayah"]), str(r["kode_aturan"])): nilai(r, "jumlah_keluarga") for r in rows}
    title = "Keluarga penerima program tumpang tindih per aturan dan kabupaten/kota"
    bagian = Bagian("tumpang-tindih", f"4. {title}",
                    "Jumlah keluarga yang menerima kedua program dari satu pasangan dalam aturan tumpang tindih "
                    "periode ini. 'Pelanggaran': kombinasi yang dilarang; 'audit': boleh, tetapi perlu diperiksa.")
    if rules and regencies:
        bagian.grafik = svg_grouped_bar_chart(
            [nama_pendek(data.nama(k)) for k in regencies],
            [(label, [cell.get((k, code)) for k in regencies]) for code, label in rules.items()],
            title=title, axis_label="Keluarga", desc=bagian.keterangan)
    else:
        bagian.pengganti = "Aturan periode ini tidak memuat pasangan program tumpang tindih."
    provinces = sorted({str(r["kode_wilayah"]) for r in rows if r["tingkat"] == "provinsi"})
    table_rows = [[data.nama(k), *(format_nilai(cell.get((k, code))) for code in rules)] for k in regencies]
    table_rows += [[f"Provinsi {data.nama(k)}", *(format_nilai(cell.get((k, code))) for code in rules)]
                   for k in provinces]
    bagian.tabel = html_table("Data grafik 4: keluarga penerima program tumpang tindih (keluarga)",
                              ["Wilayah", *(full[code] for code in rules)], table_rows)
    return bagian


def bagian_kantong(data: Data, jumlah: int = 10) -> Bagian:
    rows = sorted(_records(data.tables["kantong_kemiskinan"]), key=lambda r: int(r["peringkat_provinsi"]))[:jumlah]
    title = f"{len(rows)} desa dengan keluarga desil 1 tanpa program inti terbanyak"
    bagian = Bagian("kantong-kemiskinan", f"5. Kantong kemiskinan: {title}",
                    "Desa diurutkan menurut jumlah keluarga desil 1 yang belum menerima program inti, lalu "
                    "persentasenya (peringkat provinsi). Kolom 'Kantong' menandai desa yang memenuhi kriteria "
                    "kantong kemiskinan pada aturan periode ini.")

    def label(r: dict) -> str:
        return f"{r.get('nama_desa') or r.get('kode_desa')}, {r.get('nama_kecamatan') or r.get('kode_kec')}"

    if rows:
        bagian.grafik = svg_bar_chart(
            [label(r) for r in rows], [nilai(r, "desil1_tanpa_program_inti") for r in rows], title=title,
            axis_label="Keluarga desil 1 tanpa program inti", colour=WARNA["merah"], desc=bagian.keterangan)
    else:
        bagian.pengganti = "Tidak ada desa dengan keluarga desil 1 pada publikasi ini."
    bagian.tabel = html_table(
        "Data grafik 5: desa kantong kemiskinan teratas",
        ["Peringkat", "Desa", "Kecamatan", "Kabupaten/kota", "Keluarga desil 1", "Tanpa program inti",
         "Tanpa program inti (%)", "Kantong"],
        [[str(int(r["peringkat_provinsi"])), str(r.get("nama_desa") or r.get("kode_desa")),
          str(r.get("nama_kecamatan") or ""), data.nama(r.get("kode_kab")),
          format_nilai(nilai(r, "keluarga_desil1")), format_nilai(nilai(r, "desil1_tanpa_program_inti")),
          format_nilai(nilai(r, "persen_tanpa_program_inti"), 1), "ya" if r.get("kantong") else "tidak"]
         for r in rows], first_numeric=4)
    return bagian


def _sum(values: Sequence[Value]) -> Value:
    """Sum of published parts: the known total, or DISENSOR when every part is suppressed."""
    numbers = [float(v) for v in values if _is_number(v)]
    if not numbers:
        return DISENSOR if any(v is DISENSOR for v in values) else 0.0
    return sum(numbers)


def _sum_text(values: Sequence[Value]) -> str:
    total = _sum(values)
    if total is DISENSOR:
        return "disensor"
    return ("≥ " if any(v is DISENSOR for v in values) else "") + format_nilai(total)


def bagian_graduasi(data: Data) -> Bagian:
    rows = [r for r in _records(data.tables["graduasi"]) if r["tingkat"] == "kabupaten"]
    previous = sorted({str(r["periode_sebelumnya"]) for r in _records(data.tables["graduasi"])})
    title = "Perpindahan desil keluarga P3KE (graduasi) per kabupaten/kota"
    explanation = ("Keluarga P3KE periode ini dibandingkan dengan periode "
                   f"{', '.join(nama_periode(p) for p in previous) or 'sebelumnya'}: desil membaik, tetap, memburuk, "
                   "keluar dari P3KE (graduasi, pindah atau meninggal; data tidak membedakannya) atau baru masuk. "
                   "Hanya kabupaten/kota yang punya data P3KE di kedua periode yang dibandingkan.")
    bagian = Bagian("graduasi", f"6. {title}", explanation)
    if not rows:
        bagian.keterangan = "Perpindahan desil keluarga P3KE dibandingkan dengan periode sebelumnya."
        bagian.pengganti = ("Belum ada periode sebelumnya yang dapat dibandingkan (atau belum ada kabupaten/kota "
                            "dengan data P3KE di kedua periode), sehingga graduasi belum dapat ditampilkan untuk "
                            f"{nama_periode(data.periode)}.")
        return bagian
    regencies = sorted({str(r["kode_wilayah"]) for r in rows}, key=lambda k: data.nama(k))
    parts: dict[tuple[str, str], list[Value]] = {}
    for r in rows:
        parts.setdefault((str(r["kode_wilayah"]), str(r["status"])), []).append(nilai(r, "jumlah_keluarga"))
    series = [(label, [_sum(parts.get((k, status), [])) for k in regencies])
              for status, label, _ in STATUS_GRADUASI]
    bagian.grafik = svg_stacked_bar_chart(
        [nama_pendek(data.nama(k)) for k in regencies], series, title=title, axis_label="Keluarga",
        colours=[c for _, _, c in STATUS_GRADUASI], desc=explanation)
    table_rows = []
    for k in regencies:
        cells = [_sum_text(parts.get((k, status), [])) for status, _, _ in STATUS_GRADUASI]
        everything = [v for status, _, _ in STATUS_GRADUASI for v in parts.get((k, status), [])]
        table_rows.append([data.nama(k), *cells, _sum_text(everything)])
    bagian.tabel = html_table("Data grafik 6: keluarga menurut status graduasi (keluarga)",
                              ["Kabupaten/kota", *(label for _, label, _ in STATUS_GRADUASI), "Jumlah"], table_rows,
                              note="≥: sebagian angka penyusunnya disensor, jadi angka itu batas bawah. "
                                   "*: di grafik, bagian yang disensor tidak digambar."
                              if any("≥" in c or c == "disensor" for row in table_rows for c in row) else "")
    return bagian


def bagian_kualitas(data: Data) -> Bagian:
    frame = data.kiriman
    codes = {str(k) for k in frame["kode_kab"]} if not frame.empty else set()
    codes |= {str(k) for k in data.tables["konvergensi_kabupaten"].get("kode_kab", pd.Series(dtype=object))}
    regencies = sorted(codes, key=lambda k: data.nama(k))
    stats: dict[str, dict] = {k: {"berkas": {}, "baris": 0, "diterima": 0, "ditolak": 0, "peringatan": 0}
                              for k in regencies}
    for r in _records(frame):
        s = stats[str(r["kode_kab"])]
        s["berkas"][str(r["status"])] = s["berkas"].get(str(r["status"]), 0) + int(r["berkas"] or 0)
        if r["status"] != "duplicate":  # a duplicate repeats rows already counted
            s["baris"] += int(r["baris"] or 0)
            s["diterima"] += int(r["baris_diterima"] or 0)
            s["ditolak"] += int(r["baris_ditolak"] or 0)
            s["peringatan"] += int(r["baris_peringatan"] or 0)
    title = "Kualitas data kiriman per kabupaten/kota"
    explanation = ("Baris yang diterima dan ditolak dari semua berkas yang dikirim kabupaten/kota untuk periode ini "
                   "(DTKS, P3KE dan daftar penerima program; berkas duplikat tidak dihitung), serta jumlah berkas "
                   "yang ditolak seluruhnya.")
    bagian = Bagian("kualitas-data", f"7. {title}", explanation)
    known = {code for code, _ in STATUS_KIRIMAN}

    def refused(k: str) -> str:
        n = stats[k]["berkas"].get("rejected", 0)
        return f"{n} berkas ditolak" if n else ""

    if any(sum(s["berkas"].values()) for s in stats.values()):
        bagian.grafik = svg_stacked_bar_chart(
            [nama_pendek(data.nama(k)) for k in regencies],
            [("Baris diterima", [float(stats[k]["diterima"]) for k in regencies]),
             ("Baris ditolak", [float(stats[k]["ditolak"]) for k in regencies])],
            title=title, axis_label="Baris data", colours=(WARNA["hijau"], WARNA["merah"]),
            annotations=[refused(k) for k in regencies], desc=explanation)
    else:
        bagian.pengganti = f"Belum ada berkas kiriman untuk {nama_periode(data.periode)}."
    rows = []
    for k in regencies:
        s = stats[k]
        others = sum(n for status, n in s["berkas"].items() if status not in known)
        share = 100 * s["diterima"] / s["baris"] if s["baris"] else None
        rows.append([data.nama(k), *(format_nilai(s["berkas"].get(code, 0)) for code, _ in STATUS_KIRIMAN),
                     format_nilai(others), format_nilai(s["baris"]), format_nilai(s["diterima"]),
                     format_nilai(s["ditolak"]), format_nilai(s["peringatan"]), format_nilai(share, 1)])
    with_others = any(row[len(STATUS_KIRIMAN) + 1] != "0" for row in rows)
    if not with_others:
        rows = [[*row[:len(STATUS_KIRIMAN) + 1], *row[len(STATUS_KIRIMAN) + 2:]] for row in rows]
    file_headers = [label for _, label in STATUS_KIRIMAN] + (["lain (diproses)"] if with_others else [])
    bagian.tabel = html_table(
        "Data grafik 7: berkas menurut status dan baris data per kabupaten/kota",
        ["Kabupaten/kota", *file_headers, "jumlah", "diterima", "ditolak", "dengan peringatan", "diterima (%)"],
        rows, groups=[("", 1), ("Berkas", len(file_headers)), ("Baris data", 5)],
        note="Baris dengan peringatan tetap diterima; mohon diperbaiki pada kiriman berikutnya. Berkas lain: "
             "belum selesai diproses.")
    return bagian


# --------------------------------------------------------------------------------------------- page

CSS = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { font-family: "DejaVu Sans", "Liberation Sans", Arial, Helvetica, sans-serif; font-size: 10.5pt;
       line-height: 1.4; color: #111; margin: 0 auto; padding: 16px; max-width: 190mm; background: #fff; }
h1 { font-size: 18pt; margin: 0 0 4px; color: #0B3D66; }
h2 { font-size: 13pt; margin: 18px 0 6px; color: #0B3D66; border-bottom: 2px solid #0072B2; padding-bottom: 2px;
     break-after: avoid; page-break-after: avoid; }
.subjudul { font-size: 12pt; margin: 0 0 10px; }
dl.publikasi { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0 12px;
               padding: 8px 10px; border: 1px solid #BFBFBF; background: #F5F8FB; }
dl.publikasi dt { font-weight: bold; }
dl.publikasi dd { margin: 0; }
.kartu-kartu { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
.angka-utama { border: 1px solid #BFBFBF; border-left: 5px solid #0072B2; padding: 6px 8px; break-inside: avoid; }
.angka-utama .label { font-size: 9pt; color: #333; }
.angka-utama .nilai { font-size: 18pt; font-weight: bold; }
.angka-utama .sub { font-size: 8.5pt; color: #444; }
.nilai.disensor { font-style: italic; font-size: 13pt; color: #595959; }
.keterangan, .catatan, .pengganti { margin: 4px 0 8px; }
.catatan { font-size: 8.5pt; color: #333; }
.pengganti { font-style: italic; padding: 8px; border: 1px dashed #8C8C8C; }
figure.wadah-grafik { margin: 6px 0; break-inside: avoid; page-break-inside: avoid; }
svg.grafik { display: block; width: 100%; height: auto; }
table.data { border-collapse: collapse; width: 100%; font-size: 8.5pt; margin: 6px 0 4px; }
table.data caption { text-align: left; font-weight: bold; padding: 2px 0; caption-side: top; }
table.data th, table.data td { border: 1px solid #BFBFBF; padding: 2px 5px; vertical-align: top; }
table.data thead th { background: #E8EEF4; }
table.data thead th[scope="colgroup"] { text-align: center; }
table.data tbody th { font-weight: normal; text-align: left; }
table.data .angka { text-align: right; }
table.data td.disensor { font-style: italic; color: #595959; }
table.data thead { display: table-header-group; }
table.data tr { break-inside: avoid; page-break-inside: avoid; }
.legenda-sensor { border: 1px solid #BFBFBF; padding: 6px 10px; background: #FFFBEA; break-inside: avoid; }
footer { margin-top: 18px; font-size: 8.5pt; color: #444; border-top: 1px solid #BFBFBF; padding-top: 4px; }
@media print { body { padding: 0; max-width: none; } section.bagian { break-before: auto; } }
"""


def render_html(data: Data, *, dibuat: datetime | None = None) -> tuple[str, int]:
    """The whole page and the number of charts drawn in it."""
    p = data.publikasi
    periode = data.periode
    minimum = p.get("ambang_sel_kecil")
    sections = [bagian_cakupan_kabupaten(data), bagian_cakupan_kecamatan(data), bagian_kesalahan(data),
                bagian_tumpang_tindih(data), bagian_kantong(data), bagian_graduasi(data), bagian_kualitas(data)]
    charts = sum(1 for s in sections if s.grafik)
    approval = str(p.get("disetujui_oleh") or "–")
    way = CARA_PERSETUJUAN.get(str(p.get("cara_persetujuan")), str(p.get("cara_persetujuan") or ""))
    fingerprint = str(p.get("sidik_jari") or "")[:12]
    provinces = [data.nama(r.get("kode_provinsi"), r.get("nama_wilayah"))
                 for r in _records(data.tables["konvergensi_provinsi"])]
    where = ", ".join(provinces) or "Satu Data Kemiskinan"
    generated = format_waktu(dibuat or datetime.now(UTC))
    threshold = "" if minimum is None else f" (kurang dari {int(minimum)})"
    out = [
        "<!DOCTYPE html>",
        '<html lang="id"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Laporan konvergensi intervensi kemiskinan {_e(nama_periode(periode))} – {_e(where)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<header>",
        "<h1>Laporan Konvergensi Intervensi Penanggulangan Kemiskinan Ekstrem</h1>",
        (f'<p class="subjudul">{_e(where)} · Periode <strong>{_e(nama_periode(periode))}</strong> ({_e(periode)}) · '
        "Bahan rapat koordinasi Forum Satu Data</p>"),
        '<dl class="publikasi">',
        f"<dt>Publikasi</dt><dd>nomor {_e(p.get('publikasi_id'))}, terbit {_e(format_waktu(p.get('dibuat_pada')))}</dd>",
        f"<dt>Disetujui oleh</dt><dd>{_e(approval)}{f' ({_e(way)})' if way else ''}</dd>",
        f"<dt>Berkas aturan</dt><dd>{_e(p.get('aturan') or '–')}</dd>",
        f"<dt>Ambang sel kecil</dt><dd>{_e(format_nilai(minimum))} keluarga/orang</dd>",
        f"<dt>Sidik jari data</dt><dd><code>{_e(fingerprint)}</code></dd>",
        "</dl>",
        ('<p class="legenda-sensor"><strong>disensor</strong> = angka tidak diterbitkan untuk melindungi '
        f"kerahasiaan: jumlahnya kecil{_e(threshold)}, atau dapat dipakai untuk menghitung ulang angka kecil "
        "lain. Angka yang disensor <em>bukan</em> nol. <strong>–</strong> = tidak ada nilai (misalnya persentase "
        "dari nol keluarga).</p>"),
        "</header><main>",
        _headline(data),
        *(s.render() for s in sections),
        "</main>",
        ("<footer>Sumber: gudang data Satu Data Kemiskinan (tabel <code>mart</code> yang sudah diterbitkan, "
        "<code>meta.publikasi</code>, <code>meta.submission</code>, <code>core.wilayah</code>); hanya angka "
        "agregat, tanpa data pribadi. Definisi indikator: dokumen konvergensi dan kamus data publikasi. "
        f"Laporan dibuat otomatis {_e(generated)}.</footer>"),
        "</body></html>",
    ]
    return "\n".join(out), charts


# --------------------------------------------------------------------------------------------- Chromium


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(browser: str, profile: Path, *args: str) -> list[str]:
    """Headless Chromium with a throwaway profile (the worker's home may be read-only)."""
    return [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--disable-extensions", f"--user-data-dir={profile}", *args]


def render_pdf(html_path: Path, pdf_path: Path, *, browser: str | None = None,
               timeout: float = PDF_TIMEOUT_SECONDS) -> Path | None:
    """Print the HTML to PDF (A4, from the page's CSS) with headless Chromium; None when Chromium is absent.

    A Chromium that is present but fails raises `RuntimeError`.
    """
    browser = browser or find_chromium()
    if browser is None:
        log.warning("Chromium not found (chromium / chromium-browser): PDF of %s not written", html_path.name)
        return None
    with tempfile.TemporaryDirectory(prefix="satudata-chromium-") as tmp:
        target = Path(tmp) / "laporan.pdf"
        command = chromium_command(browser, Path(tmp) / "profil", "--no-pdf-header-footer",
                                   f"--print-to-pdf={target}", html_path.resolve().as_uri())
        try:
            done = subprocess.run(command, capture_output=True, timeout=timeout, check=False,
                                  env=_chromium_env(Path(tmp)))
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"Chromium did not print {html_path.name} within {timeout:.0f} s") from exc
        if not target.exists() or not target.read_bytes().startswith(b"%PDF"):
            tail = done.stderr.decode("utf-8", "replace")[-2000:]
            raise RuntimeError(f"Chromium (exit {done.returncode}) wrote no PDF of {html_path.name}: {tail}")
        write_atomically(pdf_path, target.read_bytes())
    return pdf_path


def _chromium_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["HOME"] = str(home)  # crash reports and caches go to the throwaway folder
    return env


# --------------------------------------------------------------------------------------------- entry point


def write_report(settings: Settings, periode: str, out_dir: Path) -> dict:
    """Write `laporan_<periode>.html` (and `.pdf` when Chromium is installed) for the current publication."""
    if not _PERIODE.match(periode or ""):
        raise ValueError(f"periode must be YYYY-MM, not {periode!r}")
    out_dir = Path(out_dir)
    data = read_data(settings, periode)
    page, charts = render_html(data)
    html_path = write_atomically(out_dir / f"laporan_{periode}.html", page.encode("utf-8"))
    started = time.monotonic()
    pdf_path = render_pdf(html_path, out_dir / f"laporan_{periode}.pdf")
    if pdf_path is not None:
        log.info("report of %s printed to PDF in %.1f s: %s", periode, time.monotonic() - started, pdf_path)
    log.info("report of %s (publication %s): %s, %d charts", periode, data.publikasi["publikasi_id"], html_path,
             charts)
    return {"periode": periode, "publikasi_id": int(data.publikasi["publikasi_id"]), "html": str(html_path),
            "pdf": None if pdf_path is None else str(pdf_path), "grafik": charts}
