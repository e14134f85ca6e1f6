"""Replace a workbook only when it is safe: atomically, after a backup, never blind.

A workbook is read once as bytes (its fingerprint is size, mtime and SHA-256 of those
bytes) and replaced only if the file on disk still has that fingerprint and no office
program holds it open.  The check-then-rename window that remains is milliseconds;
Excel on Windows additionally refuses the rename while it has the file open.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

from arsync.common import clock

VERSIONS = ".versions"
#: A stem longer than this (UTF-8 bytes) is cut and given a hash suffix, so that every name
#: derived from it (``.versions/<stem>.vNNNNN.<time>.xlsx``, ``<stem>.new-<time>.xlsx``, the
#: office programs' ``.~lock.<stem>.xlsx#``) stays under the 255-byte limit of file names.
MAX_STEM_BYTES = 180
TEMP_PREFIX = ".~arsync-"
_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}


@dataclass(frozen=True)
class Snapshot:
    data: bytes
    size: int
    mtime_ns: int
    sha256: str


def safe_name(collector: str) -> str:
    """A file stem that every OS accepts, from a collector name (Chinese names stay as they are).

    A name longer than :data:`MAX_STEM_BYTES` UTF-8 bytes is cut at a character boundary and
    ends in ``~`` + 8 hex digits of the full name's SHA-256: stable from run to run, and two
    long names that share their beginning still get two files."""
    s = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", collector).strip(" .")
    if not s:
        s = "_unassigned"
    if s.split(".")[0].upper() in _RESERVED:
        s = "_" + s
    if len(s.encode()) > MAX_STEM_BYTES:
        tag = "~" + hashlib.sha256(collector.encode()).hexdigest()[:8]
        cut = s.encode()[: MAX_STEM_BYTES - len(tag)].decode("utf-8", "ignore").rstrip(" .")
        s = cut + tag
    return s


def snapshot(path: Path) -> Snapshot | None:
    """The file's bytes and fingerprint, read consistently (re-read if it changed meanwhile)."""
    for _ in range(5):
        try:
            before = path.stat()
            data = path.read_bytes()
            after = path.stat()
        except FileNotFoundError:
            return None
        if (before.st_size, before.st_mtime_ns) == (after.st_size, after.st_mtime_ns):
            return Snapshot(
                data, after.st_size, after.st_mtime_ns, hashlib.sha256(data).hexdigest()
            )
    return Snapshot(data, after.st_size, after.st_mtime_ns, hashlib.sha256(data).hexdigest())


def unchanged(path: Path, snap: Snapshot | None) -> bool:
    """True when the file on disk is still the one that was read (or still absent)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return snap is None
    if snap is None:
        return False
    if (st.st_size, st.st_mtime_ns) != (snap.size, snap.mtime_ns):
        return False
    return hashlib.sha256(path.read_bytes()).hexdigest() == snap.sha256


@dataclass(frozen=True)
class Owner:
    """An office program's owner/lock file beside a workbook: who holds it open, since when."""

    program: str  # "Excel" | "LibreOffice"
    who: str
    file: Path
    since: datetime  # the owner file's mtime: when the program opened the workbook

    def describe(self) -> str:
        by = f" by {self.who}" if self.who else ""
        return f"open in {self.program}{by} ({self.file.name} present)"


def owner(path: Path) -> Owner | None:
    """The office program's owner file beside ``path`` (Excel ``~$``, LibreOffice ``.~lock``)."""
    for program, lock in (
        ("Excel", path.with_name("~$" + path.name)),
        ("LibreOffice", path.with_name(f".~lock.{path.name}#")),
    ):
        try:
            st = lock.stat()
        except OSError:
            continue
        who = _excel_owner(lock) if program == "Excel" else _lo_owner(lock)
        return Owner(program, who, lock, clock.wall(st.st_mtime))
    return None


def stale_owner(found: Owner, path: Path, now: datetime, max_age_hours: float) -> str | None:
    """Why ``found`` no longer means the workbook is open, or None when it should be obeyed.

    An office program writes its owner file when it opens the workbook and removes it when it
    closes; one left behind by a crash blocks nothing but itself.  It is stale when the
    workbook was saved after it (the program that wrote it has closed and someone saved since
    — 2 s tolerance for coarse file-system clocks) or when it is older than ``max_age_hours``.
    Obeying a stale one would write every night's refresh beside the workbook, forever."""
    try:
        saved = clock.wall(path.stat().st_mtime)
    except OSError:
        return None
    if (saved - found.since).total_seconds() > 2:
        return (
            f"{found.file.name} ({found.program}, {found.since:%Y-%m-%d %H:%M}) is older than "
            f"the workbook's last save ({saved:%Y-%m-%d %H:%M}): stale, not obeyed"
        )
    age = (now - found.since).total_seconds() / 3600
    if age > max_age_hours:
        return (
            f"{found.file.name} ({found.program}, {found.since:%Y-%m-%d %H:%M}) is "
            f"{age:.0f} hours old (reports.owner_file_max_age_hours = {max_age_hours:g}): "
            "stale, not obeyed"
        )
    return None


def held_open(path: Path) -> str | None:
    """Describe the office program holding ``path`` open, from its owner/lock file; else None."""
    found = owner(path)
    return found.describe() if found else None


def _lo_owner(p: Path) -> str:
    try:
        return p.read_text("utf-8", "replace").split(",")[0].strip()
    except OSError:
        return ""


