"""The channels a sender uses, built from ``[notify]`` with their secrets resolved at the point
of use: the SMTP server (password from ``ARSYNC_NOTIFY__EMAIL__PASSWORD`` or the keyring entry
arsync / ``smtp:<user>``), WeCom robots (each a reference to its webhook key) and the WeCom app
(secret from ``ARSYNC_NOTIFY__WECOM__SECRET`` or arsync / ``wecom:<corp_id>/<agent_id>``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from arsync.common.errors import ConfigError
from arsync.common.ratelimit import SlidingWindow
from arsync.common.secrets import Secret, resolve
from arsync.config.settings import NotifySettings

MINUTE = 60.0


class Channels:
    """Lazily opened connections, secrets and one rate limit per robot, recipient and server."""

    def __init__(
        self,
        settings: NotifySettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        wecom: Any = None,
    ):
        self.s = settings
        self.clock = clock
        self._smtp: Any = None
        self._wecom = wecom
        self._limits: dict[str, SlidingWindow] = {}

    # -- rate limits ----------------------------------------------------------------------
    def bucket(self, row: dict[str, Any]) -> str:
        if row["channel"] == "email":
            return f"smtp:{self.s.email.host}"
        if row["channel"] == "wecom_robot":
            return f"robot:{row['recipient']}"
        return f"wecom-user:{row['recipient']}"

    def limit(self, bucket: str) -> SlidingWindow:
        if bucket not in self._limits:
            per = (
                self.s.email.per_minute
                if bucket.startswith("smtp:")
                else self.s.wecom.robot_per_minute
                if bucket.startswith("robot:")
                else self.s.wecom.user_per_minute
            )
            self._limits[bucket] = SlidingWindow(per, MINUTE, self.clock)
        return self._limits[bucket]

    # -- connections ----------------------------------------------------------------------
    def smtp(self) -> Any:
        from arsync.connectors.mail import MailServer, SmtpSession

        if self._smtp is None:
            e = self.s.email
            if not e.host:
                raise ConfigError("e-mail is not configured: set notify.email.host")
            server = MailServer(e.host, e.port, e.security, e.user, e.timeout)
            self._smtp = SmtpSession(server, self.smtp_password())
        return self._smtp

    def smtp_password(self) -> Secret | None:
        e = self.s.email
        if not e.user:
            return None
        if e.password is not None and e.password.get_secret_value():
            return Secret(e.password.get_secret_value(), source="settings")
        try:
            return resolve(f"keyring:arsync/smtp:{e.user}", what="SMTP password")
        except ConfigError:
            raise ConfigError(
                f"SMTP password for {e.user}: set ARSYNC_NOTIFY__EMAIL__PASSWORD or the keyring "
                f"entry arsync / smtp:{e.user}"
            ) from None

    def sender(self) -> str:
        e = self.s.email
        return e.sender or e.user

    def wecom(self) -> Any:
        if self._wecom is None:
            from arsync.connectors.wecom import WecomClient

            self._wecom = WecomClient(self.s.wecom.base_url, timeout=self.s.wecom.timeout)
        return self._wecom

    def robot_key(self, name: str) -> Secret:
        ref = self.s.wecom.robots.get(name)
        if not ref:
            raise ConfigError(f"WeCom robot {name!r} is not in notify.wecom.robots")
        return resolve(ref, what=f"WeCom robot {name} webhook key (notify.wecom.robots.{name})")

    def app_secret(self) -> Secret:
        w = self.s.wecom
        if not (w.corp_id and w.agent_id):
            raise ConfigError("WeCom application messages need notify.wecom.corp_id and agent_id")
        if w.secret is not None and w.secret.get_secret_value():
            return Secret(w.secret.get_secret_value(), source="settings")
        try:
            return resolve(f"keyring:arsync/wecom:{w.corp_id}/{w.agent_id}", what="WeCom secret")
        except ConfigError:
            raise ConfigError(
                "WeCom app secret: set ARSYNC_NOTIFY__WECOM__SECRET or the keyring entry "
                f"arsync / wecom:{w.corp_id}/{w.agent_id}"
            ) from None

    def close(self) -> None:
        if self._smtp is not None:
            self._smtp.close()
            self._smtp = None
        if self._wecom is not None and hasattr(self._wecom, "close"):
            self._wecom.close()
