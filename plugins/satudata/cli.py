"""`satudata` command line: the same functions the DAG tasks call.

Every command prints a JSON summary on stdout (logs go to stderr), so it can be scripted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from satudata.config import Settings
from satudata.quiet import quiet_third_party
from satudata.schema import JENIS

log = logging.getLogger("satudata")


def _print_json(payload: object) -> None:
    json.dump(payload, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(getattr(args, "data_dir", None), getattr(args, "warehouse", None))


def cmd_init_db(args: argparse.Namespace) -> int:
    from satudata.warehouse.bootstrap import init_warehouse

    settings = _settings(args)
    settings.ensure_folders()
    _print_json(init_warehouse(settings.warehouse_url).to_dict())
    return 0


EX_TEMPFAIL = 75  # sysexits: only failures of the machine; the same command later will finish the job


def cmd_ingest(args: argparse.Namespace) -> int:
    """One scan. Exit 0 when every file was taken in and every submission answered; 1 when one errored (a
    defect: `by_status.error`, or a file left in the inbox); 75 when the only problems were failures of the
    machine (disk, database, memory): the submissions wait and a later scan finishes them."""
    from satudata.intake.gangguan import is_machine_fault, one_line
    from satudata.intake.run import IntakeOptions
    from satudata.pipeline import ingest_once
    from satudata.warehouse.bootstrap import init_warehouse

    settings = _settings(args)
    options = IntakeOptions.from_env()
    if args.stable_seconds is not None:
        options = IntakeOptions(**{**options.__dict__, "stable_seconds": args.stable_seconds})
    try:
        settings.ensure_folders()
        init_warehouse(settings.warehouse_url)
        summary = ingest_once(settings, options=options)
    except Exception as exc:
        if not is_machine_fault(exc):
            raise
        _print_json({"status": "gangguan", "galat": one_line(exc)})
        return EX_TEMPFAIL
    _print_json(summary)
    problems = (summary["by_status"].get("error", 0) + summary["by_status"].get("tertunda", 0)
                + summary.get("tidak_terdaftar", 0))
    if not problems:
        return 0
    return EX_TEMPFAIL if problems == summary.get("gangguan_mesin", 0) else 1


def cmd_submissions(args: argparse.Namespace) -> int:
    from satudata.intake.run import list_submissions

    rows = list_submissions(_settings(args))
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            replaced = f"  (digantikan oleh #{row['superseded_by']})" if row["superseded_by"] else ""
            print(f"{row['submission_id']:>6} {row['status']:<10} {row['kode_kab']} {row['jenis']:<10} "
                  f"{row['rows_accepted']:>8}/{row['rows_total']:<8} {row['file']}{replaced}")
    return 0


def cmd_pemetaan(args: argparse.Namespace) -> int:
    """Column mappings operators confirmed (`intake.pemetaan`): list, show one, switch one off."""
    from satudata.intake.pemetaan import delete_mapping, get_mapping, list_mappings
    from satudata.warehouse.engine import make_engine

    engine = make_engine(_settings(args).warehouse_url)
    try:
        with engine.begin() as conn:
            if args.action == "list":
                _print_json(list_mappings(conn, kode_kab=args.kab, jenis=args.jenis, all_versions=args.semua))
            elif args.action == "show":
                found = get_mapping(conn, args.id)
                if found is None:
                    print(f"satudata pemetaan: tidak ada pemetaan {args.id}", file=sys.stderr)
                    return 1
                _print_json(found)
            else:
                if not delete_mapping(conn, args.id, args.oleh):
                    print(f"satudata pemetaan: pemetaan {args.id} tidak ada atau sudah tidak berlaku", file=sys.stderr)
                    return 1
                _print_json({"pemetaan_id": args.id, "aktif": False, "dihapus_oleh": args.oleh})
    finally:
        engine.dispose()
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from pathlib import Path

    from satudata.intake.templates import write_template

    path = write_template(args.jenis, Path(args.out))
    _print_json({"template": str(path), "jenis": args.jenis})
    return 0


def _write_atomic_csv(frame, path) -> None:
    """Write `frame` as CSV (UTF-8 with BOM, CRLF: what Excel opens right), whole or not at all; names and
    addresses from the input files never run as formulas when it is opened."""
    from satudata.fileio import neutralise_formulas, write_atomically

    write_atomically(path, neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig"))


def cmd_link(args: argparse.Namespace) -> int:
    from pathlib import Path

    from satudata.linkage.files import PersonListError
    from satudata.linkage.pairs import link_files

    inputs = {Path(args.left).resolve(), Path(args.right).resolve()}
    outputs = [Path(p) for p in (args.out, args.review) if p]
    if any(p.resolve() in inputs for p in outputs):
        print("satudata link: berkas hasil tidak boleh sama dengan berkas masukan.", file=sys.stderr)
        return 2
    if args.review and Path(args.review).resolve() == Path(args.out).resolve():
        print("satudata link: --review harus berbeda dari --out.", file=sys.stderr)
        return 2
    try:
        linkage = link_files(args.left, args.right, threshold=args.threshold)
    except PersonListError as exc:
        log.error("link refused (%s): %s", exc.code, exc)
        print(f"satudata link: {exc}", file=sys.stderr)
        return 1
    _write_atomic_csv(linkage.pairs, args.out)
    if args.review:
        _write_atomic_csv(linkage.review, args.review)
    from satudata.fileio import write_atomically

    # The model this run fitted, beside the pairs: every link can be explained with the weights that made it
    # (`satudata link-model show --fitted <file>`).
    model_out = Path(args.model_out) if args.model_out else Path(f"{args.out}.model.json")
    write_atomically(model_out, linkage.result.model.to_json().encode("utf-8"))
    _print_json({
        "left": linkage.left.summary(), "right": linkage.right.summary(), "threshold": linkage.threshold,
        **linkage.stats, "out": str(args.out), "review_out": str(args.review) if args.review else None,
        "model_out": str(model_out),
    })
    return 0


def _probability(value: str) -> float:
    try:
        number = float(value.replace(",", "."))
    except ValueError:
        number = float("nan")
    if not 0 < number <= 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"ambang harus lebih dari 0 dan paling besar 1, bukan {value!r}")
    return number


def cmd_harmonise(args: argparse.Namespace) -> int:
    from satudata.linkage.link import LinkOptions
    from satudata.pipeline import harmonise, period_summary

    settings = _settings(args)
    settings.ensure_folders()
    options = LinkOptions(threshold=args.threshold) if args.threshold is not None else None
    result = harmonise(args.period, settings, options=options)
    if result["periode"] is None:
        _print_json({"periode": None, "pesan": "belum ada DTKS atau P3KE yang di-staging"})
        return 0
    _print_json(period_summary(result["periode"], settings))
    return 0


def cmd_konvergensi(args: argparse.Namespace) -> int:
    from satudata.konvergensi.rules import RuleError
    from satudata.pipeline import konvergensi

    settings = _settings(args)
    settings.ensure_folders()
    try:
        result = konvergensi(args.period, settings)
    except RuleError as exc:
        _print_json({"periode": args.period, "galat": f"aturan tidak dapat dipakai: {exc}"})
        return 2
    if result["periode"] is None:
        _print_json({"periode": None, "pesan": "belum ada data DTKS/P3KE yang diharmonisasi"})
        return 0
    _print_json({**result["indikator"],
                 "daftar_sasaran": {k: v["berkas"] for k, v in result["daftar_sasaran"].items()}})
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    from satudata.pipeline import publish
    from satudata.publish.publication import NothingToPublish

    settings = _settings(args)
    settings.ensure_folders()
    try:
        result = publish(args.period, disetujui_oleh=args.disetujui_oleh, settings=settings)
    except NothingToPublish as exc:
        _print_json({"periode": args.period, "galat": str(exc)})
        return 2
    if result["periode"] is None:
        _print_json({"periode": None, "pesan": "belum ada indikator konvergensi untuk diterbitkan"})
        return 0
    _print_json(result)
    return 0


def cmd_operator_role(args: argparse.Namespace) -> int:
    import os

    import sqlalchemy as sa

    from satudata.ops.secrets import new_password
    from satudata.warehouse.access import AccessControlError, create_operator_role
    from satudata.warehouse.engine import transaction

    # An admin task: creating a role needs CREATEROLE, which the pipeline's login does not have.
    admin_url = args.admin_url or os.environ.get("SATUDATA_WAREHOUSE_ADMIN_URL") or _settings(args).warehouse_url
    password = new_password()
    try:
        with transaction(admin_url) as conn:
            created = create_operator_role(conn, args.role, args.kab, password=password)
    except (AccessControlError, ValueError) as exc:
        _print_json({"role": args.role, "galat": str(exc)})
        return 2
    except sa.exc.ProgrammingError as exc:  # e.g. the admin URL names another database than the warehouse
        _print_json({"role": args.role, "galat": str(exc.orig).splitlines()[0]})
        return 2
    if created:
        _print_json({"role": args.role, "kode_kab": args.kab, "kata_sandi": password,
                     "pesan": "peran dibuat; berikan kata sandi ini kepada operator, tidak disimpan di tempat lain"})
    else:
        _print_json({"role": args.role, "kode_kab": args.kab, "kata_sandi": None,
                     "pesan": "peran sudah ada: kabupaten/kota diperbarui, kata sandi tetap (ganti dengan "
                              f"`satudata rotate-password --role {args.role} --no-airflow`)"})
    return 0


def cmd_airflow_roles(args: argparse.Namespace) -> int:
    import contextlib

    with contextlib.redirect_stdout(sys.stderr):  # Airflow logs to stdout; ours is the JSON summary
        from satudata.ops.accounts import sync_roles

        roles = sync_roles()
    _print_json({"peran": roles,
                 "pesan": "peran Airflow diperbarui; akun dibuat dengan `airflow users create ... -r <peran>`"})
    return 0


def cmd_rebuild(args: argparse.Namespace) -> int:
    from satudata.ops.rebuild import RebuildError, rebuild

    settings = _settings(args)
    archive = args.archive or settings.folder("archive")
    try:
        result = rebuild(Path(archive), settings.warehouse_url, args.scratch)
    except RebuildError as exc:
        _print_json({"galat": str(exc)})
        return 2
    _print_json(result)
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from satudata.ops.backup import BackupError, backup

    try:
        manifest = backup(_settings(args), args.out)
    except BackupError as exc:
        _print_json({"galat": str(exc)})
        return 2
    _print_json({"folder": str(args.out), "berkas": manifest["berkas"], "tabel": len(manifest["sidik_jari"]),
                 "detik": manifest["detik"]})
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from satudata.ops.backup import BackupError, restore

    try:
        result = restore(args.source, _settings(args).warehouse_url, args.archive)
    except BackupError as exc:
        _print_json({"galat": str(exc)})
        return 2
    _print_json(result)
    return 0


def cmd_rotate_password(args: argparse.Namespace) -> int:
    import contextlib
    import os

    from satudata.ops.secrets import rotate

    admin_url = args.admin_url or os.environ.get("SATUDATA_WAREHOUSE_ADMIN_URL")
    if not admin_url:
        _print_json({"galat": "--admin-url (or SATUDATA_WAREHOUSE_ADMIN_URL) is needed: the warehouse admin login"})
        return 2
    with contextlib.redirect_stdout(sys.stderr):  # Airflow logs to stdout; ours is the JSON summary
        result = rotate(admin_url, args.role, conn_id=None if args.no_airflow else args.conn_id)
    _print_json({**result, "pesan": "simpan kata sandi baru di .env (SATUDATA_WAREHOUSE_PASSWORD); "
                                    "tidak disimpan di tempat lain"})
    return 0


def cmd_fingerprint(args: argparse.Namespace) -> int:
    from satudata.warehouse.fingerprint import differences, fingerprint

    mine = fingerprint(_settings(args).warehouse_url)
    if args.compare:
        other = fingerprint(args.compare)
        diff = differences(mine, other)
        _print_json({"tabel": len(mine), "berbeda": diff})
        return 1 if diff else 0
    _print_json(mine)
    return 0


def cmd_link_model(args: argparse.Namespace) -> int:
    from satudata.linkage.model import LinkModel, load_model, model_path

    if args.action == "show":
        from satudata.linkage.model_report import side_by_side

        shipped = load_model()
        fitted = []
        if args.fitted:
            from satudata.linkage.model import read_model_file

            fitted = [read_model_file(Path(args.fitted))]
        elif args.period or args.kab:
            from satudata.warehouse.engine import make_engine
            from satudata.warehouse.model_store import stored_models

            engine = make_engine(_settings(args).warehouse_url)
            try:
                with engine.connect() as conn:
                    fitted = [LinkModel(*m) for m in stored_models(conn, args.period, args.kab)]
            finally:
                engine.dispose()
        if args.json:
            _print_json({"path": str(model_path()), "shipped": json.loads(shipped.to_json()),
                         "fitted": [json.loads(m.to_json()) | {"run": m.trained_on} for m in fitted]})
        else:
            print(side_by_side(shipped, fitted))
        return 0
    from satudata.harmonise.run import train_from_warehouse

    settings = _settings(args)
    _print_json(train_from_warehouse(settings, args.period, version=args.version,
                                     out_path=args.out, max_pairs=args.max_pairs))
    return 0


def _add_location_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="data folder (default: $SATUDATA_DATA_DIR or ./data)")
    parser.add_argument("--warehouse", help="warehouse SQLAlchemy URL (default: $SATUDATA_WAREHOUSE_URL)")


def period_argument(value: str) -> str:
    from satudata.normalise.periode import is_periode

    if not is_periode(value):
        raise argparse.ArgumentTypeError(f"period must be YYYY-MM, got {value!r}")
    return value


def _add_intake_commands(sub: argparse._SubParsersAction) -> None:
    """The warehouse schema and the intake side: inbox, ledger, mappings, templates."""
    p = sub.add_parser("init-db", help="create/upgrade the warehouse schema and load reference data")
    _add_location_flags(p)
    p.set_defaults(func=cmd_init_db)

    p = sub.add_parser("ingest", help="one scan of the inbox: archive, validate, stage, answer (JSON summary)")
    _add_location_flags(p)
    p.add_argument("--stable-seconds", type=float, default=None,
                   help="skip files modified more recently than this (default $SATUDATA_STABLE_SECONDS or 10)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("submissions", help="every submission in the ledger")
    _add_location_flags(p)
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_submissions)

    p = sub.add_parser("pemetaan", help="column mappings operators confirmed: list, show ID, hapus ID --oleh NAMA")
    _add_location_flags(p)
    p.add_argument("action", choices=("list", "show", "hapus"))
    p.add_argument("id", type=int, nargs="?", help="pemetaan_id (show, hapus)")
    p.add_argument("--kab", help="list: only this regency (or province) code")
    p.add_argument("--jenis", choices=JENIS, help="list: only this jenis")
    p.add_argument("--semua", action="store_true", help="list: switched-off and replaced ones too")
    p.add_argument("--oleh", default="data engineer", help="hapus: who switches it off (recorded)")
    p.set_defaults(func=cmd_pemetaan)

    p = sub.add_parser("template", help="an Excel template for regency operators")
    p.add_argument("jenis", choices=list(JENIS))
    p.add_argument("--out", required=True, help="the .xlsx file to write")
    p.set_defaults(func=cmd_template)


def _add_link_command(sub: argparse._SubParsersAction) -> None:
    """`satudata link`: two person lists, outside the warehouse."""
    from satudata.linkage.link import DEFAULT_THRESHOLD

    p = sub.add_parser(
        "link", help="link two person lists one-to-one (the DAG's linker): pairs CSV + JSON summary",
        description=(
            "Padankan dua daftar orang (CSV, XLSX/XLS atau Parquet, dikenali dari isinya) dengan mesin "
            "padanan yang sama dengan DAG harmonisasi: NIK sama, lalu probabilistik. Kolom: id (wajib, "
            "unik), nik, no_kk, nama, tanggal_lahir, jenis_kelamin, kode_desa, alamat, tempat_lahir; judul "
            "lain seperti "
            "'NIK', 'No. KK', 'Nama Lengkap', 'Tgl Lahir', 'JK', 'Kode Desa' dikenali. Hasil: satu baris per "
            "pasangan (left_id, right_id, match_probability, match_method, match_reason), satu lawan satu, "
            "urut left_id, CSV berpemisah koma dalam UTF-8 dengan BOM (Excel membaca huruf dengan benar)."),
        epilog="Exit code: 0 selesai, 1 berkas masukan tidak dapat dipakai (pesan di stderr), "
               "2 argumen salah.")
    p.add_argument("left", metavar="LEFT", help="daftar kiri (CSV/XLSX/XLS/Parquet)")
    p.add_argument("right", metavar="RIGHT", help="daftar kanan (CSV/XLSX/XLS/Parquet)")
    p.add_argument("--out", required=True, metavar="PAIRS.csv",
                   help="CSV pasangan yang ditulis (UTF-8 dengan BOM, pemisah koma; ditulis utuh "
                        "atau tidak sama sekali)")
    p.add_argument("--threshold", type=_probability, default=None, metavar="P",
                   help=f"peluang minimal sebuah pasangan probabilistik, dalam (0, 1] "
                        f"(bawaan {DEFAULT_THRESHOLD})")
    p.add_argument("--review", metavar="REVIEW.csv", default=None,
                   help="tulis juga pasangan yang ragu (di bawah ambang) untuk diperiksa, kolom sama")
    p.add_argument("--model-out", metavar="MODEL.json", default=None,
                   help="model yang dipasang pada kedua daftar ini (bawaan: PAIRS.csv.model.json)")
    p.set_defaults(func=cmd_link)


def _add_pipeline_commands(sub: argparse._SubParsersAction) -> None:
    """The DAG steps after intake, one period at a time."""
    from satudata.linkage.link import DEFAULT_THRESHOLD

    p = sub.add_parser("harmonise", help="link staged DTKS and P3KE of a period into core (all DAG steps)")
    _add_location_flags(p)
    p.add_argument("--period", type=period_argument, default=None, help="YYYY-MM (default: the newest staged period)")
    p.add_argument("--threshold", type=_probability, default=None, help=f"link threshold (default {DEFAULT_THRESHOLD})")
    p.set_defaults(func=cmd_harmonise)

    p = sub.add_parser("konvergensi", help="recipients matched, convergence indicators into mart, action lists "
                                           "(all DAG steps)")
    _add_location_flags(p)
    p.add_argument("--period", type=period_argument, default=None, help="YYYY-MM (default: the newest harmonised period)")
    p.set_defaults(func=cmd_konvergensi)

    p = sub.add_parser("publish", help="suppress small cells and switch a period into mart, exports, report "
                                       "(the person named approves)")
    _add_location_flags(p)
    p.add_argument("--period", type=period_argument, default=None, help="YYYY-MM (default: the newest computed period)")
    p.add_argument("--disetujui-oleh", required=True, metavar="NAMA",
                   help="the walidata (data custodian) approving this publication; recorded in meta.publikasi")
    p.set_defaults(func=cmd_publish)


def _add_deploy_commands(sub: argparse._SubParsersAction) -> None:
    """Operating a deployment: roles, rebuild, backup and restore, passwords."""
    p = sub.add_parser("operator-role", help="PostgreSQL, as the warehouse admin: a login role for a regency "
                                             "operator (reads only its regencies' rows of core); docs/deploy.md")
    _add_location_flags(p)
    p.add_argument("--admin-url", help="the warehouse admin's URL, who may create roles (default: "
                                       "$SATUDATA_WAREHOUSE_ADMIN_URL, else --warehouse)")
    p.add_argument("--role", required=True, help="role name (lower case, e.g. operator_dompu)")
    p.add_argument("--kab", required=True, action="append", help="kode_kab (repeat for several)")
    p.set_defaults(func=cmd_operator_role)

    p = sub.add_parser("airflow-roles", help="production Airflow (FAB auth manager): create or update the roles "
                                             "DataEngineer and Walidata (docs/deploy.md)")
    p.set_defaults(func=cmd_airflow_roles)

    p = sub.add_parser("rebuild", help="replay the archive (submissions, stage runs, approvals) into an empty "
                                       "warehouse (--warehouse); docs/deploy.md")
    _add_location_flags(p)
    p.add_argument("--archive", type=Path, default=None, help="the archive to replay (default: <data-dir>/archive)")
    p.add_argument("--scratch", type=Path, required=True,
                   help="an empty folder for the replay's answers and reports (its archive/ links to --archive)")
    p.set_defaults(func=cmd_rebuild)

    p = sub.add_parser("backup", help="pg_dump (or the DuckDB file) and the archive, with a manifest (docs/deploy.md)")
    _add_location_flags(p)
    p.add_argument("--out", type=Path, required=True, help="a new folder for the backup")
    p.set_defaults(func=cmd_backup)

    p = sub.add_parser("restore", help="a backup into an empty warehouse (--warehouse), checked against its manifest")
    _add_location_flags(p)
    p.add_argument("--from", dest="source", type=Path, required=True, help="the backup folder")
    p.add_argument("--archive", type=Path, default=None, help="also unpack the archive into this new folder")
    p.set_defaults(func=cmd_restore)

    p = sub.add_parser("rotate-password", help="a new password for the pipeline's warehouse role and the Airflow "
                                               "connection, without a restart (docs/deploy.md)")
    p.add_argument("--admin-url", help="the warehouse admin's URL (default: $SATUDATA_WAREHOUSE_ADMIN_URL)")
    p.add_argument("--role", default="satudata_pipeline")
    p.add_argument("--conn-id", default="satudata_warehouse", help="the Airflow connection to update")
    p.add_argument("--no-airflow", action="store_true", help="change the role only (no Airflow here)")
    p.set_defaults(func=cmd_rotate_password)


def _add_inspection_commands(sub: argparse._SubParsersAction) -> None:
    """Looking into a warehouse and the linkage model."""
    p = sub.add_parser("fingerprint", help="row count and content hash of every staging/core/mart table (JSON)")
    _add_location_flags(p)
    p.add_argument("--compare", metavar="URL", help="another warehouse: list the tables that differ (exit 1 if any)")
    p.set_defaults(func=cmd_fingerprint)

    p = sub.add_parser("link-model", help="the linkage model: show the shipped and fitted ones, or retrain it")
    p.add_argument("action", choices=["show", "train"])
    _add_location_flags(p)
    p.add_argument("--period", type=period_argument, default=None,
                   help="show: the models fitted for this period (warehouse); train: staged period to learn from")
    p.add_argument("--kab", default=None, help="show: only this regency's fitted models")
    p.add_argument("--fitted", default=None, help="show: a model file written by `satudata link` (--model-out)")
    p.add_argument("--json", action="store_true", help="show: JSON instead of the table")
    p.add_argument("--version", help="train: version to record in the file (e.g. 2027.01-1)")
    p.add_argument("--out", type=Path, default=None,
                   help="train: where to write (default: the committed include/models/padanan_individu.json)")
    p.add_argument("--max-pairs", type=float, default=5e6, help="train: random pairs for the u estimates")
    p.set_defaults(func=cmd_link_model)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="satudata", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    # Grouped by purpose; the order of these calls is the order `satudata --help` lists the commands in.
    _add_intake_commands(sub)
    _add_link_command(sub)
    _add_pipeline_commands(sub)
    _add_deploy_commands(sub)
    _add_inspection_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "link-model" and args.action == "train" and not args.version:
        parser.error("link-model train needs --version")
    if args.command == "pemetaan" and args.action in ("show", "hapus") and args.id is None:
        parser.error(f"pemetaan {args.action} needs the pemetaan_id")
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    quiet_third_party()
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
