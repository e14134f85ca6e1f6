"""Saved login sessions (Playwright storage_state), encrypted at rest with Fernet.

A session is a credential: whoever holds the cookies is logged in.  The key comes from
``ARSYNC_SESSION_KEY``, else the OS keyring (service ``arsync``, user ``session-key``), else a
key file (mode 0600) beside the sessions.  A file that no longer decrypts is treated as
absent (key rotated): the account simply needs a new login.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from arsync.common.errors import ConfigError

log = logging.getLogger("arsync.portals.sessions")
ENV_KEY = "ARSYNC_SESSION_KEY"


def _keyring_key() -> bytes | None:
    try:
        import keyring

        v = keyring.get_password("arsync", "session-key")
    except Exception:  # no keyring backend on a headless server: fall through to the key file
        return None
    return v.encode() if v else None


def _safe(name: str) -> str:
    """A file-name part from an id (ids are not secret, but keep names portable)."""
    s = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60]
    return f"{s}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


class SessionStore:
    def __init__(self, folder: str | Path, key: bytes | None = None) -> None:
        self.folder = Path(folder).expanduser()
        self._key = key

    def _fernet(self) -> Fernet:
        if self._key is None:
            env = os.environ.get(ENV_KEY)
            self._key = env.encode() if env else (_keyring_key() or self._file_key())
        try:
            return Fernet(self._key)
        except (ValueError, TypeError):
            raise ConfigError(
                f"{ENV_KEY} (or the keyring entry arsync/session-key) is not a Fernet key; "
                "make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None

    def _file_key(self) -> bytes:
        path = self.folder / ".session-key"
        if path.exists():
            return path.read_bytes().strip()
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = Fernet.generate_key()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key)
        return key

    def seal(self, text: str) -> str:
        """``text`` encrypted with the session key (a password on its way to a worker)."""
        return self._fernet().encrypt(text.encode()).decode()

    def unseal(self, token: str) -> str:
        """What :meth:`seal` sealed; ConfigError when this key cannot open it."""
        try:
            return self._fernet().decrypt(token.encode()).decode()
        except InvalidToken:
            raise ConfigError(
                f"a sealed password cannot be opened with this session key: every worker and "
                f"the run must share {ENV_KEY} (or the session folder's key file)"
            ) from None

    def path(self, portal: str, account: str) -> Path:
        return self.folder / _safe(portal) / f"{_safe(account)}.session"

    def load(self, portal: str, account: str) -> dict | None:
        p = self.path(portal, account)
        if not p.exists():
            return None
        try:
            return json.loads(self._fernet().decrypt(p.read_bytes()))
        except (InvalidToken, ValueError):
            log.warning(
                "%s/%s: saved session cannot be decrypted (key changed?); ignoring it",
                portal,
                account,
            )
            return None

    def save(self, portal: str, account: str, state: dict) -> Path:
        p = self.path(portal, account)
        p.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = p.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(self._fernet().encrypt(json.dumps(state).encode()))
        tmp.replace(p)
        return p

    def forget(self, portal: str, account: str) -> None:
        self.path(portal, account).unlink(missing_ok=True)
