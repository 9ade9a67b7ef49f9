"""The forum's report: Vega-Lite charts (Altair) drawn without a browser, suppressed cells shown as such,
the PDF typeset by Typst, and the HTML rendered by a real Chromium (console, charts, tooltip, screenshot).

The warehouse is the hand-made scenario of `test_konvergensi.py`, computed for two periods (so graduation
can be shown), with a few submissions and a hostile regency name, then published. The browser tests need
Chromium: skipped with the reason where it is missing, a failure in CI (`.ci/run` installs it).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from satudata.config import Settings
from satudata.pipeline import konvergensi
from satudata.publish import charts
from satudata.publish.charts import (
    DISENSOR,
    bar_chart,
    format_nilai,
    grouped_bar_chart,
    stacked_bar_chart,
    to_svg,
)
from satudata.publish.publication import publish_period
from satudata.publish.report import html_table, nilai, write_report
from satudata.warehouse.engine import make_engine, read_frame

from tests.konvergensi.test_run import BEFORE, KAB, KAB2, PERIODE, _frames, _previous_period, _write

# its module fixtures are built once: the module's tests stay on one worker
pytestmark = pytest.mark.xdist_group("publish/test_report")


SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = '<script>alert("x")</script> & Bima'
APPROVER = "Ibu Walidata"

# ---------------------------------------------------------------------------------------------- charts


def _svg(spec: dict) -> ET.Element:
    root = ET.fromstring(to_svg(spec))  # raises on anything that is not well-formed XML
    assert root.tag == f"{SVG}svg"
    return root


def _marks(root: ET.Element, kind: str) -> list[ET.Element]:
    """The drawn marks of one kind ('rect' bars, 'text' labels, 'rule' lines), in drawing order."""
    found = []
    for group in root.iter(f"{SVG}g"):
        classes = (group.get("class") or "").split()
        if f"mark-{kind}" in classes and "role-mark" in classes:
            found += [e for e in group if e.tag in (f"{SVG}path", f"{SVG}text", f"{SVG}line")]
    return found


def _texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in _marks(root, "text")]


def _width(path: ET.Element) -> float:
    """Width of a bar drawn as 'M x,y h W v H h -W Z' (Vega's SVG path of a rect)."""
    found = re.search(r"h(-?[\d.]+)", path.get("d") or "")
    return float(found.group(1)) if found else 0.0


def _data(spec: dict) -> list[dict]:
    return [row for rows in spec["datasets"].values() for row in rows if "kategori" in row]


@pytest.mark.parametrize("horizontal", [True, False])
def test_bar_chart_draws_one_bar_per_number_and_never_a_bar_for_a_suppressed_value(horizontal):
    labels = ["Kab. Dompu", "Kab. Bima", "Kota Bima", "Kota Mataram", "Kab. Sumbawa"]
    values = [93.6, 0.0, DISENSOR, None, 41.25]
    spec = bar_chart(labels, values, title="Cakupan", axis_label="Cakupan (%)", unit="%", decimals=1,
                     horizontal=horizontal, max_value=100, reference=("Provinsi", 80.0))
    root = _svg(spec)
    bars = _marks(root, "rect")
    assert len(bars) == 3, "one bar per figure, a zero included; none for a suppressed or missing value"
    if horizontal:
        assert _width(bars[1]) == 0.0  # a zero is a zero
    texts = _texts(root)
    for shown in ("93,6%", "0,0%", "41,2%", "disensor", "tidak ada", "Provinsi: 80,0%"):
        assert shown in texts, (shown, texts)
    assert "0,0%" not in [t for t in texts if t == "disensor"]
    assert texts.count("disensor") == 1 and texts.count("tidak ada") == 1
    assert len(_marks(root, "rule")) == 1, "the province's reference line"
    svg = to_svg(spec)
    assert "Cakupan (%)" in svg and "Kab. Sumbawa" in svg
    # The axis speaks Indonesian: ticks like "100" and never a decimal point for a comma.
    assert not re.search(r">\d+\.\d<", svg)
    # The tooltip names the exact figure, as the table does.
    rows = {r["kategori"]: r for r in _data(spec)}
    assert rows["Kab. Dompu"]["teks"] == "93,6%" and rows["Kota Bima"]["teks"] == "disensor"
    assert rows["Kota Bima"]["nilai"] is None and rows["Kota Mataram"]["teks"] == "tidak ada"
    bar_layer = spec["layer"][0]
    assert [t["field"] for t in bar_layer["encoding"]["tooltip"]] == ["kategori", "teks"]
    assert spec["description"] and spec["title"]["text"] == "Cakupan"


def test_axis_numbers_use_the_indonesian_format():
    root = _svg(bar_chart(["A", "B"], [1234567, 2500], title="Keluarga", axis_label="Keluarga"))
    texts = _texts(root)
    assert "1.234.567" in texts and "2.500" in texts
    ticks = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert any(re.fullmatch(r"\d{1,3}(\.\d{3})+", t) for t in ticks), ticks  # "1.000.000" on the axis


def test_hostile_names_stay_text_in_charts_and_tables():
    labels = [HOSTILE, "A \"B\" & 'C'", "x" * 80]
    spec = bar_chart(labels, [1, 2, 3], title=f"Judul {HOSTILE}", axis_label="<b>keluarga</b>")
    svg = to_svg(spec)
    assert "<script" not in svg and "<b>" not in svg
    root = ET.fromstring(svg)
    assert any(HOSTILE in "".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    table = html_table("Tabel <i>", ["Wilayah", "Nilai"], [[HOSTILE, "1"]])
    assert "<script" not in table and "<i>" not in table and "&lt;script&gt;" in table
    for spec in (grouped_bar_chart([HOSTILE], [(HOSTILE, [1])], title=HOSTILE, axis_label=HOSTILE),
                 stacked_bar_chart([HOSTILE], [(HOSTILE, [1])], title=HOSTILE, axis_label=HOSTILE,
                                   annotations=[HOSTILE])):
        assert "<script" not in to_svg(spec)


def test_grouped_and_stacked_charts_count_their_bars():
    categories = ["Kab. Dompu", "Kab. Bima", "Kota Bima"]
    grouped = _svg(grouped_bar_chart(
        categories, [("Eksklusi", [10.0, DISENSOR, 0.0]), ("Inklusi", [50.0, 60.0, None])],
        title="Kesalahan", axis_label="Persen (%)", unit="%", decimals=1, max_value=100))
    assert len(_marks(grouped, "rect")) == 4
    assert {"disensor", "tidak ada", "10,0%", "0,0%"} <= set(_texts(grouped))
    legend = [e for e in grouped.iter(f"{SVG}g") if "role-legend" in (e.get("class") or "")]
    assert legend, "a legend names the series"

    stacked = stacked_bar_chart(
        categories, [("diterima", [100, 0, 7]), ("ditolak", [5, DISENSOR, 3])], title="Kiriman",
        axis_label="Baris", annotations=["", "", "1 berkas ditolak"])
    root = _svg(stacked)
    assert len(_marks(root, "rect")) == 4  # a zero has no segment, a suppressed part none either
    assert _texts(root) == ["105", "disensor", "10 (1 berkas ditolak)"]
    with pytest.raises(ValueError):
        grouped_bar_chart(categories, [("a", [1, 2])], title="t", axis_label="a")


def test_a_suppressed_part_marks_the_stacked_total_as_partial():
    root = _svg(stacked_bar_chart(["A"], [("x", [10]), ("y", [DISENSOR])], title="t", axis_label="a"))
    assert _texts(root) == ["10*"]


def test_values_read_from_mart_keep_suppressed_apart_from_zero_and_from_no_value():
    row = {"keluarga_desil1": None, "desil1_terintervensi": 0, "persen_cakupan_desil1": None,
           "persen_inklusi": None, "keluarga_penerima": 1234, "sel_disensor": "keluarga_desil1,persen_inklusi"}
    assert nilai(row, "keluarga_desil1") is DISENSOR
    assert nilai(row, "desil1_terintervensi") == 0.0
    assert nilai(row, "persen_cakupan_desil1") is None  # a percentage of zero families, not a secret
    assert nilai(row, "persen_inklusi") is DISENSOR
    assert nilai({"keluarga_desil1": pd.NA, "sel_disensor": pd.NA}, "keluarga_desil1") is DISENSOR  # never 0
    assert format_nilai(DISENSOR) == "disensor" and format_nilai(None) == "–"
    assert format_nilai(1234567.0) == "1.234.567" and format_nilai(93.56, 1, "%") == "93,6%"
    assert format_nilai(0.0) == "0" and format_nilai(0.0, 1, "%") == "0,0%"


def test_the_vega_bundle_is_self_contained():
    bundle = charts.vega_bundle()
    assert "vegaEmbed" in bundle and len(bundle) > 200_000
    assert not re.search(r"""(src|href)\s*=\s*["']https?://""", bundle), "the report must not fetch anything"


def test_the_vega_bundle_is_made_once_per_release_and_kept(tmp_path, monkeypatch):
    import vl_convert

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    charts.vega_bundle.cache_clear()
    try:
        bundle = charts.vega_bundle()
        kept = tmp_path / "satudata" / f"vega-bundle-{vl_convert.__version__}.js"
        assert kept.read_text("utf-8") == bundle and "vegaEmbed" in bundle
        kept.write_text("/* kept */", "utf-8")
        charts.vega_bundle.cache_clear()
        assert charts.vega_bundle() == "/* kept */", "a later process reads the kept bundle"
    finally:
        charts.vega_bundle.cache_clear()


# ---------------------------------------------------------------------------------------------- warehouse


def _submissions() -> pd.DataFrame:
    now = datetime.now(UTC)
    rows = [  # (kode_kab, jenis, periode, status, total, accepted, rejected, warning)
        (KAB, "dtks", PERIODE, "accepted", 10, 10, 0, 2),
        (KAB, "intervensi", PERIODE, "partial", 8, 6, 2, 1),
        (KAB2, "p3ke", PERIODE, "rejected", 5, 0, 5, 0),
        (KAB2, "dtks", PERIODE, "duplicate", 4, 4, 0, 0),
        (KAB, "dtks", BEFORE, "accepted", 1000, 1000, 0, 0),  # another period: not in this report
    ]
    return pd.DataFrame([{
        "submission_id": 500 + i, "file_name": f"{jenis}_{periode}.xlsx", "inbox_path": f"{kab}/{jenis}.xlsx",
        "archive_path": f"{kab}/{i}.xlsx", "sha256": f"{i:064d}", "size_bytes": 1000, "kode_kab": kab,
        "jenis": jenis, "periode": periode, "received_at": now, "status": status, "rows_total": total,
        "rows_accepted": accepted, "rows_rejected": rejected, "rows_warning": warning, "attempts": 1,
    } for i, (kab, jenis, periode, status, total, accepted, rejected, warning) in enumerate(rows)])


def _publish(settings: Settings, minimum: int) -> int:
    return publish_period(settings, PERIODE, disetujui_oleh=APPROVER, cara_persetujuan="konfigurasi",
                          run_id="test", minimum=minimum)["publikasi_id"]


def _warehouse(tmp_path: Path, url: str, minimum: int) -> Settings:
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=url)
    settings.ensure_folders()
    _write(url, _frames(PERIODE))
    _write(url, _frames(BEFORE, families=_previous_period(), lists=[]))
    _write(url, {"meta.submission": _submissions()})
    konvergensi(BEFORE, settings)
    konvergensi(PERIODE, settings)
    _publish(settings, minimum)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:  # a regency name from the data that would run as script if not escaped
            conn.execute(sa.text("UPDATE core.wilayah SET nama = :n WHERE kode = :k"), {"n": HOSTILE, "k": KAB2})
            conn.execute(sa.text("UPDATE mart.konvergensi_kabupaten SET nama_wilayah = :n WHERE kode_kab = :k"),
                         {"n": HOSTILE, "k": KAB2})
    finally:
        engine.dispose()
    return settings


def _mart(settings: Settings, table: str) -> list[dict]:
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            frame = read_frame(conn, f"SELECT * FROM mart.{table} WHERE periode = :p", {"p": PERIODE})
    finally:
        engine.dispose()
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


class _Page(HTMLParser):
    """What the tests look for in an HTML page or a DOM Chromium dumped."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.charts: list[dict] = []  # per div.grafik: its aria-label, counts of rect/path, its texts
        self.scripts: list[str] = []  # the type of each <script>
        self.cards: dict[str, str] = {}
        self.tables: list[list[list[str]]] = []
        self.captions: list[str] = []
        self._caption = False
        self._svg_depth = 0
        self._card: str | None = None
        self._card_value = False
        self._cell: list[str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a.get("type") or "")
        if tag == "div" and "grafik" in (a.get("class") or "").split():
            self.charts.append({"label": a.get("aria-label"), "rect": 0, "path": 0, "text": []})
            self._svg_depth = 1
        elif self._svg_depth:
            if tag == "div":
                self._svg_depth += 1
            if tag in ("rect", "path"):
                self.charts[-1][tag] += 1
            if tag == "text":
                self._text = []
        if a.get("data-kunci"):
            self._card = a["data-kunci"]
        if self._card and tag == "div" and "nilai" in (a.get("class") or "").split():
            self._card_value, self._text = True, []
        if tag == "table":
            self.tables.append([])
            self.captions.append("")
        if tag == "caption":
            self._caption, self._text = True, []
        if tag == "tr" and self.tables:
            self.tables[-1].append([])
        if tag in ("td", "th") and self.tables:
            self._cell, self._text = [], []

    def handle_endtag(self, tag):
        if tag == "text" and self._svg_depth:
            self.charts[-1]["text"].append("".join(self._text).strip())
        if tag == "div" and self._svg_depth:
            self._svg_depth -= 1
        if tag == "div" and self._card_value:
            self.cards[self._card] = "".join(self._text).strip()
            self._card_value, self._card = False, None
        if tag == "caption" and self._caption:
            self.captions[-1] = "".join(self._text).strip()
            self._caption = False
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._text).strip())
            self._cell = None

    def handle_data(self, data):
        self._text.append(data)


def _page(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _table(page: _Page, chart: int) -> list[list[str]]:
    """Rows (header rows included) of the data table under chart `chart`."""
    found = [t for t, caption in zip(page.tables, page.captions, strict=True)
             if caption.startswith(f"Data grafik {chart}:")]
    assert len(found) == 1, page.captions
    return found[0]


def _names(settings: Settings) -> dict[str, str]:
    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT kode, nama FROM core.wilayah WHERE kode IN (:a, :b)"),
                                     {"a": KAB, "b": KAB2}).all())
    finally:
        engine.dispose()


HEADLINE = (("keluarga_desil1", 0, ""), ("persen_cakupan_desil1", 1, "%"), ("persen_eksklusi_desil1", 1, "%"),
            ("persen_inklusi", 1, "%"), ("keluarga_tumpang_tindih_pelanggaran", 0, ""),
            ("penerima_tidak_ditemukan", 0, ""))


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return "\n".join(page.extract_text() for page in reader.pages)


def _pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_suppressed_cells_are_shown_as_disensor_never_as_zero(tmp_path, warehouse_url):
    """Published with the real minimum (5): this small scenario is mostly suppressed. Also checks the
    report's SQL on both engines, and that the PDF is written with no browser involved."""
    settings = _warehouse(tmp_path, warehouse_url, minimum=5)
    result = write_report(settings, PERIODE, tmp_path / "out")
    text = Path(result["html"]).read_text(encoding="utf-8")
    page = _page(text)
    assert page.scripts == ["application/json", "", ""], "the chart data, the Vega bundle, the embedding"
    assert len(page.charts) == result["grafik"]
    assert HOSTILE not in text, "a region name must never reach the page unescaped"

    province = _mart(settings, "konvergensi_provinsi")[0]
    assert "keluarga_desil1" in (province["sel_disensor"] or ""), "the scenario's 4 desil-1 families are small"
    for key, decimals, unit in HEADLINE:
        expected = format_nilai(nilai(province, key), decimals, unit)
        assert page.cards[key] == expected
    assert page.cards["keluarga_desil1"] == "disensor"

    # Table 1, row by row against mart: every empty cell reads "disensor", every other the figure.
    rows = {r[0]: r for r in _table(page, 1)[1:]}
    names = _names(settings)
    kabupaten = _mart(settings, "konvergensi_kabupaten")
    assert {r["kode_kab"] for r in kabupaten} == {KAB, KAB2}
    hidden = 0
    for row in kabupaten:
        shown = rows[names[row["kode_kab"]]]
        for column, cell in zip(("keluarga_desil1", "desil1_terintervensi", "desil1_tanpa_program_inti",
                                 "persen_cakupan_desil1"), shown[1:5], strict=True):
            if row[column] is None:
                hidden += 1
                assert cell == "disensor", (column, shown)
            else:
                assert cell == format_nilai(float(row[column]), 1 if column.startswith("persen") else 0)
    assert hidden, "the scenario has suppressed regency cells"
    assert "kurang dari 5" in text
    # The static drawing of chart 1 says "disensor" where a regency's coverage is suppressed.
    coverage = {r["kode_kab"]: r["persen_cakupan_desil1"] for r in kabupaten}
    if any(v is None for v in coverage.values()):
        assert "disensor" in page.charts[0]["text"]

    pdf = Path(result["pdf"])
    assert pdf.read_bytes().startswith(b"%PDF")
    assert "disensor" in _pdf_text(pdf)


def test_an_unpublished_period_has_no_report(tmp_path, duckdb_warehouse_url):
    settings = Settings(data_dir=tmp_path / "data", warehouse_url=duckdb_warehouse_url)
    with pytest.raises(ValueError, match="not been published"):
        write_report(settings, PERIODE, tmp_path / "out")
    with pytest.raises(ValueError, match="YYYY-MM"):
        write_report(settings, "../2026-11", tmp_path / "out")
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def published(tmp_path_factory, _duckdb_template) -> dict:
    """The report of the scenario published exactly (minimum 1: every figure shown), written once."""
    tmp_path = tmp_path_factory.mktemp("laporan")
    shutil.copyfile(_duckdb_template, tmp_path / "warehouse.duckdb")
    settings = _warehouse(tmp_path, f"duckdb:///{tmp_path / 'warehouse.duckdb'}", minimum=1)
    started = time.monotonic()
    result = write_report(settings, PERIODE, tmp_path / "out")
    print(f"write_report (HTML + PDF, 7 charts): {time.monotonic() - started:.2f} s")
    return {"settings": settings, "result": result}


def test_pdf_headline_figures_are_the_published_ones(published):
    pdf = Path(published["result"]["pdf"])
    assert pdf.name == f"laporan_{PERIODE}.pdf"
    assert _pdf_pages(pdf) >= 2, "an A4 report of seven charts and their tables"
    text = _pdf_text(pdf)
    province = _mart(published["settings"], "konvergensi_provinsi")[0]
    assert not province["sel_disensor"]
    for key, decimals, unit in HEADLINE:
        assert format_nilai(nilai(province, key), decimals, unit) in text, key
    # Known by hand (test_konvergensi.py): 25 % of 4 desil-1 families reached, 50 % inclusion error.
    assert "25,0%" in text and "75,0%" in text and "50,0%" in text
    assert "Laporan Konvergensi" in text and "November 2024" in text and APPROVER in text
    assert "keluarga sasaran (desil P3KE)" in " ".join(text.split()), "a 2024 period targets by P3KE's desil"
    assert HOSTILE in text.replace("\n", " ") or "alert" in text, "a hostile name is printed as text"
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", text), "a NIK-like number in the report"


def test_html_carries_every_chart_static_and_interactive(published):
    result = published["result"]
    text = Path(result["html"]).read_text(encoding="utf-8")
    page = _page(text)
    assert result["grafik"] == 7, "two periods: graduation is drawn too"
    assert len(page.charts) == 7
    for chart in page.charts:
        assert chart["label"], chart
        assert chart["path"] > 0, chart  # the static drawing is there before any script runs
    specs = json.loads(re.search(r'<script type="application/json" id="spesifikasi-grafik"[^>]*>(.*?)</script>',
                                 text, re.DOTALL).group(1))
    assert len(specs) == 7
    assert "https://" not in re.sub(r"<script>.*?</script>", "", text, flags=re.DOTALL), "no link to fetch"


# ---------------------------------------------------------------------------------------------- Chromium


@pytest.fixture(scope="module")
def rendered(published, chromium, artifacts_dir) -> dict:
    """The HTML loaded in the real Chromium (Playwright drives the system browser): what a forum laptop shows."""
    from playwright.sync_api import sync_playwright

    html_path = Path(published["result"]["html"])
    console: list[str] = []
    dialogs: list[str] = []
    started = time.monotonic()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": 1024, "height": 1400})
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type in ("error", "warning")
                    else None)
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(html_path.resolve().as_uri())
            page.wait_for_function("document.querySelectorAll('.grafik.interaktif').length === "
                                   "document.querySelectorAll('.grafik').length", timeout=30_000)
            drawn = page.evaluate("""() => Array.from(document.querySelectorAll('.grafik')).map(el => {
                const svg = el.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;
                return {id: el.id, width: box ? box.width : 0, height: box ? box.height : 0,
                        marks: el.querySelectorAll('.role-mark path, .role-mark text').length,
                        visible: !!(el.offsetWidth && el.offsetHeight)};
            })""")
            first_bar = page.locator("#grafik-cakupan-kabupaten .mark-rect path").first
            first_bar.hover()
            page.wait_for_selector("#vg-tooltip-element.visible", timeout=5_000)
            tooltip = page.inner_text("#vg-tooltip-element")
            dom = page.content()
            text = page.inner_text("body")
            shot = artifacts_dir / "laporan.png"
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    print(f"Chromium render: {time.monotonic() - started:.2f} s; screenshot {shot}")
    return {"console": console, "dialogs": dialogs, "drawn": drawn, "tooltip": tooltip, "dom": dom, "text": text,
            "screenshot": shot, **published}


