"""Validate a submission with the Great Expectations suites in `expectations/`.

Structure checks that GX cannot express directly (the date inside a NIK, whether a desa lies in the
submitting regency, duplicates across chunks of a streamed file) are computed by `intake.derive` as plain,
vectorised columns (`nik_tanggal_ok`, `kode_desa_kab`, `nik_kemunculan` ...); the *rules* over them live in
the suites, reviewed like code. Each expectation's `meta.aturan` names the rule in `intake.messages`, which
says whether a failing row is rejected (`galat`) or kept with a warning (`peringatan`).

GX runs in a file-backed context under `<data>/gx/`, so every validation is kept as a GX result and
`build_data_docs()` renders them as HTML for engineers.
"""

from __future__ import annotations

import json
import logging
import numbers
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import ClassVar

import pandas as pd

from satudata.config import expectations_dir
from satudata.fileio import file_lock
from satudata.intake import gx_speed
from satudata.intake.derive import (  # once part of this module: its callers still take these from here
    CHECKED_WHERE,
    FAMILY_SUITES,
    FileState,
    ReferenceParameters,
    derive,
)
from satudata.schema import FAMILY_REGISTRIES

log = logging.getLogger(__name__)

SUITE_BY_SHEET = {
    ("dtks", "utama"): "dtks",
    **{(jenis, role): f"{jenis}_{role}" for jenis in FAMILY_REGISTRIES for role in ("keluarga", "anggota")},
    ("intervensi", "utama"): "intervensi",
    ("anggaran", "sub_kegiatan"): "anggaran",
    ("anggaran", "realisasi"): "anggaran",
}
STAGING_TABLE = {suite: f"staging.{suite}" for suite in SUITE_BY_SHEET.values()}
# Every failing row's index (COMPLETE), without the query string GX would also build from it for each
# expectation (`df.filter(items=[...])`, a sixth of a validation's metric time, and never read here), and without
# the failing values: GX stored them with the result and showed them in Data Docs (`<data>/gx`, outside the
# restricted schemas and the archive), and they are failing NIKs, KKs and names (UU 27/2022 PDP).
RESULT_FORMAT = {"result_format": "COMPLETE", "return_unexpected_index_query": False,
                 "exclude_unexpected_values": True}
# Expectations answered value by value, the same for a value wherever it stands (see `SuiteRunner._for_gx`).
CATEGORY_SAFE = frozenset({
    "expect_column_to_exist", "expect_column_values_to_not_be_null", "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_match_regex", "expect_column_values_to_not_match_regex",
})


def _suite_content(suite) -> dict:
    """A suite without its ids (GX gives each stored expectation one): what it checks."""
    data = suite.to_json_dict()
    data.pop("id", None)
    data["expectations"] = [{k: v for k, v in e.items() if k != "id"} for e in data["expectations"]]
    return data


