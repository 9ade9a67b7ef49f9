"""The steps the DAG tasks run, one function each; the CLI calls the same functions.

Each step reads its settings from the environment (`satudata.config.Settings`), so a task is
`from satudata.pipeline import step; step(...)` and nothing more.
"""

from __future__ import annotations

import logging
import os

from satudata.config import Settings

log = logging.getLogger(__name__)


def sqlalchemy_url(uri: str) -> str:
    """An Airflow connection URI (`postgres://…`, `postgresql://…`, `duckdb:///…`) as a SQLAlchemy URL."""
    for prefix in ("postgres://", "postgresql://"):
        if uri.startswith(prefix):
            return "postgresql+psycopg://" + uri[len(prefix):]
    return uri


def task_settings() -> Settings:
    """Settings inside a task: SATUDATA_* environment first, then the Airflow connection
    `satudata_warehouse` and variable `satudata_data_dir` of the deployment, then the defaults."""
    url = os.environ.get("SATUDATA_WAREHOUSE_URL")
    data_dir = os.environ.get("SATUDATA_DATA_DIR")
    if url is None or data_dir is None:
        try:
            from airflow.sdk import Connection, Variable, get_current_context

            get_current_context()  # only inside a running task may we ask Airflow
            if url is None:
                try:
                    url = sqlalchemy_url(Connection.get("satudata_warehouse").get_uri())
                except Exception:  # noqa: BLE001 - no such connection: use the default
                    url = None
            if data_dir is None:
                data_dir = Variable.get("satudata_data_dir", default=None)
        except Exception:  # noqa: BLE001 - not inside Airflow: the environment and defaults decide
            log.debug("not inside an Airflow task; settings from the environment")
    return Settings.from_env(data_dir, url)


def prepare_warehouse(settings: Settings | None = None) -> dict:
    """Create the data folders, migrate the warehouse and load reference data."""
    from satudata.warehouse.bootstrap import init_warehouse

    settings = settings or task_settings()
    settings.ensure_folders()
    result = init_warehouse(settings.warehouse_url).to_dict()
    log.info("warehouse ready: %s", result)
    return result


def _airflow_run_id() -> str | None:
    """The run id of the Airflow task we are in (recorded in the ledger), or None outside Airflow."""
    try:
        from airflow.sdk import get_current_context

        return get_current_context()["run_id"]
    except Exception:  # noqa: BLE001 - not inside a running task
        return None


def register_files(run_id: str | None = None, settings: Settings | None = None) -> list[list[int]]:
    """Archive and record the inbox's ready files; the submissions to process by regency (one mapped task each):
    in the order they arrived within a regency, the regency with the most bytes first."""
    from satudata.intake.run import regency_groups, register_new_files

    settings = settings or task_settings()
    pending = register_new_files(settings, run_id=run_id or _airflow_run_id())
    return [list(group) for group in regency_groups(settings, pending)] if pending else []


def jenis_handlers() -> dict:
    """Files of the inbox that are not registry rows, routed to the stage they belong to (intake itself never
    imports a later stage): clerical-review answers go to harmonisation."""
    from satudata.intake.review import process_review_submission
    from satudata.intake.scan import REVIEW_JENIS

    return {REVIEW_JENIS: process_review_submission}


class RegencyUnfinished(RuntimeError):
    """Some of a regency's files could not be finished: they stay pending, the task fails to be retried."""


def process_regency(submission_ids: list[int], run_id: str | None = None, settings: Settings | None = None) -> list[dict]:
    """Process one regency's submissions in the order they arrived (the same function as a scan's worker).

    A file that fails does not stop the others; the task fails after them, naming it, and Airflow's retry takes
    only what is still unfinished (a finished submission is skipped). Per-file mapped tasks cost Airflow about
    0.2 s each in `dag.test()`, and on a shared warehouse could finish one regency's files out of order.
    Inside Airflow, names the mapped task instance after the regency and its files."""
    from satudata.intake.run import IntakeOptions
    from satudata.intake.run import process_regency as process

    settings = settings or task_settings()
    _label_map_index(settings, submission_ids)
    results = process(settings, list(submission_ids), run_id or _airflow_run_id(), IntakeOptions.from_env(),
                      jenis_handlers())
    for result in results:
        log.info("submission %s: %s", result["submission_id"], result)
    unfinished = [r for r in results if r["status"] in ("error", "tertunda")]
    if unfinished:
        raise RegencyUnfinished(
            f"{len(unfinished)} of {len(results)} submission(s) not finished, left pending for the retry: "
            + ", ".join(f"{r['submission_id']} ({r['status']}{': ' + r['galat'] if r.get('galat') else ''})"
                        for r in unfinished))
    return results


