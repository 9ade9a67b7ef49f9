"""The forum report's charts as Vega-Lite specifications, built with Altair and drawn by Vega.

    spec = bar_chart(["Kab. Dompu", "Kota Bima"], [93.6, DISENSOR], title=..., axis_label=..., unit="%")
    svg = to_svg(spec)            # static drawing (vl-convert: Vega's own renderer, no browser)
    vega_bundle()                 # Vega + Vega-Lite + Vega-Embed as one script, for the offline HTML

Each chart's data rows carry the figure (`nilai`, empty when there is none) and its text as the report
prints it (`teks`: "93,6%", "1.234", "disensor", "tidak ada"). Bars are drawn only for figures; a
suppressed cell gets the word "disensor" where its bar would start, never a zero bar. Tooltips show the
exact figure. Axis numbers use the Indonesian format through `FORMAT_LOCALE`, given to Vega both here
(static SVG) and in the browser (vega-embed).
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Sequence
from pathlib import Path

import altair as alt
import pandas as pd

from satudata.fileio import write_atomically

# d3-format's locale for Indonesia (not among vl-convert's named locales): 1.234.567 and 93,6.
FORMAT_LOCALE = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp", ""]}
FONT = "DejaVu Sans, Liberation Sans, Arial, sans-serif"
WIDTH = 560

# Okabe-Ito: distinguishable with the common colour-vision deficiencies, and in greyscale by lightness.
WARNA = {"biru": "#0072B2", "oranye": "#E69F00", "hijau": "#009E73", "merah": "#D55E00", "ungu": "#CC79A7",
         "langit": "#56B4E9", "kuning": "#F0E442", "hitam": "#000000", "abu": "#8C8C8C"}
PALET = (WARNA["biru"], WARNA["oranye"], WARNA["hijau"], WARNA["merah"], WARNA["ungu"], WARNA["langit"],
         WARNA["kuning"], WARNA["abu"])


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


def is_number(value) -> bool:
    return value is not None and value is not DISENSOR and not (isinstance(value, float) and math.isnan(value))


def format_angka(value: float, decimals: int = 0) -> str:
    """Indonesian number format: 12.345 and 93,6."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def format_nilai(value: Value, decimals: int = 0, unit: str = "") -> str:
    """A published value as text: 'disensor' for a suppressed cell, '–' for no value, never 0 for either."""
    if value is DISENSOR:
        return "disensor"
    if not is_number(value):
        return "–"
    return format_angka(float(value), decimals) + unit


def _missing_word(value: Value) -> str:
    return "disensor" if value is DISENSOR else "tidak ada"


def _row(category: str, value: Value, decimals: int, unit: str, **more) -> dict:
    number = is_number(value)
    return {"kategori": str(category), "nilai": float(value) if number else None,
            "teks": format_nilai(value, decimals, unit) if number else _missing_word(value),
            "ada": number, **more}


def _value_axis(axis_label: str, decimals: int, unit: str) -> alt.Axis:
    """Ticks in the Indonesian format; counts get whole-number ticks only (no 0, 0, 1, 1 from rounding)."""
    counts = decimals == 0 and unit != "%"
    fmt = ",.0f" if decimals == 0 or unit == "%" else f",.{decimals}f"
    return alt.Axis(format=fmt, title=axis_label, grid=True, **({"tickMinStep": 1} if counts else {}))


def _finish(chart: alt.TopLevelMixin, title: str, desc: str) -> dict:
    spec = chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=13),
                            description=desc or title).configure(font=FONT).configure_view(stroke=None) \
        .configure_axis(labelFontSize=11, titleFontSize=11, labelLimit=260).to_dict()
    spec.pop("$schema", None)  # the bundled Vega-Lite is the one that draws it
    return spec


def _value_scale(values: Sequence[float], max_value: float | None) -> alt.Scale:
    top = max([*values, max_value or 0.0, 0.0]) or 1.0
    return alt.Scale(domain=[0, top], nice=max_value is None)


def _labels_layers(base: alt.Chart, x_or_y: str, horizontal: bool, offset: dict) -> list[alt.Chart]:
    """The figure at the end of each bar, and the word 'disensor'/'tidak ada' where a bar is missing."""
    pos = {"align": "left", "dx": 4} if horizontal else {"baseline": "bottom", "dy": -3}
    value = base.transform_filter("datum.ada").mark_text(fontSize=10, **pos).encode(
        **{x_or_y: alt.X("nilai:Q") if horizontal else alt.Y("nilai:Q")}, text="teks:N", **offset)
    # Under a vertical bar the word stands upright, so that neighbours' words do not run into each other.
    words = {"align": "left", "dx": 4} if horizontal else {"align": "left", "baseline": "middle", "angle": 270,
                                                           "dx": 4}
    missing = base.transform_filter("!datum.ada").mark_text(fontSize=10, fontStyle="italic", color="#595959",
                                                            **words).encode(
        **{x_or_y: alt.datum(0)}, text="teks:N", **offset)
    return [value, missing]


