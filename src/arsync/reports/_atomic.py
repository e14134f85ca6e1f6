"""Replace a workbook only when it is safe: atomically, after a backup, never blind.

A workbook is read once as bytes (its fingerprint is size, mtime and SHA-256 of those
bytes) and replaced only if the file on disk still has that fingerprint and no office
program holds it open.  The check-then-rename window that remains is milliseconds;
Excel on Windows additionally refuses the rename while it has the file open.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

VERSIONS = ".versions"
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
    """A file stem that every OS accepts, from a collector name (Chinese names stay as they are)."""
    s = re.sub(r'[<>:"/\\|?*\x00-\x1f]', "_", collector).strip(" .")
    if not s:
        s = "_unassigned"
    if s.split(".")[0].upper() in _RESERVED:
        s = "_" + s
    return s[:100]


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


def held_open(path: Path) -> str | None:
    """Describe the office program holding ``path`` open, from its owner/lock file; else None."""
    excel = path.with_name("~$" + path.name)
    if excel.exists():
        who = _excel_owner(excel)
        return f"open in Excel{f' by {who}' if who else ''} ({excel.name} present)"
    lo = path.with_name(f".~lock.{path.name}#")
    if lo.exists():
        who = lo.read_text("utf-8", "replace").split(",")[0].strip()
        return f"open in LibreOffice{f' by {who}' if who else ''} ({lo.name} present)"
    return None


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


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then os.replace over ``path``."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".~arsync-", suffix=".xlsx.tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def keep_version(path: Path, data: bytes, keep: int, now: datetime) -> Path | None:
    """Save the previous bytes as ``.versions/<stem>.vNNNNN.<time>.xlsx``; keep the newest ``keep``."""
    folder = path.parent / VERSIONS
    pattern = re.compile(rf"^{re.escape(path.stem)}\.v(\d{{5,}})\.[0-9-]+\.xlsx$")
    existing = (
        sorted(
            ((int(m.group(1)), p) for p in folder.iterdir() if (m := pattern.match(p.name))),
        )
        if folder.is_dir()
        else []
    )
    saved = None
    if keep > 0:
        folder.mkdir(exist_ok=True)
        seq = existing[-1][0] + 1 if existing else 1
        saved = folder / f"{path.stem}.v{seq:05d}.{now:%Y%m%d-%H%M%S}.xlsx"
        write_atomic(saved, data)
        existing.append((seq, saved))
    for _, old in existing[: max(len(existing) - keep, 0)]:
        old.unlink(missing_ok=True)
    return saved


def beside(path: Path, data: bytes, now: datetime) -> Path:
    """Write ``<stem>.new-<time>.xlsx`` next to ``path`` (never over anything)."""
    stem = f"{path.stem}.new-{now:%Y%m%d-%H%M%S}"
    target = path.with_name(stem + ".xlsx")
    n = 2
    while target.exists():
        target, n = path.with_name(f"{stem}-{n}.xlsx"), n + 1
    write_atomic(target, data)
    return target


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
