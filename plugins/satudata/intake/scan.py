"""Find the files regencies dropped in `inbox/<kode_kab>/<jenis>/` and archive them before anything else.

The order of events is what makes intake lossless:

1. the original bytes are copied to `archive/<kode_kab>/<YYYY-MM-DD>/<sha256>-<name>` (written to a
   temporary name, flushed, then renamed: the archive never holds half a file);
2. the ledger (`meta.submission`) records it;
3. only then is the file removed from the inbox.

A crash between any two steps leaves the file in the inbox or archived and recorded; the next scan
finishes the job (a file whose ledger row exists but is still in the inbox is resumed, not counted as
a duplicate). Symlinks are never followed: the link itself is moved to `quarantine/` and answered.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from satudata.schema import JENIS

log = logging.getLogger(__name__)

# What is read is decided by the bytes (`sheets.sniff`), never by the name: these are the suffixes we
# document (the README's folder contract); any other file is still taken in and answered with what it is.
ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
IGNORED_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".lock", ".~lock")
IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", "icon\r"}
PROVINCE_JENIS = ("anggaran", "pemetaan")  # what a province folder takes: its own APBD recap (and answers)
REVIEW_JENIS = "review"  # clerical-review answers come back through the inbox too (harmonisation)
PEMETAAN_JENIS = "pemetaan"  # answers to a held file's questions (intake.pemetaan), though any folder will do
KNOWN_JENIS = (*JENIS, REVIEW_JENIS, PEMETAAN_JENIS)
_KODE_KAB = re.compile(r"^[0-9]{4}$")
_KODE_PROV = re.compile(r"^[0-9]{2}$")
_UNSAFE = re.compile(r"[^0-9A-Za-z._ -]+")


@dataclass(frozen=True)
class Candidate:
    """A file found in the inbox, with what its place in the folder tree says about it."""

    path: Path
    relative: str  # relative to inbox/, with '/' separators
    kode_kab: str  # the regency folder ('' when the file is not inside one)
    jenis: str  # the jenis folder ('' when missing)
    name: str
    size: int
    mtime: float
    problem: str | None  # file-level reason known from the location alone (see intake.messages)


def is_ignored_name(name: str) -> bool:
    """Lock files, temporary/partial downloads, hidden and system files are not submissions."""
    lower = name.lower()
    return (
        name.startswith(("~$", "."))
        or lower in IGNORED_NAMES
        or lower.endswith(IGNORED_SUFFIXES)
        or lower.startswith(".~lock")
    )


def safe_name(name: str, limit: int = 120) -> str:
    """A name that is safe in any file system: no path parts, no control or odd characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .") or "berkas"
    if len(base) > limit:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: limit - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 10 else base[:limit]
    return base


def is_province(kode: str) -> bool:
    """A province's folder (`inbox/52/`): two digits, where a regency's has four."""
    return bool(_KODE_PROV.match(kode or ""))


def _problem_for(kode_kab: str, jenis: str, name: str, known_regencies: set[str] | None) -> str | None:
    """Why a file's place in the inbox cannot be taken: a folder that is exactly a known regency (4 digits) or
    province (2 digits, for its own budget only), and a known jenis folder under it."""
    if not kode_kab or not (_KODE_KAB.match(kode_kab) or _KODE_PROV.match(kode_kab)):
        return "unknown_regency_folder"
    if known_regencies is not None and kode_kab not in known_regencies:
        return "unknown_regency_folder"
    if jenis not in KNOWN_JENIS:
        return "unknown_jenis"
    if is_province(kode_kab) and jenis not in PROVINCE_JENIS:
        return "jenis_provinsi"
    return None