def bar_chart(labels: Sequence[str], values: Sequence[Value], *, title: str, axis_label: str, unit: str = "",
              decimals: int = 0, horizontal: bool = True, max_value: float | None = None,
              colour: str = WARNA["biru"], reference: tuple[str, float] | None = None, desc: str = "",
              category_title: str = "Wilayah") -> dict:
    """One series of bars with their figures; `reference` draws a dashed line (e.g. the province's value)."""
    if len(labels) != len(values):
        raise ValueError("labels and values differ in length")
    rows = [_row(label, value, decimals, unit) for label, value in zip(labels, values, strict=True)]
    numbers = [r["nilai"] for r in rows if r["ada"]] + ([reference[1]] if reference else [])
    frame = pd.DataFrame(rows, columns=["kategori", "nilai", "teks", "ada"])
    order = [str(label) for label in labels]
    value_axis = _value_axis(axis_label, decimals, unit)
    category = alt.Axis(title=None, labelAngle=0 if horizontal else -30, labelLimit=260 if horizontal else 110)
    if horizontal:
        enc_cat = alt.Y("kategori:N", sort=order, axis=category, scale=alt.Scale(domain=order))
        enc_val = alt.X("nilai:Q", axis=value_axis, scale=_value_scale(numbers, max_value))
    else:
        enc_cat = alt.X("kategori:N", sort=order, axis=category, scale=alt.Scale(domain=order))
        enc_val = alt.Y("nilai:Q", axis=value_axis, scale=_value_scale(numbers, max_value))
    tooltip = [alt.Tooltip("kategori:N", title=category_title), alt.Tooltip("teks:N", title=axis_label)]
    base = alt.Chart(frame).encode(**({"y": enc_cat} if horizontal else {"x": enc_cat}))
    bars = base.transform_filter("datum.ada").mark_bar(color=colour).encode(
        **({"x": enc_val} if horizontal else {"y": enc_val}), tooltip=tooltip)
    layers = [bars, *_labels_layers(base, "x" if horizontal else "y", horizontal, {})]
    if reference:
        ref = pd.DataFrame([{"nilai": float(reference[1]),
                             "teks": f"{reference[0]}: {format_nilai(reference[1], decimals, unit)}"}])
        axis = "x" if horizontal else "y"
        rule = alt.Chart(ref).mark_rule(color="#000000", strokeDash=[5, 3], strokeWidth=1.5).encode(
            **{axis: alt.X("nilai:Q") if horizontal else alt.Y("nilai:Q")},
            tooltip=[alt.Tooltip("teks:N", title="Acuan")])
        pos = {"align": "left", "dx": 4, "baseline": "bottom", "y": 0} if horizontal else \
            {"align": "right", "baseline": "bottom", "dy": -3, "x": "width"}
        note = alt.Chart(ref).mark_text(fontSize=11, fontWeight="bold", **pos).encode(
            **{axis: alt.X("nilai:Q") if horizontal else alt.Y("nilai:Q")}, text="teks:N")
        layers += [rule, note]
    # A fixed width for few vertical bars, so that the reference line's label has room beside them.
    size = {"width": WIDTH, "height": alt.Step(22)} if horizontal else {"width": max(320, 52 * len(labels)),
                                                                          "height": 240}
    return _finish(alt.layer(*layers).properties(**size), title, desc)


def _series_rows(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Value]]], decimals: int,
                 unit: str) -> list[dict]:
    for name, values in series:
        if len(values) != len(categories):
            raise ValueError(f"series {name!r} has {len(values)} values for {len(categories)} categories")
    return [_row(category, values[i], decimals, unit, seri=str(name), urutan=k)
            for k, (name, values) in enumerate(series) for i, category in enumerate(categories)]


def _colour_scale(series: Sequence[tuple[str, Sequence[Value]]], colours: Sequence[str]) -> alt.Scale:
    return alt.Scale(domain=[str(name) for name, _ in series],
                     range=[colours[k % len(colours)] for k in range(len(series))])


def _legend() -> alt.Legend:
    return alt.Legend(orient="top", title=None, direction="vertical", labelLimit=480, symbolType="square")