def _label_map_index(settings: Settings, submission_ids: list[int]) -> None:
    try:
        from airflow.sdk import get_current_context

        context = get_current_context()
    except Exception:  # noqa: BLE001 - not running inside an Airflow task
        return
    from satudata.warehouse import ledger
    from satudata.warehouse.engine import make_engine

    engine = make_engine(settings.warehouse_url)
    try:
        with engine.connect() as conn:
            first = ledger.get(conn, submission_ids[0])
            context["regency_label"] = (f"{first.kode_kab or '?'}: {len(submission_ids)} berkas "
                                        f"({submission_ids[0]}: {first.inbox_path}"
                                        + (", ..." if len(submission_ids) > 1 else "") + ")")
    finally:
        engine.dispose()


def build_data_docs(settings: Settings | None = None) -> str | None:
    from satudata.intake.run import build_data_docs as build

    path = build(settings or task_settings())
    return str(path) if path else None


def announce_staged(jenis: str, run_id: str | None = None, settings: Settings | None = None) -> int:
    """Count this run's newly staged submissions of a jenis; skip (no Asset event) when there are none."""
    from airflow.sdk.exceptions import AirflowSkipException

    from satudata.intake.run import staged_in_run

    run_id = run_id or _airflow_run_id()
    staged = staged_in_run(settings or task_settings(), jenis, run_id)
    if not staged:
        raise AirflowSkipException(f"no new {jenis} rows staged in run {run_id}")
    log.info("%d %s submission(s) staged in run %s: %s", len(staged), jenis, run_id, staged)
    return len(staged)


def ingest_once(settings: Settings | None = None, **options) -> dict:
    """One scan of the inbox in this process (the CLI's `ingest`): every file, review answers included."""
    from satudata.intake.run import ingest_once as run

    return run(settings or task_settings(), handlers=jenis_handlers(), **options)


# ---------------------------------------------------------------------------------------------- harmonise


def harmonise_period(periode: str | None = None, settings: Settings | None = None) -> str:
    """The period to harmonise: the one asked for, else the newest staged one."""
    from airflow.sdk.exceptions import AirflowSkipException

    from satudata.harmonise.run import choose_period

    found = choose_period(settings or task_settings(), periode)
    if not found:
        raise AirflowSkipException("nothing staged yet: no DTKS or P3KE to harmonise")
    return found


def harmonise_regencies(periode: str, settings: Settings | None = None) -> list[str]:
    """The period's regencies, the largest first: Airflow starts mapped tasks in their order, and the largest
    started last ran alone on the workers while the others waited for it."""
    from satudata.harmonise.run import regencies_and_sizes
    from satudata.warehouse.workers import largest_first

    found, sizes = regencies_and_sizes(settings or task_settings(), periode)
    found = largest_first(found, sizes)
    log.info("period %s: %d regencies to harmonise, the largest first: %s", periode, len(found), found)
    return found


def _label_regency(kode_kab: str) -> None:
    """Names a mapped task instance after its regency in the Airflow UI (`map_index_template`)."""
    try:
        from airflow.sdk import get_current_context

        context = get_current_context()
    except Exception:  # noqa: BLE001 - not running inside an Airflow task
        return
    context["kode_kab_label"] = kode_kab


def link_regency(kode_kab: str, periode: str, settings: Settings | None = None) -> dict:
    from satudata.harmonise.regency import link_regency as run

    _label_regency(kode_kab)
    return run(settings or task_settings(), kode_kab, periode)


def link_province(periode: str, settings: Settings | None = None) -> dict:
    from satudata.harmonise.province import link_province as run

    return run(settings or task_settings(), periode)


def build_regency(kode_kab: str, periode: str, run_id: str | None = None, settings: Settings | None = None) -> dict:
    from satudata.harmonise.build import build_regency as run

    _label_regency(kode_kab)
    return run(settings or task_settings(), kode_kab, periode, run_id=run_id or _airflow_run_id())


def announce_harmonised(periode: str, settings: Settings | None = None) -> dict:
    """The period's counts, province-wide (the Asset event's payload)."""
    from satudata.harmonise.run import period_summary
    from satudata.warehouse.journal import record_stage

    settings = settings or task_settings()
    summary = period_summary(settings, periode)
    record_stage(settings.folder("archive"), "harmonisasi", periode)  # the DAG's last step: a rebuild replays it
    log.info("harmonised %s: %s", periode, summary)
    return summary


