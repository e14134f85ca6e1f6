"""What the service offers for download: the files in the output folder, each with a kind.

The list is made by looking at the files, so a new report appears without a new route: a
collector's workbook under ``worksheets/``, a file run's ``worklist``/``errors`` files, a run's
``summary.txt``, statements (``statements/`` anywhere: one per customer, the customer number in
the name), and any report under ``reports/`` or a run folder's report folder, its kind taken
from its name (``reports/supervisor.xlsx`` → ``supervisor``, ``aging-collector.xlsx`` →
``aging``).  Only files that classify are offered: never the run store, stage frames,
evidence, sessions or uploaded inputs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

from arsync.common import clock
from arsync.reports._atomic import safe_name
from arsync.service.users import User

REPORT_SUFFIXES = {".xlsx", ".pdf", ".csv", ".txt", ".docx", ".zip"}
#: Stage folders and other insides of a run folder that are never offered.
_INTERNAL = {"sap", "portals", "reconcile", "worksheets_stage", "files", "outputs", "summary"}
_SKIP_PARTS = {".versions", "evidence", "inputs", "state", "check"}
#: Kinds shown first, in this order; any other kind follows by name.
ORDER = ("worksheet", "statement", "aging", "supervisor", "plan", "worklist", "errors", "summary")
_CUSTOMER = re.compile(r"(?<!\d)(\d{4,10})(?!\d)")


@dataclass(frozen=True)
class Download:
    path: str  # relative to the output folder, '/'-separated: the download's id
    kind: str
    name: str
    size: int
    modified: datetime
    run_id: str | None = None
    collector: str | None = None  # the workbook's owner (worksheets)
    customer: str | None = None  # the statement's customer (statements)


def classify(rel: PurePosixPath) -> dict[str, str | None] | None:
    """The kind (and owner) of a file at ``rel`` under the output folder, or ``None`` when it is
    not offered."""
    parts = rel.parts
    if not parts or rel.suffix.lower() not in REPORT_SUFFIXES or rel.name.startswith(("~$", ".")):
        return None
    if _SKIP_PARTS & set(parts[:-1]):
        return None
    run_id = None
    if parts[0] in ("runs", "files") and len(parts) >= 3:
        run_id, parts = parts[1], parts[2:]
        if parts[0] == "runs":  # a file run's own run folder: files/<id>/runs/<id>/...
            parts = parts[2:]
    if not parts:
        return None
    if parts[0] == "worksheets" and rel.suffix == ".xlsx":
        stem = rel.stem.split(".new-")[0]
        return {"kind": "worksheet", "run_id": run_id, "collector": stem, "customer": None}
    if "statements" in parts[:-1]:
        m = _CUSTOMER.search(rel.stem)
        customer = m.group(1).zfill(10) if m else None
        return {"kind": "statement", "run_id": run_id, "collector": None, "customer": customer}
    if len(parts) == 1:
        stem = rel.stem.lower()
        if run_id is not None and stem in ("worklist", "errors", "summary"):
            return {"kind": stem, "run_id": run_id, "collector": None, "customer": None}
        if run_id is not None:
            return None
    folder = parts[0] if len(parts) > 1 else None
    if folder in _INTERNAL:
        return None
    if folder in (None, "reports") or run_id is not None:
        kind = re.split(r"[-_. ]", rel.stem.lower(), maxsplit=1)[0] or "report"
        if folder not in (None, "reports"):
            kind = folder.lower().removesuffix("s")
        return {"kind": kind, "run_id": run_id, "collector": None, "customer": None}
    return None


def list_downloads(
    out: Path, user: User, collector_customers: Iterable[str] = ()
) -> list[Download]:
    """Every offered file under ``out`` that ``user`` may read, by kind then newest first."""
    found: list[Download] = []
    if not out.is_dir():
        return found
    mine = set(collector_customers)
    for p in out.rglob("*"):
        if not p.is_file():
            continue
        rel = PurePosixPath(p.relative_to(out).as_posix())
        c = classify(rel)
        if c is None:
            continue
        d = Download(
            path=str(rel),
            kind=str(c["kind"]),
            name=rel.name,
            size=p.stat().st_size,
            modified=clock.wall(p.stat().st_mtime),
            run_id=c["run_id"],
            collector=c["collector"],
            customer=c["customer"],
        )
        if may_read(user, d, mine):
            found.append(d)
    rank = {k: i for i, k in enumerate(ORDER)}
    found.sort(key=lambda d: d.name)
    found.sort(key=lambda d: d.modified, reverse=True)
    found.sort(key=lambda d: (rank.get(d.kind, len(ORDER)), d.kind))
    return found


def find(out: Path, path: str) -> tuple[Path, Download] | None:
    """The file behind a download id, or ``None`` (not a file, outside ``out``, not offered)."""
    rel = PurePosixPath(path)
    if rel.is_absolute() or ".." in rel.parts:
        return None
    p = (out / rel).resolve()
    if not p.is_file() or out.resolve() not in p.parents:
        return None
    c = classify(rel)
    if c is None:
        return None
    st = p.stat()
    return p, Download(
        path=str(rel),
        kind=str(c["kind"]),
        name=rel.name,
        size=st.st_size,
        modified=clock.wall(st.st_mtime),
        run_id=c["run_id"],
        collector=c["collector"],
        customer=c["customer"],
    )


def may_read(
    user: User, d: Download, collector_customers: set[str] | frozenset = frozenset()
) -> bool:
    """ops and supervisors read everything; a collector reads their own workbook and the
    statements of their own customers, nothing else (issue 13, "Who may do what")."""
    if user.reads_all:
        return True
    if user.role != "collector" or not user.collector:
        return False
    if d.kind == "worksheet":
        return d.collector == safe_name(user.collector)
    if d.kind == "statement":
        return d.customer is not None and d.customer in collector_customers
    return False