def find_candidates(
    inbox: Path,
    *,
    stable_seconds: float = 10.0,
    known_regencies: set[str] | None = None,
    now: float | None = None,
) -> list[Candidate]:
    """Every file in the inbox that is ready to take in, oldest first.

    A file modified less than `stable_seconds` ago may still be being copied: it waits for the next scan.
    """
    now = time.time() if now is None else now
    found: list[Candidate] = []
    if not inbox.is_dir():
        return found
    for root, dirs, files in os.walk(inbox, followlinks=False):
        root_path = Path(root)
        # Hidden/system folders are skipped; symlinked folders are answered like symlinked files.
        entries = [(d, True) for d in dirs] + [(f, False) for f in files]
        dirs[:] = [d for d in dirs if not d.startswith(".") and not (root_path / d).is_symlink()]
        for name, is_dir in entries:
            path = root_path / name
            if is_ignored_name(name):
                continue
            is_link = path.is_symlink()
            if is_dir and not is_link:
                continue
            try:
                st = path.lstat()
            except FileNotFoundError:  # gone between listing and looking: someone moved it
                continue
            if not is_link and not os.path.isfile(path):
                continue  # sockets, fifos, devices
            if not is_link and now - st.st_mtime < stable_seconds:
                log.info("waiting for %s: modified %.1f s ago", path, now - st.st_mtime)
                continue
            relative = path.relative_to(inbox).as_posix()
            parts = relative.split("/")
            kode_kab = parts[0] if len(parts) > 1 else ""
            jenis = parts[1].lower() if len(parts) > 2 else ""
            problem = "symlink" if is_link else _problem_for(kode_kab, jenis, name, known_regencies)
            found.append(
                Candidate(path, relative, kode_kab, jenis, name, st.st_size, st.st_mtime, problem)
            )
    found.sort(key=lambda c: (c.mtime, c.relative))
    return found


def archive_copy(candidate: Candidate, archive_root: Path, received: datetime) -> tuple[str, Path]:
    """Copy the original bytes into the archive, hashing on the way. Returns (sha256, archived path).

    For a symlink the link itself is archived as a tiny text file naming its target: the target is
    never opened.
    """
    regency = candidate.kode_kab if regional_folder(candidate.kode_kab) else "_tanpa_kabupaten"
    folder = archive_root / regency / received.strftime("%Y-%m-%d")
    folder.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    temp = folder / f".{uuid.uuid4().hex}.partial"
    try:
        if candidate.problem == "symlink":
            payload = f"symlink -> {os.readlink(candidate.path)}\n".encode("utf-8", "replace")
            digest.update(payload)
            with temp.open("wb") as out:
                out.write(payload)
                out.flush()
                os.fsync(out.fileno())
        else:
            # O_NOFOLLOW: if the file was swapped for a symlink since the scan, refuse to open it.
            fd = os.open(candidate.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            with os.fdopen(fd, "rb") as src, temp.open("wb") as out:
                for block in iter(lambda: src.read(1 << 20), b""):
                    digest.update(block)
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
        sha = digest.hexdigest()
        final = folder / f"{sha}-{safe_name(candidate.name)}"
        if final.exists():
            temp.unlink()  # archived by an earlier, interrupted scan
        else:
            os.replace(temp, final)
        return sha, final
    finally:
        if temp.exists():
            temp.unlink()


def remove_from_inbox(candidate: Candidate, quarantine_root: Path) -> None:
    """The last step: the archived, recorded file leaves the inbox (a symlink goes to quarantine)."""
    if candidate.problem == "symlink":
        target = quarantine_root / (candidate.kode_kab or "_tanpa_kabupaten")
        target.mkdir(parents=True, exist_ok=True)
        shutil.move(str(candidate.path), target / f"{uuid.uuid4().hex[:8]}-{safe_name(candidate.name)}")
        return
    try:
        candidate.path.unlink()
    except FileNotFoundError:
        pass
    # Tidy empty sub-folders operators made below the jenis folder, never the contract folders.
    parent = candidate.path.parent
    inbox_depth = len(Path(candidate.relative).parts)
    while inbox_depth > 3:
        try:
            parent.rmdir()
        except OSError:
            break
        parent, inbox_depth = parent.parent, inbox_depth - 1


def regional_folder(kode: str) -> bool:
    """A regency's (4 digits) or province's (2 digits) code: the name of its archive and outbox folders."""
    return bool(_KODE_KAB.match(kode or "") or _KODE_PROV.match(kode or ""))


def clean_stale_partials(archive_root: Path, older_than_seconds: float = 86_400) -> int:
    """Temporary files a crash left in the archive (their originals are still in the inbox)."""
    removed = 0
    cutoff = time.time() - older_than_seconds
    for temp in archive_root.glob("*/*/.*.partial"):
        if temp.stat().st_mtime < cutoff:
            temp.unlink(missing_ok=True)
            removed += 1
    return removed