def test_report_loads_in_chromium_without_console_errors(rendered):
    assert rendered["console"] == []
    assert rendered["dialogs"] == [], "a region name ran as script"


def test_every_chart_is_drawn_interactive_and_visible(rendered):
    assert len(rendered["drawn"]) == 7
    for chart in rendered["drawn"]:
        assert chart["visible"] and chart["width"] > 200 and chart["height"] > 80, chart
        assert chart["marks"] > 0, chart


def test_tooltip_gives_the_exact_figure(rendered):
    province_rows = _mart(rendered["settings"], "konvergensi_kabupaten")
    shown = {format_nilai(float(r["persen_cakupan_desil1"]), 1, "%") for r in province_rows
             if r["persen_cakupan_desil1"] is not None}
    assert any(figure in rendered["tooltip"] for figure in shown), rendered["tooltip"]


def test_headline_numbers_in_the_browser_are_the_published_ones(rendered):
    page = _page(rendered["dom"])
    province = _mart(rendered["settings"], "konvergensi_provinsi")[0]
    assert {key: page.cards[key] for key, _, _ in HEADLINE} == {
        key: format_nilai(nilai(province, key), decimals, unit) for key, decimals, unit in HEADLINE}
    assert page.cards["keluarga_desil1"] == "4"
    assert page.cards["persen_cakupan_desil1"] == "25,0%"
    assert page.cards["persen_eksklusi_desil1"] == "75,0%"
    assert page.cards["persen_inklusi"] == "50,0%"
    assert page.cards["penerima_tidak_ditemukan"] == "1"
    assert HOSTILE in rendered["dom"].replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&") \
        .replace("&quot;", '"')
    # What a reader sees (the DOM itself holds Vega's code and path coordinates with long fractions).
    assert not re.search(r"(?<!\d)\d{16}(?!\d)", rendered["text"]), "a NIK-like number in the report"