def harmonise(periode: str | None = None, settings: Settings | None = None, *, options=None,
              run_id: str | None = None) -> dict:
    """All harmonisation steps in one process (CLI, demo, rebuild): the DAG's tasks in their order, link and build
    computed on every core (`SATUDATA_WORKERS`, `warehouse.workers`) and written by this process regency by
    regency. `options`: a `linkage.link.LinkOptions` (the CLI's --threshold)."""
    from satudata.harmonise.build import BUILD_ROW_BYTES, compute_build, write_build
    from satudata.harmonise.province import link_province as province
    from satudata.harmonise.regency import LINK_ROW_BYTES, compute_link, write_link
    from satudata.harmonise.run import choose_period, regencies_and_sizes
    from satudata.linkage.model import load_model
    from satudata.warehouse.bootstrap import init_warehouse
    from satudata.warehouse.journal import record_stage
    from satudata.warehouse.workers import each_regency

    settings, run_id = settings or task_settings(), run_id or _airflow_run_id()
    init_warehouse(settings.warehouse_url)
    model = load_model()
    periode = choose_period(settings, periode)
    if not periode:
        return {"periode": None, "regencies": {}}
    kabs, people = regencies_and_sizes(settings, periode)
    linked = each_regency(compute_link, kabs, write_link, settings, periode, options, model, sizes=people,
                          row_bytes=LINK_ROW_BYTES)
    across = province(settings, periode, options=options, model=model)
    built = each_regency(compute_build, kabs, write_build, settings, periode, run_id, model.version, options, model,
                         sizes=people, row_bytes=BUILD_ROW_BYTES)
    record_stage(settings.folder("archive"), "harmonisasi", periode)
    return {"periode": periode, "model_version": model.version, "link": linked, "province": across,
            "build": built}


def period_summary(periode: str, settings: Settings | None = None) -> dict:
    """Province-wide counts of a harmonised period."""
    from satudata.harmonise.run import period_summary as summary

    return summary(settings or task_settings(), periode)


# ---------------------------------------------------------------------------------------------- konvergensi


def konvergensi_period(periode: str | None = None, settings: Settings | None = None) -> str:
    """The period to compute: the one asked for, else the newest harmonised one."""
    from airflow.sdk.exceptions import AirflowSkipException

    from satudata.konvergensi.run import choose_period

    found = choose_period(settings or task_settings(), periode)
    if not found:
        raise AirflowSkipException("nothing harmonised yet: convergence needs harmonised DTKS/P3KE")
    return found


def konvergensi_regencies(periode: str, *, harmonised_only: bool = False, settings: Settings | None = None
                          ) -> list[str]:
    """The period's regencies (`harmonised_only`: those harmonised), the largest first, as for harmonisation."""
    from satudata.konvergensi.run import list_regencies, regencies_and_sizes
    from satudata.warehouse.workers import largest_first

    settings = settings or task_settings()
    found = list_regencies(settings, periode, harmonised_only=harmonised_only)
    found = largest_first(found, regencies_and_sizes(settings, periode)[1])
    log.info("period %s: %d regencies, the largest first: %s", periode, len(found), found)
    return found


def match_recipients(kode_kab: str, periode: str, settings: Settings | None = None) -> dict:
    from satudata.konvergensi.recipients import match_recipients as run

    _label_regency(kode_kab)
    return run(settings or task_settings(), kode_kab, periode, run_id=_airflow_run_id())


def build_indicators(periode: str, settings: Settings | None = None) -> dict:
    from satudata.konvergensi.indicators import build_indicators as run

    return run(settings or task_settings(), periode, run_id=_airflow_run_id())


def write_action_list(kode_kab: str, periode: str, settings: Settings | None = None) -> dict:
    from satudata.konvergensi.action_lists import write_action_list as run

    _label_regency(kode_kab)
    return run(settings or task_settings(), kode_kab, periode)


def announce_konvergensi(periode: str, settings: Settings | None = None) -> dict:
    """The period's headline figures (the Asset event's payload)."""
    from satudata.konvergensi.run import period_headline
    from satudata.warehouse.journal import record_stage

    settings = settings or task_settings()
    summary = period_headline(settings, periode)
    record_stage(settings.folder("archive"), "konvergensi", periode)  # the DAG's last step: a rebuild replays it
    log.info("convergence %s: %s", periode, summary)
    return summary


def konvergensi(periode: str | None = None, settings: Settings | None = None, *, run_id: str | None = None) -> dict:
    """All convergence steps of a period (CLI, rebuild): the DAG's tasks in their order, recipients matched on
    every core (`SATUDATA_WORKERS`, `warehouse.workers`) and written by this process regency by regency."""
    from satudata.konvergensi.action_lists import write_action_list as action_list
    from satudata.konvergensi.indicators import build_indicators as indicators
    from satudata.konvergensi.recipients import RECIPIENT_ROW_BYTES, compute_recipients, write_recipients
    from satudata.konvergensi.run import choose_period, list_regencies, regencies_and_sizes
    from satudata.warehouse.bootstrap import init_warehouse
    from satudata.warehouse.journal import record_stage
    from satudata.warehouse.workers import each_regency

    settings, run_id = settings or task_settings(), run_id or _airflow_run_id()
    init_warehouse(settings.warehouse_url)
    periode = choose_period(settings, periode)
    if not periode:
        return {"periode": None, "alasan": "belum ada data yang diharmonisasi"}
    kabs, sizes = regencies_and_sizes(settings, periode)
    matched = each_regency(compute_recipients, kabs, write_recipients, settings, periode, run_id, sizes=sizes,
                           row_bytes=RECIPIENT_ROW_BYTES)
    built = indicators(settings, periode, run_id=run_id)
    lists = {k: action_list(settings, k, periode)
             for k in list_regencies(settings, periode, harmonised_only=True)}
    record_stage(settings.folder("archive"), "konvergensi", periode)
    return {"periode": periode, "penerima": matched, "indikator": built, "daftar_sasaran": lists}


