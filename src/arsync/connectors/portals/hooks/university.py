"""University finance portals: which strings to type into the search box.

Data cannot say this: the invoice numbers come from SAP (XBLNR, or the 20-digit 数电 number
in the long reference), and the search box wants each number once, as plain digits.
"""

from __future__ import annotations

from arsync.common.parse import normalize_text


def search_terms(numbers: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for n in numbers:
        s = normalize_text(n).replace(" ", "")
        if s:
            seen.setdefault(s, None)
    return list(seen)