class SuiteRunner:
    """Runs the suites through a file-backed GX context (one per process and data folder)."""

    _instances: ClassVar[dict[Path, SuiteRunner]] = {}

    def __init__(self, gx_root: Path):
        self.gx_root = gx_root
        # The checkpoints this process has set up, by suite: each on its first use (a file of one jenis needs
        # one or two of the suites, and setting one up writes several files of the GX project).
        self._checkpoints: dict = {}

    @classmethod
    def for_folder(cls, gx_root: Path) -> SuiteRunner:
        """The process's runner for a folder: the context and suites are set up once, not per file."""
        key = gx_root.resolve()
        if key not in cls._instances:
            cls._instances[key] = cls(key)
        return cls._instances[key]

    @cached_property
    def context(self):
        with self._setup_lock():  # two processes must not scaffold the project at once
            return self._open_context()

    def _open_context(self):
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        if not gx_speed.install():
            log.info("GX %s: run without satudata's per-validation shortcuts (checked on %s)", gx.__version__,
                     ", ".join(gx_speed.CHECKED_RELEASES))
        self.gx_root.mkdir(parents=True, exist_ok=True)
        context = gx.get_context(mode="file", project_root_dir=str(self.gx_root))
        if getattr(context.variables.progress_bars, "globally", None) is not False:  # saved once, not per process
            context.variables.progress_bars = ProgressBarsConfig(globally=False)
            context.variables.save()
        return context

    def _setup_lock(self):
        return file_lock(self.gx_root / ".satudata-setup.lock")

    @cached_property
    def _suite_specs(self) -> dict[str, dict]:
        """The suites of `expectations/` as stored there, by name."""
        return {spec["name"]: spec for spec in
                (json.loads(path.read_text()) for path in sorted(expectations_dir().glob("*.json")))}

    def _checkpoint(self, name: str):
        """The suite of `expectations/` with its checkpoint. Another process (a second scan, a worker) shares
        the GX project: what it stored already is taken as it is, and the context is read under the same lock,
        so nothing this process holds goes stale behind its back (GX refuses to run a checkpoint whose suite
        changed since it was loaded)."""
        import great_expectations as gx
        from great_expectations.exceptions import DataContextError

        if name in self._checkpoints:
            return self._checkpoints[name]
        with self._setup_lock():
            context = self.__dict__["context"] = self._open_context()
            wanted = gx.ExpectationSuite(**self._suite_specs[name])
            try:
                suite = context.suites.get(wanted.name)
                unchanged = _suite_content(suite) == _suite_content(wanted)
            except DataContextError:
                unchanged = False
            if unchanged:
                try:
                    self._checkpoints[name] = context.checkpoints.get(f"satudata_{wanted.name}")
                    return self._checkpoints[name]
                except DataContextError:
                    pass
            try:
                source = context.data_sources.get("satudata_intake")
            except (KeyError, LookupError, DataContextError):
                source = context.data_sources.add_pandas("satudata_intake")
            suite = context.suites.add_or_update(wanted)
            try:
                asset = source.get_asset(suite.name)
            except LookupError:
                asset = source.add_dataframe_asset(suite.name)
            try:
                batch = asset.get_batch_definition("whole")
            except (KeyError, LookupError):
                batch = asset.add_batch_definition_whole_dataframe("whole")
            definition = context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=suite.name, data=batch, suite=suite)
            )
            self._checkpoints[name] = context.checkpoints.add_or_update(
                gx.Checkpoint(
                    name=f"satudata_{suite.name}",
                    validation_definitions=[definition],
                    actions=[],
                    result_format=RESULT_FORMAT,
                )
            )
        return self._checkpoints[name]

    @cached_property
    def _columns(self) -> dict[str, frozenset[str]]:
        """The columns each suite names: GX gets only those (it copies the whole frame for many metrics)."""
        return {name: frozenset(columns) for name, columns in self._suite_columns.items()}

    @cached_property
    def _categorical(self) -> dict[str, frozenset[str]]:
        """The text columns GX may see as pandas categoricals: those whose every expectation only asks whether a
        value is null, in a set or matches a pattern (answered per category). A column compared with another
        column or with a range keeps its plain values: categoricals compare only with the same categories."""
        return {name: frozenset(c for c, kinds in columns.items() if kinds <= CATEGORY_SAFE)
                for name, columns in self._suite_columns.items()}

    @cached_property
    def _suite_columns(self) -> dict[str, dict[str, set[str]]]:
        """suite -> column -> the expectation types that check it."""
        found: dict[str, dict[str, set[str]]] = {}
        for name, spec in self._suite_specs.items():
            columns = found[name] = {}
            for e in spec["expectations"]:
                for k in ("column", "column_A", "column_B"):
                    if k in e["kwargs"]:
                        columns.setdefault(e["kwargs"][k], set()).add(e["type"])
        return found

    def run(self, suite: str, frame: pd.DataFrame, parameters: dict, run_name: str):
        from great_expectations.core.run_identifier import RunIdentifier

        named = self._columns.get(suite)
        if named is not None:
            frame = frame[[c for c in frame.columns if c in named]]
        frame = self._for_gx(suite, frame)
        for attempt in (1, 2):
            try:
                # The checkpoint's one validation definition, run directly (it stores its result all the
                # same): the checkpoint has no actions, and its own freshness checks and result wrapping were
                # a tenth of a small file's validation.
                checkpoint = self._checkpoint(suite)
                with gx_speed.one_validation():
                    return checkpoint.validation_definitions[0].run(
                        checkpoint_id=checkpoint.id,
                        batch_parameters={"dataframe": frame},
                        expectation_parameters=parameters,
                        result_format=RESULT_FORMAT,  # a stored checkpoint of an older release may hold another
                        run_id=RunIdentifier(run_name=run_name),
                    )
            except Exception as exc:
                # Another process changed the shared GX project under us (a newer release's suites, a first
                # setup racing ours): read it again, once. A second failure is a real one.
                if attempt == 2:
                    raise
                log.warning("GX project changed in another process (%s); reading it again", type(exc).__name__)
                self._checkpoints.clear()
        raise AssertionError("unreachable")

    def _for_gx(self, suite: str, frame: pd.DataFrame) -> pd.DataFrame:
        """GX takes the rows of every column of the frame for each metric (a filter, then a copy), about thirty
        times a validation: a categorical's rows are small integer codes, taken far faster than strings (a
        third of an intervention list's validation, a fifth of a registry's; the same rows fail). The other
        text columns become Python strings, which take faster than Arrow-backed ones."""
        categorical = self._categorical.get(suite, frozenset())
        kinds = {}
        for column, dtype in frame.dtypes.items():
            if not (isinstance(dtype, pd.StringDtype) or dtype == object):
                continue
            if column in categorical:
                kinds[column] = "category"
            elif isinstance(dtype, pd.StringDtype):
                kinds[column] = object
        return frame.astype(kinds) if kinds else frame

    def build_data_docs(self) -> Path:
        """The HTML pages of the validations that have none yet (and of the suites), and the index: a scan
        renders its own files, not again every file validated before it."""
        context = self.context  # (takes the lock itself the first time: not inside it)
        site = self.gx_root / "gx" / "uncommitted" / "data_docs" / "local_site"
        with self._setup_lock():  # one writer of the HTML site at a time
            pages = site / "validations"
            new = [key for key in context.validation_results_store.list_keys()
                   if not Path(pages.joinpath(*map(str, key.to_tuple())).as_posix() + ".html").exists()]
            if new or not (site / "index.html").exists():
                # never an empty list: GX takes it as "everything"
                context.build_data_docs(resource_identifiers=[*context.expectations_store.list_keys(), *new])
        return site / "index.html"