def grouped_bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Value]]], *, title: str,
                      axis_label: str, unit: str = "", decimals: int = 0, max_value: float | None = None,
                      colours: Sequence[str] = PALET, desc: str = "", category_title: str = "Wilayah") -> dict:
    """Horizontal bars grouped per category, one colour per series, with a legend and their figures."""
    rows = _series_rows(categories, series, decimals, unit)
    frame = pd.DataFrame(rows, columns=["kategori", "nilai", "teks", "ada", "seri", "urutan"])
    order = [str(c) for c in categories]
    names = [str(name) for name, _ in series]
    offset = {"yOffset": alt.YOffset("seri:N", sort=names, scale=alt.Scale(domain=names))}
    base = alt.Chart(frame).encode(y=alt.Y("kategori:N", sort=order, scale=alt.Scale(domain=order),
                                           axis=alt.Axis(title=None)))
    bars = base.transform_filter("datum.ada").mark_bar().encode(
        x=alt.X("nilai:Q", axis=_value_axis(axis_label, decimals, unit),
                scale=_value_scale([r["nilai"] for r in rows if r["ada"]], max_value)),
        color=alt.Color("seri:N", scale=_colour_scale(series, colours), legend=_legend(), sort=names),
        tooltip=[alt.Tooltip("kategori:N", title=category_title), alt.Tooltip("seri:N", title="Seri"),
                 alt.Tooltip("teks:N", title=axis_label)], **offset)
    layers = [bars, *_labels_layers(base, "x", True, offset)]
    step = max(14, 12 * len(series)) + 6
    return _finish(alt.layer(*layers).properties(width=WIDTH, height=alt.Step(step)), title, desc)


def stacked_bar_chart(categories: Sequence[str], series: Sequence[tuple[str, Sequence[Value]]], *, title: str,
                      axis_label: str, unit: str = "", decimals: int = 0, colours: Sequence[str] = PALET,
                      annotations: Sequence[str] | None = None, desc: str = "",
                      category_title: str = "Wilayah") -> dict:
    """Horizontal stacked bars, one segment per series, the total at the end of each bar.

    A suppressed part is left out of its bar and the total is marked "*" (the known part); a total with
    every part suppressed reads "disensor". `annotations` follow each total (e.g. "2 berkas ditolak").
    """
    rows = _series_rows(categories, series, decimals, unit)
    annotations = list(annotations or [""] * len(categories))
    totals = []
    for i, category in enumerate(categories):
        parts = [values[i] for _, values in series]
        known = sum(float(v) for v in parts if is_number(v))
        hidden = any(v is DISENSOR for v in parts)
        text = "disensor" if hidden and known == 0 else format_angka(known, decimals) + unit + ("*" if hidden else "")
        totals.append({"kategori": str(category), "jumlah": known,
                       "teks": f"{text} ({annotations[i]})" if annotations[i] else text})
    frame = pd.DataFrame([r for r in rows if r["ada"] and r["nilai"] > 0],
                         columns=["kategori", "nilai", "teks", "ada", "seri", "urutan"])
    order = [str(c) for c in categories]
    names = [str(name) for name, _ in series]
    y = alt.Y("kategori:N", sort=order, scale=alt.Scale(domain=order), axis=alt.Axis(title=None))
    scale = _value_scale([t["jumlah"] for t in totals], None)
    bars = alt.Chart(frame).mark_bar(stroke="#FFFFFF", strokeWidth=0.5).encode(
        y=y, x=alt.X("nilai:Q", stack="zero", scale=scale,
                     axis=_value_axis(axis_label, decimals, unit)),
        color=alt.Color("seri:N", scale=_colour_scale(series, colours), legend=_legend(), sort=names),
        order=alt.Order("urutan:Q"),
        tooltip=[alt.Tooltip("kategori:N", title=category_title), alt.Tooltip("seri:N", title="Bagian"),
                 alt.Tooltip("teks:N", title=axis_label)])
    ends = alt.Chart(pd.DataFrame(totals)).mark_text(align="left", dx=4, fontSize=11).encode(
        y=y, x=alt.X("jumlah:Q", scale=scale), text="teks:N",
        tooltip=[alt.Tooltip("kategori:N", title=category_title), alt.Tooltip("teks:N", title="Jumlah")])
    return _finish(alt.layer(bars, ends).properties(width=WIDTH - 80, height=alt.Step(26)), title, desc)


# --------------------------------------------------------------------------------------------- drawing


def to_svg(spec: dict) -> str:
    """The chart drawn by Vega (vl-convert's embedded engine: no browser, no network)."""
    import vl_convert

    return vl_convert.vegalite_to_svg(spec, format_locale=FORMAT_LOCALE)


@functools.cache
def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one script (about 0.9 MB), defining `vegaEmbed` globally.

    vl-convert bundles it anew each time it is asked (about 2 s), and every process that writes a report
    asked: it is kept in the user's cache folder, one file per vl-convert release (public code, no data)."""
    import vl_convert

    cached = _cache_dir() / f"vega-bundle-{vl_convert.__version__}.js"
    try:
        return cached.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        pass
    bundle = vl_convert.javascript_bundle()
    try:
        write_atomically(cached, bundle.encode("utf-8"))
    except OSError:  # a read-only home: the next process bundles it again
        pass
    return bundle


def _cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "satudata"