def test_submission_quality_counts_only_the_period_and_no_duplicates(rendered):
    page = _page(rendered["dom"])
    names = _names(rendered["settings"])
    rows = {r[0]: r[1:] for r in _table(page, 9)[2:]}
    by_kab = rows[names[KAB]]
    # files: accepted, partial, rejected, duplicate; rows: total, accepted, rejected, warning, % accepted
    assert by_kab == ["1", "1", "0", "0", "18", "16", "2", "3", "88,9"]
    hostile = rows[HOSTILE]  # 5206: one refused file, one duplicate
    assert hostile == ["0", "0", "1", "1", "5", "0", "5", "0", "0,0"]


def test_screenshot_is_kept(rendered):
    shot = rendered["screenshot"]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000, "a blank page"


@pytest.mark.parametrize(("sumber", "said"), [
    ({"5205": "dtsen", "5201": "dtsen"}, "desil DTSEN"),
    ({"5205": "p3ke"}, "desil P3KE"),
    ({"5205": "dtsen", "5201": "p3ke", "5271": "dtsen"}, "desil DTSEN di 2 kabupaten/kota, P3KE di 1"),
    ({}, ""),
])
def test_the_report_names_whose_desil_the_targets_use(sumber, said):
    """Under the 2025 rules the targets are DTSEN's desil-1 families (a regency without an extract keeps P3KE's):
    the report must not call them P3KE's."""
    from satudata.publish.report_model import Data

    data = Data("2026-11", {}, {}, pd.DataFrame(), sumber_desil=sumber)
    assert data.desil_dari() == said
