"""Portal noise a matcher cannot read through with invoice numbers: drawn per month, on its own RNG.

Three kinds, each a few per cent of the portal claims, fixed when the month is generated so
that every ``at()`` sees the same ones:

- *order-only* records (government e-mall orders before the invoice is uploaded, hospital
  delivery rows before the 发票 is attached): the portal shows no invoice number, only the
  customer's order number (SAP ZUONR), sometimes spelled differently (case, ``-``/``_``/space
  after the prefix, an ``HT-`` prefix).  Only list portals (government, hospital) have them: a
  university portal is searched by invoice number, so such a record could not be found there.
  A claim is order-only only when it is the sole owner of its order number.
- *variant buyers*: the portal names the buyer in a way ``portal_customers`` does not know
  ("上海市第六人民医院（本部）"), so the runner cannot map it to a customer.  Such records keep
  their invoice numbers: that is the only way to match them.
- *ambiguous splits*: one order delivered as two single-invoice claims of equal amount whose
  records, both order-only, are submitted, processed and paid in step.  Nobody can tell which
  record is which invoice's; the truth says AMBIGUOUS for both.

A separate stream (``(seed, month, 0x0D)``) keeps every other draw of the month unchanged.
"""

from __future__ import annotations

import numpy as np

from arsync.sandbox._world_master import PORTALS
from arsync.sandbox._world_month import FULL

P_ORDER_ONLY = 0.05
P_VARIANT = 0.04
P_PAIR = 0.012
P_DECOY_VARIANT = 0.3
#: buyer-name suffixes a portal adds (index = variant code - 1), per family
VARIANTS = {
    "government": ("（本级）", "(本级)", "财务科"),
    "hospital": ("（本部）", "(东院)", "（总院）"),
    "university": ("计划财务处", "（本部）", "财务处"),
}
ORDER_STYLES = 6  # 0 as in SAP, 1 lower case, 2 'AB-123', 3 'AB_123', 4 'AB 123', 5 'HT-AB123'
_FAMILY = PORTALS.family.to_numpy()
_COPY_INV = ("amount", "order", "bldat", "budat", "zlspr", "mansp")
_COPY_CLAIM = ("amount", "kind", "paid", "pay", "clear", "rec_amount", "paid_amount", "date")
_COPY_LIFE = (
    "stages",
    "never_sub",
    "cancel",
    "reject",
    "stuck",
    "stuck_at",
    "cut",
    "resub",
    "shift",
    "reason",
)


def draw(seed: int, m: int, g: dict) -> None:
    """Add ``order_only, variant, ostyle, ambig`` to ``g['claim']``; make the ambiguous splits."""
    rng = np.random.default_rng([seed, m, 0x0D])
    inv, c, life = g["inv"], g["claim"], g["life"]
    nc = g["n_claim"]
    fam = _FAMILY[np.maximum(c["portal"], 0)]
    listed = (c["portal"] >= 0) & (fam != "university")
    u_pair, u_order, u_var = rng.random(nc), rng.random(nc), rng.random(nc)
    var_code = rng.integers(1, 4, nc)
    ostyle = rng.choice(ORDER_STYLES, nc, p=[0.4, 0.12, 0.12, 0.12, 0.12, 0.12])

    first, size = c["first"], c["size"]
    order = inv["order"]
    _, pos, count = np.unique(order, return_inverse=True, return_counts=True)
    own = count[pos.reshape(-1)]  # invoices of the month with this invoice's order number
    # ambiguous splits: claim A and the next claim B of the same customer, both single invoices
    a = np.arange(nc - 1)
    calm = ~(life["never_sub"] | life["cancel"] | life["reject"] | life["resub"])
    ok = (
        listed[a]
        & listed[a + 1]
        & (c["cust"][a] == c["cust"][a + 1])
        & (size[a] == 1)
        & (size[a + 1] == 1)
        & (c["kind"][a] == FULL)
        & calm[a]
        & (own[first[a]] == 1)
        & (u_pair[a] < P_PAIR)
    )
    ok &= ~np.r_[False, ok[:-1]]  # B of one pair is never A of the next
    pa = a[ok]
    pb = pa + 1
    ia, ib = first[pa], first[pb]
    for k in _COPY_INV:
        inv[k][ib] = inv[k][ia]
    for k in _COPY_CLAIM:
        c[k][pb] = c[k][pa]
    for k in _COPY_LIFE:
        life[k][pb] = life[k][pa]
    ambig = np.zeros(nc, bool)
    ambig[pa] = ambig[pb] = True

    _, pos, count = np.unique(order, return_inverse=True, return_counts=True)
    own = count[pos.reshape(-1)]
    last = first + size - 1
    sole = (order[first] == order[last]) & (own[first] == size)  # the claim owns its order number
    order_only = ambig | (listed & sole & (u_order < P_ORDER_ONLY))
    variant = np.where((c["portal"] >= 0) & ~order_only & (u_var < P_VARIANT), var_code, 0)
    c.update(
        order_only=order_only, variant=variant, ostyle=np.where(order_only, ostyle, 0), ambig=ambig
    )


def records(seed: int, m: int, g: dict, rc: dict) -> None:
    """Per record: no invoice number on order-only claims; ``variant`` and ``ostyle`` codes.

    Some decoys (another customer's record carrying one of our invoice numbers) show a variant
    buyer name too: an unmapped record whose number points at one of our items, yet is not ours.
    """
    rng = np.random.default_rng([seed, m, 0x0E])
    c = g["claim"]
    real = rc["claim"] >= 0
    cl = np.maximum(rc["claim"], 0)
    oo = real & c["order_only"][cl]
    rc["invoice_no"] = np.where(oo, "", rc["invoice_no"]).astype(object)
    decoy_variant = np.where(
        rng.random(len(real)) < P_DECOY_VARIANT, rng.integers(1, 4, len(real)), 0
    )
    rc["variant"] = np.where(real, c["variant"][cl], decoy_variant)
    rc["ostyle"] = np.where(real, c["ostyle"][cl], 0)


def order_spelling(order_no: np.ndarray, style: np.ndarray) -> np.ndarray:
    """The order number as the portal writes it (see ORDER_STYLES)."""
    s = np.asarray(order_no, dtype=object)
    out = s.copy()
    head = np.array([x[:2] for x in s], dtype=object) if len(s) else s
    body = np.array([x[2:] for x in s], dtype=object) if len(s) else s
    for code, make in (
        (1, lambda i: np.array([x.lower() for x in s[i]], dtype=object)),
        (2, lambda i: head[i] + "-" + body[i]),
        (3, lambda i: head[i] + "_" + body[i]),
        (4, lambda i: head[i] + " " + body[i]),
        (5, lambda i: "HT-" + s[i]),
    ):
        i = (style == code) & (s != "")
        if i.any():
            out[i] = make(i)
    return out


def buyer_names(buyer: np.ndarray, portal: np.ndarray, variant: np.ndarray) -> np.ndarray:
    """The buyer as shown: the mapped name, or the name plus a suffix the map does not know."""
    out = np.asarray(buyer, dtype=object).copy()
    fam = _FAMILY[portal]
    for f, suffixes in VARIANTS.items():
        for code, suffix in enumerate(suffixes, start=1):
            i = (fam == f) & (variant == code) & (out != "")
            out[i] = out[i] + suffix
    return out
