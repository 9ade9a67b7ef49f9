"""Find the files regencies dropped in `inbox/<kode_kab>/<jenis>/` and archive them before anything else.

The order of events is what makes intake lossless:

1. the original bytes are copied to `archive/<kode_kab>/<YYYY-MM-DD>/<sha256>-<name>` (written to a
   temporary name, flushed, then renamed: the archive never holds half a file) from a descriptor on the very
   file the scan saw; a copy during which the file changed is thrown away and the file waits for the next scan;
2. the ledger (`meta.submission`) records it;
3. only then is the file removed from the inbox, and only if it is still the file that was copied: it is
   first renamed to a hidden name in its folder (`.satudata-diambil-…`, atomic), checked (device, inode,
   size, mtime), then unlinked; a file that replaced it in the meantime is put back under a visible name.

A crash between any two steps leaves the file in the inbox, archived and recorded, or under its hidden name;
the next scan finishes the job (a file whose ledger row exists but is still in the inbox is resumed, not
counted as a duplicate; a hidden leftover is removed if its bytes are archived and recorded, else put back).
Symlinks are never followed: the link itself is moved to `quarantine/` and answered. Archived files are 0640
in 0750 folders, in the process's group, and each regency's archive has a quota (`ArchiveQuota`).
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import re
import shutil
import stat
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from satudata.schema import JENIS

log = logging.getLogger(__name__)

# What is read is decided by the bytes (`sheets.sniff`), never by the name: these are the suffixes we
# document (the README's folder contract); any other file is still taken in and answered with what it is.
ACCEPTED_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".tsv", ".txt")
IGNORED_SUFFIXES = (".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".lock", ".~lock")
# Not operators' files: Office lock files, macOS AppleDouble forks, what NFS/Samba/FUSE keep of a file deleted
# while open, and our own working names. Any other name, dotted or not, is a file to answer.
IGNORED_PREFIXES = ("~$", ".~lock", "._", ".nfs", ".smbdelete", ".fuse_hidden", ".satudata-")
IGNORED_NAMES = {"thumbs.db", "desktop.ini", ".ds_store", "icon\r", ".directory"}
# Folders of file systems and file servers (recycle bins, snapshots, indexes), never walked.
SYSTEM_FOLDERS = {"$recycle.bin", ".recycle", "#recycle", ".trashes", ".temporaryitems", ".appledouble",
                  ".spotlight-v100", ".fseventsd", ".documentrevisions-v100", ".snapshot", ".snapshots", ".zfs",
                  "@eadir", ".@__thumb", "lost+found"}
TAKEN_PREFIX = ".satudata-diambil-"  # a file being taken out of the inbox (`remove_from_inbox`)
_TAKEN = re.compile(r"\.satudata-diambil-[0-9a-f]{12}-(?P<name>.+)", re.DOTALL)
PROVINCE_JENIS = ("anggaran", "pemetaan", "review")  # a province folder: its own APBD recap, answers, its review
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
    device: int = 0  # with inode, size and mtime_ns: which file the scan saw (0: not known, not checked)
    inode: int = 0
    mtime_ns: int = 0

    @property
    def identity(self) -> tuple[int, int, int, int]:
        return (self.device, self.inode, self.size, self.mtime_ns)


class FileChanged(Exception):
    """The file at a path is not (or no longer) the one the scan saw: it is left for the next scan."""


class QuotaExceeded(Exception):
    """Archiving the file would take its regency's archive past the quota: refused, not archived."""

    def __init__(self, used: int, size: int, quota: int):
        super().__init__(f"archive quota: {used:,} used + {size:,} > {quota:,} bytes")
        self.used, self.size, self.quota = used, size, quota

    def detail(self) -> dict:
        return {"ukuran": human_bytes(self.size), "terpakai": human_bytes(self.used), "kuota": human_bytes(self.quota)}


def human_bytes(n: int) -> str:
    """A size as an operator reads it: '64 MiB', '1,5 GiB' (decimal comma)."""
    value, unit = float(n), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    text = f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{text} {unit}"


