"""Saved login sessions (Playwright storage_state), encrypted at rest with Fernet.

A session is a credential: whoever holds the cookies is logged in.  The folder is the owner's
alone (0700) and every file in it 0600.  The key comes from ``ARSYNC_SESSION_KEY``, else the OS
keyring (service ``arsync``, user ``session-key``), else — only when configured — the key file
``portals.session_key_file`` (created 0600; ``config show`` warns about it).  It is never kept
beside the sessions by default: with no key, sessions are not kept (each run logs in again) and
``arsync portals login`` says how to provide one.  A file that no longer decrypts is treated
as absent (key rotated): the account simply needs a new login.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from loguru import logger

from arsync.common.errors import ConfigError
from arsync.common.private import create_private, private_dir

ENV_KEY = "ARSYNC_SESSION_KEY"
NO_KEY = (
    f"no key for the saved portal sessions: set {ENV_KEY} (make one with: python -c "
    "'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'), "
    "or the keyring entry arsync / session-key, or name a key file in portals.session_key_file"
)


def _keyring_key() -> bytes | None:
    try:
        import keyring

        v = keyring.get_password("arsync", "session-key")
    except Exception:  # no keyring backend on a headless server
        return None
    return v.encode() if v else None


def _safe(name: str) -> str:
    """A file-name part from an id (ids are not secret, but keep names portable)."""
    s = re.sub(r"[^A-Za-z0-9_.-]", "_", name)[:60]
    return f"{s}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"


class SessionStore:
    def __init__(
        self, folder: str | Path, key: bytes | None = None, *, key_file: str | Path = ""
    ) -> None:
        self.folder = Path(folder).expanduser()
        self._key = key
        self.key_file = Path(key_file).expanduser() if key_file else None

    def has_key(self) -> bool:
        """Whether sessions can be kept (a key from the environment, keyring or key file)."""
        return self._raw_key() is not None

    def _raw_key(self) -> bytes | None:
        if self._key is None:
            env = os.environ.get(ENV_KEY)
            self._key = env.encode() if env else (_keyring_key() or self._file_key())
        return self._key

    def _fernet(self) -> Fernet:
        key = self._raw_key()
        if key is None:
            raise ConfigError(NO_KEY)
        try:
            return Fernet(key)
        except (ValueError, TypeError):
            raise ConfigError(
                f"{ENV_KEY} (or the keyring entry arsync/session-key, or the key file) is not a "
                "Fernet key; make one with: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            ) from None

    def _file_key(self) -> bytes | None:
        """The configured key file's key (made, 0600, on first use); None when none is configured."""
        path = self.key_file
        if path is None:
            return None
        if path.exists():
            return path.read_bytes().strip()
        private_dir(path.parent)
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
        if not p.exists() or not self.has_key():
            return None
        try:
            return json.loads(self._fernet().decrypt(p.read_bytes()))
        except (InvalidToken, ValueError):
            logger.warning(
                "{}/{}: saved session cannot be decrypted (key changed or missing); ignoring it",
                portal,
                account,
            )
            return None

    def save(self, portal: str, account: str, state: dict) -> Path:
        """Encrypt and keep ``state``; :class:`ConfigError` (:data:`NO_KEY`) when there is no key."""
        token = self._fernet().encrypt(json.dumps(state).encode())
        p = self.path(portal, account)
        private_dir(self.folder)
        private_dir(p.parent)
        tmp = p.with_suffix(".tmp")
        create_private(tmp, token)
        tmp.replace(p)
        return p

    def forget(self, portal: str, account: str) -> None:
        self.path(portal, account).unlink(missing_ok=True)