# ---------------------------------------------------------------------------------------------- publish


def publish_period_choice(periode: str | None = None, settings: Settings | None = None) -> str:
    """The period to publish: the one asked for, else the newest with computed indicators."""
    from airflow.sdk.exceptions import AirflowSkipException

    from satudata.publish.run import choose_period

    found = choose_period(settings or task_settings(), periode)
    if not found:
        raise AirflowSkipException("nothing to publish: no convergence indicators computed yet")
    return found


def plan_publication(periode: str, settings: Settings | None = None) -> dict:
    """What publishing would change, with the Markdown the walidata reads (`ringkasan_md`)."""
    from satudata.publish.publication import plan_publication as plan
    from satudata.publish.run import plan_text

    result = plan(settings or task_settings(), periode)
    result["ringkasan_md"] = plan_text(result)
    log.info("publication plan for %s: %s", periode, {k: v for k, v in result.items() if k != "ringkasan_md"})
    return result


def approval_route(requested: str | None = None) -> str:
    """`approved_by_configuration` when a walidata is named by configuration, else `walidata_approval`."""
    from satudata.publish.run import configured_approver

    return "approved_by_configuration" if configured_approver(requested) else "walidata_approval"


def configured_approval(requested: str | None = None) -> dict:
    from satudata.publish.run import configured_approver

    name = configured_approver(requested)
    if not name:
        raise ValueError("no walidata named by configuration")
    log.info("publication approved by configuration, in the name of %s", name)
    return {"disetujui_oleh": name, "cara_persetujuan": "konfigurasi"}


def approval_from_hitl(response: dict | None) -> dict | None:
    """The approver of the human-in-the-loop answer (None when the task did not run)."""
    if not response:
        return None
    user = response.get("responded_by_user") or {}
    name = user.get("name") or user.get("id") if isinstance(user, dict) else str(user)
    if "Approve" not in (response.get("chosen_options") or []):
        return None
    return {"disetujui_oleh": name or "walidata", "cara_persetujuan": "hitl"}


def publish_approved(periode: str, approval: dict, settings: Settings | None = None) -> dict:
    from satudata.publish.publication import publish_period

    return publish_period(settings or task_settings(), periode, disetujui_oleh=approval["disetujui_oleh"],
                          cara_persetujuan=approval["cara_persetujuan"], run_id=_airflow_run_id())


def write_exports(periode: str, settings: Settings | None = None) -> dict:
    from satudata.publish.exports import write_exports as run

    return run(settings or task_settings(), periode)


def write_report(periode: str, settings: Settings | None = None) -> dict:
    from satudata.publish.exports import latest_dir
    from satudata.publish.report import write_report as run

    settings = settings or task_settings()
    folder = latest_dir(settings, periode)
    if folder is None:
        raise ValueError(f"no exports for {periode}: write_exports runs first")
    return run(settings, periode, folder)


def publish(periode: str | None = None, *, disetujui_oleh: str, settings: Settings | None = None,
            cara_persetujuan: str = "cli", run_id: str | None = "cli") -> dict:
    """All publication steps after approval in one process (CLI, demo): the person named approves."""
    from satudata.publish.exports import publication_dir
    from satudata.publish.exports import write_exports as exports
    from satudata.publish.publication import publish_period
    from satudata.publish.report import write_report as report
    from satudata.publish.run import choose_period
    from satudata.warehouse.bootstrap import init_warehouse

    settings = settings or task_settings()
    init_warehouse(settings.warehouse_url)
    settings.ensure_folders()
    periode = choose_period(settings, periode)
    if not periode:
        return {"periode": None, "alasan": "belum ada indikator konvergensi yang dihitung"}
    published = publish_period(settings, periode, disetujui_oleh=disetujui_oleh, cara_persetujuan=cara_persetujuan,
                               run_id=run_id)
    written = exports(settings, periode)
    folder = publication_dir(settings, periode, published["publikasi_id"])
    return {"periode": periode, **published, "ekspor": written, "laporan": report(settings, periode, folder)}
