"""A message too long for its channel: split between lines, or summarised with a link.

Channels limit a message in bytes of UTF-8 (a WeCom robot's markdown: 4,096; an application's:
2,048; a Chinese character takes 3).  :func:`split_lines` packs whole lines into parts under the
limit and never cuts a line, keeping a heading with what follows it.  When more than
``max_parts`` messages would be needed, the parts end with a line that says how much was left
out and where the whole text is (a link to the service, or the attached workbook).
"""

from __future__ import annotations

from collections.abc import Callable

ELLIPSIS = "…"


def nbytes(text: str) -> int:
    return len(text.encode("utf-8"))


def fit_line(line: str, limit: int) -> str:
    """A single line longer than ``limit`` bytes, shortened at a character boundary with "…".
    The last resort only: messages clamp their fields so that no line comes near a limit."""
    if nbytes(line) <= limit:
        return line
    room = limit - nbytes(ELLIPSIS)
    cut = line.encode("utf-8")[:room].decode("utf-8", "ignore")
    return cut + ELLIPSIS


def split_lines(
    text: str,
    limit: int,
    *,
    max_parts: int = 3,
    more: Callable[[int], str] = lambda n: f"… {n} more lines",
    heading: Callable[[str], bool] = lambda line: line.startswith("#"),
) -> list[str]:
    """``text`` as at most ``max_parts`` messages of at most ``limit`` bytes each.

    Lines are kept whole; a heading never ends a part; if everything does not fit, the last
    part ends with ``more(n)`` (``n`` lines left out), which must itself fit in a line."""
    lines = [fit_line(line, limit) for line in text.rstrip("\n").split("\n")]
    parts = _pack(lines, limit, heading)
    if len(parts) <= max_parts:
        return ["\n".join(p) for p in parts]
    kept = [p for p in parts[:max_parts]]
    total = len(lines)
    while True:
        shown = sum(len(p) for p in kept)
        tail = more(total - shown)
        last = kept[-1]
        if nbytes("\n".join([*last, tail])) <= limit:
            kept[-1] = [*last, tail]
            break
        last.pop()
        while last and heading(last[-1]):  # no heading left without its lines
            last.pop()
        if not last:
            kept.pop()
            if not kept:
                return [fit_line(tail, limit)]
    return ["\n".join(p) for p in kept]


def _pack(lines: list[str], limit: int, heading: Callable[[str], bool]) -> list[list[str]]:
    parts: list[list[str]] = []
    cur: list[str] = []
    size = 0
    for line in lines:
        add = nbytes(line) + (1 if cur else 0)
        if cur and size + add > limit:
            carry: list[str] = []
            while cur and heading(cur[-1]):  # a heading goes with what follows it
                carry.insert(0, cur.pop())
            if cur:
                parts.append(cur)
            cur = carry
            size = nbytes("\n".join(cur)) if cur else 0
            add = nbytes(line) + (1 if cur else 0)
            if cur and size + add > limit:
                parts.append(cur)
                cur, size, add = [], 0, nbytes(line)
        cur.append(line)
        size += add
    if cur:
        parts.append(cur)
    # blank lines at the edges of a part say nothing
    return [p for p in (_trim(p) for p in parts) if p]


def _trim(part: list[str]) -> list[str]:
    while part and not part[0].strip():
        part = part[1:]
    while part and not part[-1].strip():
        part = part[:-1]
    return part
