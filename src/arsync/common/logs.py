"""arsync's one logging set-up (loguru): readable console lines, a JSON-lines log per run.

- :func:`console` — lines on stderr for the operator: ``HH:MM:SS LEVEL  message`` (the time in
  ``runs.timezone``, as the run ids, whatever the host's zone); INFO and up
  by default (progress, stage results, warnings), WARNING and up with ``--quiet``, DEBUG with
  ``-vv`` (``-v``: INFO plus where each line came from).  Tracebacks only with ``-vv``.
- :func:`run_log` — ``log.jsonl`` in the run's folder: every line of the run at DEBUG, one
  JSON object per line with ``time``, ``level``, ``run_id``, ``stage``, ``portal``,
  ``account``, ``message``, where it was logged, anything else bound to it, and for a failure
  the exception's type, message and traceback.
- Both sinks mask every secret the process knows (:func:`arsync.common.secrets.known`: each
  :class:`~arsync.common.secrets.Secret` made, the SAP password, secret environment variables)
  in the finished text, tracebacks included.
- The standard library's logging (third-party libraries) is routed into the same sinks.

Context is bound with ``logger.contextualize(run_id=..., stage=...)`` (the pipeline) and
``portal=`` / ``account=`` (the portal runner); contextvars carry it into asyncio tasks and, where
the caller copies the context, into worker threads.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from arsync.common import clock
from arsync.common.secrets import MASK, known

if TYPE_CHECKING:
    from loguru import Message, Record

#: Fields every JSON line carries (``None`` where they do not apply).
CONTEXT = ("run_id", "stage", "portal", "account")
LOG_FILE = "log.jsonl"
_console_id: list[int] = []


def mask(text: str) -> str:
    """``text`` with every known secret replaced by ``***`` (also in its JSON-escaped form)."""
    for secret in sorted(known(), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
        escaped = json.dumps(secret, ensure_ascii=False)[1:-1]
        if escaped != secret and escaped in text:
            text = text.replace(escaped, MASK)
    return text


def console(verbose: int = 0, quiet: bool = False, *, stdlib: bool = True) -> None:
    """(Re)configure the console sink; removes loguru's default handler the first time.

    ``stdlib``: route the standard library's logging into loguru too.  A program that sets up
    the standard library's logging itself (the Celery worker) passes ``False``; arsync's own
    lines then go straight to the process's stderr, beside the program's."""
    for handler_id in (0, *_console_id):  # loguru's own stderr handler (DEBUG, unmasked)
        with suppress(ValueError):
            logger.remove(handler_id)
    _console_id.clear()
    level = "WARNING" if quiet else ("DEBUG" if verbose >= 2 else "INFO")

    def fmt(record: Record) -> str:
        extra = record["extra"]
        where = "/".join(str(extra[k]) for k in ("portal", "account") if extra.get(k))
        head = f"{where}: " if where and where not in record["message"] else ""
        origin = f"  ({record['name']}:{record['line']})" if verbose else ""
        tail = "\n{exception}" if verbose >= 2 and record["exception"] else ""
        # the stamp in runs.timezone, the zone of the run ids and of every date arsync derives
        stamp = record["time"].astimezone(clock.zone()).strftime("%H:%M:%S")
        return f"{stamp} {{level: <7}} {_braces(head)}{{message}}{_braces(origin)}{tail}\n"

    def sink(message: Message) -> None:
        # the current stderr (a test runner swaps it); the process's own when the standard
        # library's logging belongs to another program, which may redirect sys.stderr into it
        stream = sys.stderr if stdlib else sys.__stderr__
        if stream is not None:
            stream.write(mask(str(message)))
            stream.flush()

    # a line bound ``final=True`` (a run's failure) is what the command prints itself, once
    _console_id.append(
        logger.add(
            sink,
            level=level,
            format=fmt,
            filter=lambda r: not r["extra"].get("final"),
            colorize=False,
            diagnose=False,
        )
    )
    if stdlib:
        _route_stdlib()


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


@contextmanager
def run_log(folder: Path, run_id: str) -> Iterator[Path]:
    """Write every line logged in this context (any thread that carries it) to
    ``folder/log.jsonl`` (appended: a resumed run continues its log); binds ``run_id``."""
    path = Path(folder) / LOG_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a", encoding="utf-8")

    def sink(message: Message) -> None:
        fh.write(mask(_json_line(message.record)) + "\n")
        fh.flush()

    sink_id = logger.add(
        sink,
        level="DEBUG",
        format="{message}",
        filter=lambda r: r["extra"].get("run_id") == run_id,
        diagnose=False,
        catch=True,
    )
    try:
        with logger.contextualize(run_id=run_id):
            yield path
    finally:
        logger.remove(sink_id)
        fh.close()


def read_run_log(folder: Path) -> list[dict[str, Any]]:
    """The lines of a run's JSON log (for tests and ``arsync runs``)."""
    path = Path(folder) / LOG_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def _json_line(record: Record) -> str:
    extra = dict(record["extra"])
    out: dict[str, Any] = {
        "time": record["time"].isoformat(timespec="milliseconds"),
        "level": record["level"].name,
        **{k: extra.pop(k, None) for k in CONTEXT},
        "message": record["message"],
        "logger": record["name"],
        "function": record["function"],
        "line": record["line"],
    }
    out |= {k: v for k, v in extra.items() if k not in out}
    exc = record["exception"]
    if exc is not None and exc.type is not None:
        import traceback

        out["exception"] = {
            "type": exc.type.__name__,
            "message": str(exc.value),
            "traceback": "".join(traceback.format_exception(exc.type, exc.value, exc.traceback)),
        }
    return json.dumps(out, ensure_ascii=False, default=str)


class _ToLoguru(logging.Handler):
    """The standard library's records (third-party libraries) into loguru's sinks."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        logger.opt(depth=0, exception=record.exc_info).bind(library=record.name).log(
            level, record.getMessage()
        )


def _route_stdlib() -> None:
    root = logging.getLogger()
    if not any(isinstance(h, _ToLoguru) for h in root.handlers):
        root.addHandler(_ToLoguru())
    root.setLevel(logging.WARNING)
