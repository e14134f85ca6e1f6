"""Enterprise WeChat (企业微信) out: group robot webhooks and application messages.

Over WeCom's documented HTTP APIs (reference notifications-cn.md §1-2).  Every answer is
classified once, here: errcode 0 is success; system busy (-1), a frequency limit (45009) and
HTTP 429 / 5xx / a lost connection are transient (:class:`~arsync.common.errors.RateLimited`
carries how long to wait); an expired access token is fetched again once; a removed robot or a
wrong secret is a configuration error; a refused payload or recipient is permanent
(:class:`~arsync.common.errors.DataError`).  Webhook keys, secrets and tokens never reach an
error message.
"""

from .client import WecomClient, classify_errcode

__all__ = ["WecomClient", "classify_errcode"]