def _identity(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def is_ignored_name(name: str) -> bool:
    """Lock files, temporary/partial downloads, system files and our own working names are not submissions."""
    lower = name.lower()
    return lower.startswith(IGNORED_PREFIXES) or lower in IGNORED_NAMES or lower.endswith(IGNORED_SUFFIXES)


def is_system_folder(name: str) -> bool:
    lower = name.lower()
    return lower in SYSTEM_FOLDERS or lower.startswith((".trash", ".satudata-"))


def safe_name(name: str, limit: int = 120) -> str:
    """A name that is safe in any file system: no path parts, no control or odd characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .") or "berkas"
    if len(base) > limit:
        stem, dot, suffix = base.rpartition(".")
        base = (stem[: limit - len(suffix) - 1] + dot + suffix) if dot and len(suffix) <= 10 else base[:limit]
    return base


def answer_name(submission_id: int, jenis: str, file_name: str) -> str:
    """The answer's name in `outbox/<kode>/`: the submission id and jenis first, so two submissions (one name
    in two jenis folders, `a:b.csv` beside `a;b.csv`) never share one, and the operator still reads the file."""
    return f"{submission_id}-{safe_name(jenis) if jenis else 'tanpa_jenis'}-{safe_name(file_name)}.laporan.xlsx"


def is_province(kode: str) -> bool:
    """A province's folder (`inbox/52/`): two digits, where a regency's has four."""
    return bool(_KODE_PROV.fullmatch(kode or ""))


def _problem_for(kode_kab: str, jenis: str, name: str, known_regencies: set[str] | None) -> str | None:
    """Why a file's place in the inbox cannot be taken: a folder that is exactly a known regency (4 digits) or
    province (2 digits, for its own budget only), and a known jenis folder under it."""
    if not regional_folder(kode_kab):
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
        dirs[:] = [d for d in dirs if not is_system_folder(d) and not (root_path / d).is_symlink()]
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
            found.append(Candidate(path, relative, kode_kab, jenis, name, st.st_size, st.st_mtime, problem,
                                   st.st_dev, st.st_ino, st.st_mtime_ns))
    found.sort(key=lambda c: (c.mtime, c.relative))
    return found


class ArchiveQuota:
    """Bytes each regency's archive folder may hold (`SATUDATA_ARCHIVE_QUOTA_BYTES`; None: no limit).

    The use is measured once per scan by apparent size (a sparse file is copied as the zeros it reads as, so it
    counts whole) and kept up to date as files are archived; registration runs one scan at a time."""

    def __init__(self, archive_root: Path, limit: int | None):
        self.root, self.limit = archive_root, limit
        self._used: dict[str, int] = {}

    def used(self, regency: str) -> int:
        if regency not in self._used:
            total = 0
            for root, _, files in os.walk(self.root / regency):
                for name in files:
                    try:
                        total += os.lstat(os.path.join(root, name)).st_size
                    except FileNotFoundError:
                        continue
            self._used[regency] = total
        return self._used[regency]

    def check(self, regency: str, size: int) -> None:
        if self.limit is not None and self.used(regency) + size > self.limit:
            raise QuotaExceeded(self.used(regency), size, self.limit)

    def add(self, regency: str, size: int) -> None:
        if regency in self._used:
            self._used[regency] += size


def _private_folder(path: Path) -> None:
    """A folder of the archive: 0750 in the process's group (the originals hold personal data)."""
    path.mkdir(mode=0o750, parents=True, exist_ok=True)
    st = path.stat()
    if st.st_uid == os.geteuid() and (stat.S_IMODE(st.st_mode) != 0o750 or st.st_gid != os.getegid()):
        try:
            os.chown(path, -1, os.getegid())
            os.chmod(path, 0o750)
        except PermissionError:  # a folder the deployment prepared for us: its owner decides
            log.warning("cannot make %s 0750", path)


