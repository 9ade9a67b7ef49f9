"""The package's structure stays as the README draws it: the import-linter layer contract holds, and no
module unpickles anything (a pickle in a writable folder runs whatever code someone puts there)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "plugins" / "satudata"


def test_the_layer_contract_holds():
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "2 kept, 0 broken" in done.stdout


def test_no_pickle_in_the_package():
    users = [str(p.relative_to(ROOT)) for p in PACKAGE.rglob("*.py") if "pickle" in p.read_text(encoding="utf-8")]
    assert users == []
