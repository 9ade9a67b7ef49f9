"""`satudata-dev`: the development commands (the product's CLI is `satudata`).

    satudata-dev generate --out data --province 52 --scale 0.01 --seed 2026 --period 2026-11 [--defect-profile berat]
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from satudata.cli import period_argument


def cmd_generate(args: argparse.Namespace) -> int:
    from satudata_dev.generate import generate_province
    from satudata_dev.generate.params import DEFECT_PROFILES

    summary = generate_province(args.out, province=args.province, scale=args.scale, seed=args.seed,
                                period=args.period, defect_rates=DEFECT_PROFILES[args.defect_profile])
    print(json.dumps(summary.to_dict(), indent=2, ensure_ascii=False, default=str))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="satudata-dev", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("generate", help="write a synthetic province inbox with its truth")
    p.add_argument("--out", required=True, help="data folder to write (inbox/ and truth/)")
    p.add_argument("--province", default="52", help="2-digit Kemendagri province code (default 52, NTB)")
    p.add_argument("--scale", type=float, default=0.01, help="1.0 = real registry sizes (default 0.01)")
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--period", type=period_argument, default=None, help="YYYY-MM (default: current month)")
    p.add_argument("--defect-profile", choices=["biasa", "berat"], default="biasa",
                   help="defects injected: biasa (default) or berat (harsher: names short or by nickname, "
                        "missing NIKs, birth dates off by days or months)")
    p.set_defaults(func=cmd_generate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