def _private_file(path: Path):
    """A new archive file, 0640 in the process's group whatever the umask (never mkstemp's 0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o640)
    try:
        os.fchmod(fd, 0o640)
        os.fchown(fd, -1, os.getegid())
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb")


def _open_unchanged(candidate: Candidate) -> tuple[int, os.stat_result]:
    """A descriptor on the very file the scan saw: never a symlink, fifo or other file put in its place."""
    try:
        fd = os.open(candidate.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        if exc.errno == errno.ELOOP:  # swapped for a symlink since the scan
            raise FileChanged(candidate.relative) from exc
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or (candidate.inode and _identity(st) != candidate.identity):
        os.close(fd)
        raise FileChanged(candidate.relative)
    return fd, st


def _copy(fd: int, before: os.stat_result, out, relative: str) -> str:
    """Hash the file's bytes (and write them to `out`); FileChanged if it was written to meanwhile."""
    digest = hashlib.sha256()
    copied = 0
    while block := os.read(fd, 1 << 20):
        copied += len(block)
        if copied > before.st_size:
            break  # growing: no need to read on
        digest.update(block)
        if out is not None:
            out.write(block)
    after = os.fstat(fd)
    # ctime too: it moves on every write, even one that restores size and mtime.
    if copied != before.st_size or (_identity(after), after.st_ctime_ns) != (_identity(before), before.st_ctime_ns):
        raise FileChanged(relative)
    return digest.hexdigest()


def _link_payload(path: Path) -> bytes:
    return f"symlink -> {os.readlink(path)}\n".encode("utf-8", "replace")


def hash_unchanged(candidate: Candidate) -> str:
    """The sha256 of the file the scan saw, without archiving it (a file refused before it is archived)."""
    if candidate.problem == "symlink":
        return hashlib.sha256(_link_payload(candidate.path)).hexdigest()
    fd, before = _open_unchanged(candidate)
    try:
        return _copy(fd, before, None, candidate.relative)
    finally:
        os.close(fd)


def archive_copy(candidate: Candidate, archive_root: Path, received: datetime,
                 quota: ArchiveQuota | None = None) -> tuple[str, Path]:
    """Copy the original bytes into the archive, hashing on the way. Returns (sha256, archived path).

    The copy is of the file the scan saw (FileChanged otherwise, nothing kept); QuotaExceeded before a byte
    is written when the regency's archive would pass its quota. For a symlink the link itself is archived as
    a tiny text file naming its target: the target is never opened.
    """
    regency = archive_regency(candidate.kode_kab)
    fd, before = (-1, None) if candidate.problem == "symlink" else _open_unchanged(candidate)
    temp = None
    try:
        size = before.st_size if before is not None else len(_link_payload(candidate.path))
        if quota is not None:
            quota.check(regency, size)
        folder = archive_root / regency / received.strftime("%Y-%m-%d")
        for path in (archive_root, archive_root / regency, folder):
            _private_folder(path)
        temp = folder / f".{uuid.uuid4().hex}.partial"
        with _private_file(temp) as out:
            if before is None:
                payload = _link_payload(candidate.path)
                out.write(payload)
                sha = hashlib.sha256(payload).hexdigest()
            else:
                sha = _copy(fd, before, out, candidate.relative)
            out.flush()
            os.fsync(out.fileno())
        final = folder / f"{sha}-{safe_name(candidate.name)}"
        if not final.exists():  # else archived by an earlier, interrupted scan
            os.replace(temp, final)
            if quota is not None:
                quota.add(regency, size)
        return sha, final
    finally:
        if fd >= 0:
            os.close(fd)
        if temp is not None:
            temp.unlink(missing_ok=True)


def _taken_name(path: Path) -> Path:
    """A hidden name in the same folder (a rename there is atomic), within the 255 bytes a name may have."""
    prefix = os.fsencode(f"{TAKEN_PREFIX}{uuid.uuid4().hex[:12]}-")
    return path.with_name(os.fsdecode(prefix + os.fsencode(path.name)[: 255 - len(prefix)]))


def remove_from_inbox(candidate: Candidate, quarantine_root: Path) -> Path | None:
    """The last step: the archived, recorded file leaves the inbox (a symlink goes to quarantine).

    Only the file that was copied leaves: the path is renamed to a hidden name first and what now holds that
    name is checked. A file that replaced the copied one in the meantime is put back, under its name or, if a
    newer file took it, under "name (2)"; the next scan takes it in. Returns where it was put back, or None.
    """
    hidden = _taken_name(candidate.path)
    try:
        os.rename(candidate.path, hidden)
    except FileNotFoundError:
        return None  # already gone (an earlier, interrupted scan removed it)
    if candidate.inode and _identity(os.lstat(hidden)) != candidate.identity:
        restored = put_back(hidden, candidate.name)
        log.warning("%s changed after it was archived: the new file stays in the inbox as %s",
                    candidate.relative, restored.name)
        return restored
    if candidate.problem == "symlink":
        target = quarantine_root / (candidate.kode_kab or "_tanpa_kabupaten")
        target.mkdir(parents=True, exist_ok=True)
        shutil.move(str(hidden), target / f"{uuid.uuid4().hex[:8]}-{safe_name(candidate.name)}")
    else:
        hidden.unlink()
    _tidy(candidate.path.parent, len(Path(candidate.relative).parts))
    return None


