"""Files and folders that hold customer data or credentials: readable by their owner only.

Evidence (portal pages and screenshots), the run store, state and stage files, saved sessions,
logs and outputs hold customer names, amounts and session cookies.  arsync creates them
owner-only — folders 0700, files 0600 — or, when ``runs.group`` names a Unix group, readable
by that group too (folders 2750 with the setgid bit, so new files inherit the group; files
0640).  Two layers: the process umask (so every file, also one written by SQLite, pyarrow or
the browser, is created that way) and an explicit mode on the folders arsync owns (so a folder
made earlier with 0755 is closed again).
"""

from __future__ import annotations

import grp
import os
from pathlib import Path

from .errors import ConfigError

OWNER_DIR, OWNER_FILE = 0o700, 0o600
GROUP_DIR, GROUP_FILE = 0o2750, 0o640


def _gid(group: str) -> int:
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ConfigError(f"runs.group: no Unix group {group!r} on this host") from None


def apply_umask(group: str = "") -> None:
    """Create every later file owner-only (umask 077), or group-readable with ``group`` (027)."""
    os.umask(0o027 if group else 0o077)


def private_dir(path: str | Path, group: str = "") -> Path:
    """Make ``path`` (and missing parents) and close it: 0700, or 2750 owned by ``group``."""
    p = Path(path).expanduser()
    p.mkdir(parents=True, exist_ok=True)
    _close(p, GROUP_DIR if group else OWNER_DIR, group)
    return p


def private_file(path: str | Path, group: str = "") -> None:
    """Close an existing file: 0600, or 0640 owned by ``group``."""
    _close(Path(path), GROUP_FILE if group else OWNER_FILE, group)


def create_private(path: str | Path, data: bytes, group: str = "") -> Path:
    """Write ``data`` to a new or replaced file that was never readable by others."""
    p = Path(path)
    fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, GROUP_FILE if group else OWNER_FILE)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    private_file(p, group)
    return p


def _close(p: Path, mode: int, group: str) -> None:
    try:
        if group:
            os.chown(p, -1, _gid(group))
        os.chmod(p, mode)
    except PermissionError:  # not ours (a shared parent): leave it, our own files stay closed
        pass
