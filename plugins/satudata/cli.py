"""`satudata` command line: the same functions the DAG tasks call.

Every command prints a JSON summary on stdout (logs go to stderr), so it can be scripted.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from satudata.config import Settings

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


def cmd_generate(args: argparse.Namespace) -> int:
    from satudata.generate import generate_province

    summary = generate_province(
        args.out, province=args.province, scale=args.scale, seed=args.seed, period=args.period
    )
    _print_json(summary.to_dict())
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from satudata.intake.process import IntakeOptions, ingest_once
    from satudata.warehouse.bootstrap import init_warehouse

    settings = _settings(args)
    settings.ensure_folders()
    init_warehouse(settings.warehouse_url)
    options = IntakeOptions.from_env()
    if args.stable_seconds is not None:
        options = IntakeOptions(**{**options.__dict__, "stable_seconds": args.stable_seconds})
    _print_json(ingest_once(settings, options=options))
    return 0


def cmd_submissions(args: argparse.Namespace) -> int:
    from satudata.intake.process import list_submissions

    rows = list_submissions(_settings(args))
    if args.json:
        _print_json(rows)
    else:
        for row in rows:
            print(f"{row['submission_id']:>6} {row['status']:<10} {row['kode_kab']} {row['jenis']:<10} "
                  f"{row['rows_accepted']:>8}/{row['rows_total']:<8} {row['file']}")
    return 0


def cmd_template(args: argparse.Namespace) -> int:
    from pathlib import Path

    from satudata.templates import write_template

    path = write_template(args.jenis, Path(args.out))
    _print_json({"template": str(path), "jenis": args.jenis})
    return 0


def _add_location_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", help="data folder (default: $SATUDATA_DATA_DIR or ./data)")
    parser.add_argument("--warehouse", help="warehouse SQLAlchemy URL (default: $SATUDATA_WAREHOUSE_URL)")


def _period(value: str) -> str:
    import re

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", value):
        raise argparse.ArgumentTypeError(f"period must be YYYY-MM, got {value!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="satudata", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init-db", help="create/upgrade the warehouse schema and load reference data")
    _add_location_flags(p)
    p.set_defaults(func=cmd_init_db)

    p = sub.add_parser("generate", help="write a synthetic province inbox with its truth")
    p.add_argument("--out", required=True, help="data folder to write (inbox/ and truth/)")
    p.add_argument("--province", default="52", help="2-digit Kemendagri province code (default 52, NTB)")
    p.add_argument("--scale", type=float, default=0.01, help="1.0 = real registry sizes (default 0.01)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--period", type=_period, default=None, help="YYYY-MM (default: current month)")
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("ingest", help="one scan of the inbox: archive, validate, stage, answer (JSON summary)")
    _add_location_flags(p)
    p.add_argument("--stable-seconds", type=float, default=None,
                   help="skip files modified more recently than this (default $SATUDATA_STABLE_SECONDS or 10)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("submissions", help="every submission in the ledger")
    _add_location_flags(p)
    p.add_argument("--json", action="store_true", help="print a JSON list")
    p.set_defaults(func=cmd_submissions)

    p = sub.add_parser("template", help="an Excel template for regency operators")
    p.add_argument("jenis", choices=["dtks", "p3ke", "intervensi"])
    p.add_argument("--out", required=True, help="the .xlsx file to write")
    p.set_defaults(func=cmd_template)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