def _tidy(parent: Path, inbox_depth: int) -> None:
    """Remove empty sub-folders operators made below the jenis folder, never the contract folders."""
    while inbox_depth > 3:
        try:
            parent.rmdir()
        except OSError:
            break
        parent, inbox_depth = parent.parent, inbox_depth - 1


def put_back(hidden: Path, name: str | None = None) -> Path:
    """A taken file back under a visible name: its own, or "name (2).ext" … when a newer file holds it.

    A hard link never replaces an existing name (a rename would); where the file system has no hard links
    (some SMB mounts) the free name is checked, then renamed to."""
    if name is None:
        match = _TAKEN.fullmatch(hidden.name)
        name = match.group("name") if match else hidden.name.lstrip(".") or "berkas"
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem.strip("."):
        stem, dot, suffix = name, "", ""
    for n in range(1, 1000):
        target = hidden.with_name(name if n == 1 else f"{stem} ({n}){dot}{suffix}")
        try:
            os.link(hidden, target, follow_symlinks=False)
        except FileExistsError:
            continue
        except OSError:
            if os.path.lexists(target):
                continue
            os.rename(hidden, target)
            return target
        os.unlink(hidden)
        return target
    raise FileExistsError(f"no free name to put {hidden} back")


def recover_taken(inbox: Path, quarantine_root: Path, settled: Callable[[str, str], bool]) -> int:
    """Finish what a crash left between taking a file out of the inbox and removing it.

    `settled(inbox_path, sha256)` says whether those bytes from that path are archived and recorded: then the
    hidden file goes (as `remove_from_inbox` would have done); otherwise it is put back for the next scan."""
    done = 0
    for root, dirs, files in os.walk(inbox, followlinks=False):
        dirs[:] = [d for d in dirs if not is_system_folder(d)]
        for entry in files:
            match = _TAKEN.fullmatch(entry)
            if match is None:
                continue
            hidden = Path(root) / entry
            relative = (hidden.parent / match.group("name")).relative_to(inbox).as_posix()
            is_link = hidden.is_symlink()
            if is_link:
                sha = hashlib.sha256(_link_payload(hidden)).hexdigest()
            else:
                with hidden.open("rb") as handle:
                    sha = hashlib.file_digest(handle, "sha256").hexdigest()
            if not settled(relative, sha):
                log.warning("putting back %s, taken by an interrupted scan before it was archived", relative)
                put_back(hidden)
            elif is_link:
                target = quarantine_root / (relative.split("/", 1)[0] if "/" in relative else "_tanpa_kabupaten")
                target.mkdir(parents=True, exist_ok=True)
                shutil.move(str(hidden), target / f"{uuid.uuid4().hex[:8]}-{safe_name(match.group('name'))}")
            else:
                log.info("removing %s: archived and recorded before an interrupted scan could", relative)
                hidden.unlink()
            done += 1
    return done


def regional_folder(kode: str) -> bool:
    """A regency's (4 digits) or province's (2 digits) code: the name of its archive and outbox folders."""
    return bool(_KODE_KAB.fullmatch(kode or "") or _KODE_PROV.fullmatch(kode or ""))


def archive_regency(kode: str) -> str:
    """The archive (and outbox) folder of a submission: its region code, or `_tanpa_kabupaten`."""
    return kode if regional_folder(kode) else "_tanpa_kabupaten"


def clean_stale_partials(archive_root: Path, older_than_seconds: float = 86_400) -> int:
    """Temporary files a crash left in the archive (their originals are still in the inbox)."""
    removed = 0
    cutoff = time.time() - older_than_seconds
    for temp in archive_root.glob("*/*/.*.partial"):
        if temp.stat().st_mtime < cutoff:
            temp.unlink(missing_ok=True)
            removed += 1
    return removed