@dataclass
class ChunkVerdict:
    checked: pd.DataFrame  # derived frame (index = baris)
    issues: pd.DataFrame  # baris, kolom, aturan, tingkat, nilai
    rejected_mask: pd.Series
    warning_mask: pd.Series
    results: list[dict]


ISSUE_COLUMNS = ["baris", "kolom", "aturan", "tingkat", "nilai"]


def issues_from_result(validation, checked: pd.DataFrame, original: pd.DataFrame, tingkat_of) -> tuple[
    pd.DataFrame, list[dict]
]:
    """Per-row issues and per-expectation summaries from one GX validation result."""
    frames, results = [], []
    now = datetime.now(UTC)
    for item in validation.results:
        config = item.expectation_config
        meta = config.meta or {}
        aturan = meta.get("aturan", config.type)
        kolom = meta.get("kolom")
        details = item.result or {}
        rows = details.get("unexpected_index_list") or []
        # counts and percentages only: GX's lists and counts of unexpected values (left out by RESULT_FORMAT, and
        # never to be kept if another format brings them) hold the very NIKs and names meta must never keep
        summary = {k: v for k, v in details.items() if v is None or isinstance(v, numbers.Real)}
        results.append(
            {
                "expectation": config.type,
                "kolom": kolom,
                "aturan": aturan,
                "success": bool(item.success),
                "element_count": details.get("element_count"),
                "unexpected_count": details.get("unexpected_count"),
                "result": json.dumps(summary, default=str, ensure_ascii=False)[:20_000],
                "validated_at": now,
                "exception": (item.exception_info or {}).get("exception_message") if not item.success else None,
            }
        )
        if not rows or aturan == "missing_columns":
            continue
        index = pd.Index(rows)
        source = kolom if kolom in original.columns else None
        values = original.loc[index, source].astype("string") if source else pd.Series(pd.NA, index=index)
        frames.append(
            pd.DataFrame(
                {"baris": index.astype("int64"), "kolom": kolom, "aturan": aturan, "tingkat": tingkat_of(aturan),
                 "nilai": values.to_numpy()}
            )
        )
    issues = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ISSUE_COLUMNS)
    return issues, results


__all__ = [
    "CHECKED_WHERE",
    "FAMILY_SUITES",
    "ISSUE_COLUMNS",
    "STAGING_TABLE",
    "SUITE_BY_SHEET",
    "ChunkVerdict",
    "FileState",
    "ReferenceParameters",
    "SuiteRunner",
    "derive",
    "issues_from_result",
]
