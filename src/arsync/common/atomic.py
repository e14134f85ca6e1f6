"""Files replaced whole or not at all: a temporary file beside the target, fsync, rename.

A process killed, or a disk that fills up, half-way through a write leaves the old file as it
was (and at most a hidden ``.<name>.<random>.tmp`` beside it, which :func:`clean_leftovers`
removes); readers never see a truncated file.  The rename is atomic on POSIX and on Windows
(``os.replace``) as long as the temporary file sits in the same folder as the target.  After
the rename the folder itself is fsynced, so that the new name survives a power cut (POSIX;
a no-op where folders cannot be opened).  Temporary files get the mode the process umask
gives a new file (:mod:`arsync.common.private`: owner-only, or group-readable with ``runs.group``).
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

TEMP_SUFFIX = ".tmp"


@contextlib.contextmanager
def replacing(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; when the block ends without an
    error, the temporary file is fsynced and renamed over ``path``.  On an error (or a
    ``KeyboardInterrupt``) the temporary file is removed and ``path`` is left untouched."""
    target = Path(path)
    tmp = _new_temp(target)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def write_bytes(path: str | Path, data: bytes) -> Path:
    with replacing(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | Path, text: str, encoding: str = "utf-8") -> Path:
    with replacing(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_parquet(df: Any, path: str | Path) -> Path:
    """``df.to_parquet(path, index=False)``, atomically."""
    with replacing(path) as tmp:
        df.to_parquet(tmp, index=False)
    return Path(path)


def clean_leftovers(path: str | Path) -> list[Path]:
    """Remove the temporary files a killed write of ``path`` left beside it; the removed paths.
    Call it only where no other process writes ``path`` at the same time (under the run lock)."""
    target = Path(path)
    gone = []
    for p in target.parent.glob(f".{target.name}.*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            p.unlink()
            gone.append(p)
    return gone


def _new_temp(target: Path) -> Path:
    """A new, empty temporary file beside ``target``, created with the process umask's mode
    (0600 under arsync's umask 077, 0640 with ``runs.group``) — as the target itself would be."""
    for _ in range(100):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {target}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # Windows: a folder cannot be opened; its rename is durable anyway
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