def _excel_owner(p: Path) -> str:
    # Excel's owner file: one length byte, then the user name (ANSI), padded to 54 bytes;
    # newer versions repeat it in UTF-16 afterwards.  Best effort: the name is only shown.
    try:
        raw = p.read_bytes()
    except OSError:
        return ""
    if len(raw) < 2:
        return ""
    n = raw[0]
    name = raw[1 : 1 + n].decode("latin-1", "replace").strip("\x00 ")
    return name if name.isprintable() else ""


def _umask() -> int:
    try:  # Linux: read it without changing it (os.umask would race with other threads)
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _temp_prefix(stem: str) -> str:
    """Temporary files written for one workbook share a prefix (short: a stem may be 180 bytes)."""
    return TEMP_PREFIX + hashlib.sha256(stem.encode()).hexdigest()[:10] + "-"


def write_atomic(
    path: Path, data: bytes, like: Path | None = None, workbook: Path | None = None
) -> None:
    """Write to a temporary file in the same folder, fsync, then os.replace over ``path``.

    The new file takes the mode and group of ``like`` (default: ``path`` itself, when it
    exists), so a workbook shared through a group or a shared folder stays readable after
    every refresh; a new file gets the usual mode (0666 less the umask), not mkstemp's 0600.
    The temporary file's name tells which ``workbook`` (default ``path``) it was written for,
    so that :func:`remove_temporary` finds what a killed refresh left."""
    like = like if like is not None else path
    try:
        st = like.stat()
        mode, gid = st.st_mode & 0o7777, st.st_gid
    except OSError:
        mode, gid = 0o666 & ~_umask(), None
    prefix = _temp_prefix((workbook or path).stem)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            if gid is not None and hasattr(os, "fchown"):
                with contextlib.suppress(OSError):  # only the owner's own groups are allowed
                    os.fchown(fh.fileno(), -1, gid)
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remove_temporary(path: Path) -> list[Path]:
    """Delete the temporary files a killed refresh of ``path`` left (call under its lock)."""
    removed = []
    for folder in (path.parent, path.parent / VERSIONS):
        if folder.is_dir():
            for p in folder.glob(_temp_prefix(path.stem) + "*.tmp"):
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def keep_version(path: Path, data: bytes, keep: int, now: datetime) -> Path | None:
    """Save the previous bytes as ``.versions/<stem>.vNNNNN.<time>.xlsx``; keep the newest ``keep``.

    Bytes equal to the newest kept version are not saved twice (a refresh that failed after
    its backup and then ran again must not push an older version out)."""
    folder = path.parent / VERSIONS
    existing = versions(path)
    saved = None
    if keep > 0:
        if existing and _same_bytes(existing[-1][1], data):
            saved = existing[-1][1]
        else:
            folder.mkdir(exist_ok=True)
            seq = existing[-1][0] + 1 if existing else 1
            saved = folder / f"{path.stem}.v{seq:05d}.{now:%Y%m%d-%H%M%S}.xlsx"
            write_atomic(saved, data, like=path, workbook=path)
            existing.append((seq, saved))
    for _, old in existing[: max(len(existing) - keep, 0)]:
        old.unlink(missing_ok=True)
    return saved


def versions(path: Path) -> list[tuple[int, Path]]:
    """The kept versions of ``path``, oldest first, with their sequence numbers."""
    folder = path.parent / VERSIONS
    pattern = re.compile(rf"^{re.escape(path.stem)}\.v(\d{{5,}})\.[0-9-]+\.xlsx$")
    if not folder.is_dir():
        return []
    return sorted((int(m.group(1)), p) for p in folder.iterdir() if (m := pattern.match(p.name)))


def _same_bytes(p: Path, data: bytes) -> bool:
    try:
        return p.stat().st_size == len(data) and p.read_bytes() == data
    except OSError:
        return False


def beside(path: Path, data: bytes, now: datetime) -> Path:
    """Write ``<stem>.new-<time>.xlsx`` next to ``path`` (never over anything)."""
    stem = f"{path.stem}.new-{now:%Y%m%d-%H%M%S}"
    target = path.with_name(stem + ".xlsx")
    n = 2
    while target.exists():
        target, n = path.with_name(f"{stem}-{n}.xlsx"), n + 1
    write_atomic(target, data, like=path if path.exists() else None, workbook=path)
    return target


def written_beside(path: Path) -> list[Path]:
    """The ``<stem>.new-<time>.xlsx`` files of ``path``, oldest first."""
    pattern = re.compile(rf"^{re.escape(path.stem)}\.new-\d{{8}}-\d{{6}}(-\d+)?\.xlsx$")
    found = [p for p in path.parent.iterdir() if pattern.match(p.name)]
    return sorted(found, key=lambda p: (p.name.split(".new-")[1].split(".")[0], p.name))


_CORE_NS = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/",
}


def existing_collectors(folder: Path, marker: str = "arsync-worksheet") -> list[str]:
    """Collectors whose workbook (marked in its document properties) lies in ``folder``."""
    found = []
    for p in sorted(folder.glob("*.xlsx")):
        if p.name.startswith(("~$", ".")) or ".new-" in p.name:
            continue
        try:
            with zipfile.ZipFile(p) as z:
                root = ElementTree.fromstring(z.read("docProps/core.xml"))
        except (OSError, KeyError, zipfile.BadZipFile, ElementTree.ParseError):
            continue
        keywords = root.findtext("cp:keywords", "", _CORE_NS)
        subject = root.findtext("dc:subject", None, _CORE_NS)
        if marker in keywords and subject is not None and safe_name(subject) == p.stem:
            found.append(subject)
    return found
