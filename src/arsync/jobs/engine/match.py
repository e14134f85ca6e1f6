"""Candidate records for each open debit item, rule by rule (DESIGN.md, "reconcile").

Rules run in order and an item leaves the pool at the first rule that finds a live record;
an item that found only REJECTED / CANCELLED records keeps them and stays in the pool for the
invoice-tail and order-number rules, which may find its resubmission (never for the amount rule,
which would reach for another invoice's record):

1. ``invoice_no``   the normalized invoice number of the item equals one in the record;
2. ``invoice_tail`` one side has a 20-digit 数电 number, the other only its last 8 digits;
3. ``order_no``     the record carries no invoice number yet and its order / contract number
                    equals the item's assignment (ZUONR) once case, spaces and punctuation are
                    dropped, or one ends with the other (a prefix such as ``HT-``); a rejected or
                    cancelled record gives way to a live one (its resubmission); several records
                    left are told apart by amount, one to one, or the item is AMBIGUOUS;
4. ``amount_date``  last resort: same customer and currency, amount within tolerance and the
                    record's status date within the window around the invoice date; more than
                    one candidate either way is AMBIGUOUS.

A record matches only items of its own customer.  An unmapped record (customer '') may
match by invoice number alone, on a portal the customer uses, when the number points at
exactly one item.  Residual items (open debits whose invoice_ref names a cleared invoice)
are matched through that invoice's reference; their rule is prefixed ``invoice_ref:``.
Everything is merges and groupbys; the only loop is over the four rules.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from arsync.jobs.engine.invoice_no import key_codes

CONFIDENCE = {
    "invoice_no": 1.0,
    "invoice_tail": 0.9,
    "order_no": 0.8,
    "amount_date": 0.5,
}
UNMAPPED_FACTOR = 0.9  # a record whose buyer is not mapped to a customer is a little less sure
CAND = ["ipos", "rpos", "rule", "confidence"]
_DEAD = {"REJECTED": 1, "CANCELLED": 2}  # a live record wins over these (its resubmission)


def prepare_items(oi: pd.DataFrame, ci: pd.DataFrame) -> pd.DataFrame:
    """Open items with what matching needs: the reference and assignment to match with,
    and the basis (the invoice a record is expected to carry) for splitting record amounts."""
    # Not consolidated into 2-D blocks (a copy of every value); the columns written below for
    # residual items are copies, the others are the open items' own, only read.
    it = pd.DataFrame(
        {
            "ipos": np.arange(len(oi), dtype=np.int64),
            "customer": oi["customer"],
            "currency": oi["currency"],
            "amount": oi["amount"],
            "document_date": oi["document_date"],
            "debit": oi["amount"].ge(0),
            "ref": oi["reference"].copy(),
            "assignment": oi["assignment"].copy(),
            "basis_amount": oi["amount"].copy(),
            "basis_id": np.arange(len(oi), dtype=np.int64),
            "basis_doc": pd.Series([""] * len(oi), index=oi.index, dtype=object),
            "via_ref": np.zeros(len(oi), dtype=bool),
        },
        index=oi.index,
        copy=False,
    )
    # basis_id: the open item's position, or len(oi) + the cleared invoice's position in ci.
    inv = ci.loc[ci["amount"].gt(0)].assign(basis_id=lambda d: len(oi) + d.index.to_numpy())
    resid = it["debit"] & oi["invoice_ref"].ne("")
    if resid.any() and len(inv):
        r = pd.DataFrame(
            {
                "ipos": it.loc[resid, "ipos"],
                "company_code": oi.loc[resid, "company_code"],
                "customer": oi.loc[resid, "customer"],
                "document_no": oi.loc[resid, "invoice_ref"],
                "fy": oi.loc[resid, "fiscal_year"],
            }
        )
        c = inv[
            [
                "company_code",
                "customer",
                "document_no",
                "fiscal_year",
                "line_item",
                "reference",
                "assignment",
                "amount",
                "basis_id",
            ]
        ]
        j = r.merge(c, on=["company_code", "customer", "document_no"])
        # REBZJ is not in the frame: take the latest fiscal year not after the residual's own.
        j = j.loc[j["fiscal_year"].le(j["fy"])].sort_values(["ipos", "fiscal_year"])
        j = j.drop_duplicates("ipos", keep="last").set_index("ipos")
        idx = j.index.to_numpy()
        it.loc[idx, "ref"] = j["reference"].to_numpy()
        it.loc[idx, "assignment"] = (
            j["assignment"]
            .where(j["assignment"].ne(""), it.loc[idx, "assignment"].to_numpy())
            .to_numpy()
        )
        it.loc[idx, "basis_amount"] = j["amount"].to_numpy()
        it.loc[idx, "basis_id"] = j["basis_id"].to_numpy()
        it.loc[idx, "basis_doc"] = _doc_id(j).to_numpy()
        it.loc[idx, "via_ref"] = True
    return it


def _doc_id(f: pd.DataFrame) -> pd.Series:
    return (
        f["company_code"] + "/" + f["fiscal_year"] + "/" + f["document_no"] + "/" + f["line_item"]
    ).astype(object)


def keys(
    items: pd.DataFrame, recs: pd.DataFrame, ci: pd.DataFrame, offset: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(ikeys, rkeys, ckeys)``: the invoice-number keys of the open debit items (their
    ``ref``), of the records (``invoice_no``) and of the cleared invoices (``reference``), as
    integer codes (:func:`invoice_no.key_codes`: equal exactly when the texts are, across the
    three), so that every join on a key compares integers:

    - ikeys: ``ipos, key, tail, long, customer, jkey, jtail``
    - rkeys: ``rpos, key, tail, long, customer, portal, jkey, jtail``
    - ckeys: ``customer, key, tail, long, basis_id, basis_amount`` (``basis_id`` = ``offset`` +
      position in ``ci``, as :func:`prepare_items` numbers them)

    ``key`` and ``tail`` are codes, ``long`` whether the key has more than 8 characters;
    ``jkey`` / ``jtail`` put the customer and the key / tail in one int64 (equal exactly when
    both are), to join an item with the records of its own customer.  ``rpos`` and ``ipos``
    are positions in ``recs`` and ``items``."""
    deb = np.flatnonzero(items["debit"].to_numpy(dtype=bool))
    inv = np.flatnonzero(ci["amount"].gt(0).to_numpy())
    ref = pd.Series(items["ref"].to_numpy(dtype=object)[deb])
    ik, rk, ck = key_codes([ref, recs["invoice_no"], ci["reference"].iloc[inv]])
    ipos = deb[ik["pos"].to_numpy()]
    rpos = rk["pos"].to_numpy()
    icust = items["customer"].to_numpy(dtype=object)
    rcust = recs["customer"].to_numpy(dtype=object)
    cust, _ = pd.factorize(np.concatenate([icust, rcust]))
    ic, rc = cust[: len(icust)][ipos], cust[len(icust) :][rpos]
    # Customer and tail in one int64: tail codes lie in [-texts, 10**8) (invoice_no._codes).
    tails = np.concatenate([ik["tail"].to_numpy(), rk["tail"].to_numpy()])
    low = int(tails.min(initial=0))
    span = int(tails.max(initial=0)) - low + 1
    jtail = ic * span + (ik["tail"].to_numpy() - low), rc * span + (rk["tail"].to_numpy() - low)
    # Customer and key (up to 18 digits) do not fit one int64: the key's code made dense first.
    dense, words = pd.factorize(np.concatenate([ik["key"].to_numpy(), rk["key"].to_numpy()]))
    span = max(len(words), 1)
    jkey = ic * span + dense[: len(ik)], rc * span + dense[len(ik) :]
    ikeys = pd.DataFrame(
        {
            "ipos": ipos,
            "key": ik["key"].to_numpy(),
            "tail": ik["tail"].to_numpy(),
            "long": ik["long"].to_numpy(),
            "customer": icust[ipos],
            "jkey": jkey[0],
            "jtail": jtail[0],
        },
        copy=False,
    )
    rkeys = pd.DataFrame(
        {
            "rpos": rpos,
            "key": rk["key"].to_numpy(),
            "tail": rk["tail"].to_numpy(),
            "long": rk["long"].to_numpy(),
            "customer": rcust[rpos],
            "portal": recs["portal"].to_numpy(dtype=object)[rpos],
            "jkey": jkey[1],
            "jtail": jtail[1],
        },
        copy=False,
    )
    cp = inv[ck["pos"].to_numpy()]
    ckeys = pd.DataFrame(
        {
            "customer": ci["customer"].to_numpy(dtype=object)[cp],
            "key": ck["key"].to_numpy(),
            "tail": ck["tail"].to_numpy(),
            "long": ck["long"].to_numpy(),
            "basis_id": offset + cp,
            "basis_amount": ci["amount"].to_numpy()[cp],
        },
        copy=False,
    )
    return ikeys, rkeys, ckeys


def candidates(
    items: pd.DataFrame,
    recs: pd.DataFrame,
    rkeys: pd.DataFrame,
    ikeys: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    tolerance: int,
    window_days: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(matches, ambiguous)``: matches as ipos, rpos, rule, confidence (several per item
    possible, all from the item's first successful rule); ambiguous as ipos, rpos for
    items whose amount-only match has more than one candidate."""
    done: list[pd.DataFrame] = []
    left = items["debit"].to_numpy(dtype=bool).copy()  # by ipos: still without a live candidate
    waiting = np.zeros(len(items), dtype=bool)  # by ipos: only dead candidates so far
    dead = recs["status"].isin(list(_DEAD)).to_numpy()  # by rpos

    def take(c: pd.DataFrame, rule: str) -> None:
        c = c.loc[left[c["ipos"].to_numpy(dtype=np.int64)]]
        c = c.assign(unmapped=c.get("unmapped", False))
        c = c.sort_values("unmapped", kind="stable").drop_duplicates(["ipos", "rpos"])
        if len(c):
            done.append(c[["ipos", "rpos", "unmapped"]].assign(rule=rule))
            ipos = c["ipos"].to_numpy(dtype=np.int64)
            live = ~dead[c["rpos"].to_numpy(dtype=np.int64)]
            waiting[ipos] = True
            waiting[ipos[live]] = False
            left[ipos[live]] = False

    nobody = rkeys["customer"].eq("").to_numpy()
    rk_mapped = rkeys.loc[~nobody, ["rpos", "key", "long", "jkey", "jtail"]]
    rk_unmapped = rkeys.loc[nobody]
    for rule, on in (("invoice_no", "key"), ("invoice_tail", "tail")):
        ik = ikeys.loc[left[ikeys["ipos"].to_numpy()]]
        # the customer and the key in one integer: one hash join on int64
        mapped = ik[["ipos", "key", "long", "j" + on]].merge(
            rk_mapped[["rpos", "key", "long", "j" + on]], on="j" + on, suffixes=("", "_r")
        )
        parts = [mapped.assign(unmapped=False)]
        if len(rk_unmapped):
            unmapped = _unmapped(ik, rk_unmapped, pairs, on, recs["buyer"])
            parts.append(unmapped.assign(unmapped=True))
        c = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        if rule == "invoice_tail":
            # A tail joins a long number to its short form only: two different long numbers
            # sharing their last 8 digits are two invoices.
            both_long = c["long"].astype(bool) & c["long_r"].astype(bool)
            c = c.loc[c["key"].ne(c["key_r"]) & ~both_long]
        # A live record mapped to the item's customer beats one whose buyer nobody could map.
        sure = np.zeros(len(items), dtype=bool)
        mapped_live = (
            ~c["unmapped"].astype(bool).to_numpy() & ~dead[c["rpos"].to_numpy(dtype=np.int64)]
        )
        sure[c.loc[mapped_live, "ipos"].to_numpy(dtype=np.int64)] = True
        take(c.loc[~(c["unmapped"].astype(bool) & sure[c["ipos"].to_numpy(dtype=np.int64)])], rule)

    keyed = np.zeros(len(recs), dtype=bool)  # by rpos: names an invoice / already matched
    keyed[rkeys["rpos"].to_numpy()] = True
    found, unsure = _by_order(items.loc[left], recs.loc[~keyed], tolerance)
    take(found, "order_no")
    left[unsure["ipos"].to_numpy(dtype=np.int64)] = False
    keyed[unsure["rpos"].to_numpy(dtype=np.int64)] = True
    for d in done:
        keyed[d["rpos"].to_numpy(dtype=np.int64)] = True
    left &= ~waiting  # a rejected invoice waits for its resubmission by number, not by amount
    found, ambiguous = _by_amount(items.loc[left], recs.loc[~keyed], tolerance, window_days)
    take(found, "amount_date")
    ambiguous = pd.concat([unsure, ambiguous], ignore_index=True)
    out = (
        pd.concat(done, ignore_index=True)
        if done
        else pd.DataFrame({"ipos": [], "rpos": [], "unmapped": [], "rule": []})
    )
    out = out.drop_duplicates(["ipos", "rpos"], keep="first").reset_index(drop=True)
    factor = out["unmapped"].astype(bool).map({True: UNMAPPED_FACTOR, False: 1.0})
    out["confidence"] = (out["rule"].map(CONFIDENCE) * factor).astype(float)
    out[["ipos", "rpos"]] = out[["ipos", "rpos"]].astype("int64")
    return out[CAND], ambiguous


def _unmapped(
    ik: pd.DataFrame, rk: pd.DataFrame, pairs: pd.DataFrame, on: str, buyer: pd.Series
) -> pd.DataFrame:
    if not len(rk):
        return pd.DataFrame(columns=["ipos", "rpos", "key", "key_r", "long", "long_r"])
    c = ik.drop(columns=["jkey", "jtail"]).merge(
        rk.drop(columns=["customer", "jkey", "jtail"]), on=on, suffixes=("", "_r")
    )
    c = c.merge(pairs, on=["customer", "portal"])
    # Unique: the number in that record points at one item of one customer, nothing else.
    n = c.groupby(["rpos", on if on == "key" else "key_r"])["ipos"].transform("nunique")
    c = c.loc[n.eq(1)]
    if "name" not in c or not len(c):
        return c
    # ... and the buyer the portal shows could be that customer (another buyer who typed our
    # number is a decoy): one name contains the other once brackets, spaces and 市 are dropped.
    name = _norm_name(c["name"].fillna(""))
    shown = _norm_name(
        pd.Series(buyer.to_numpy(dtype=object)[c["rpos"].to_numpy(dtype=np.int64)], index=c.index)
    )
    fits = [not a or not b or a in b or b in a for a, b in zip(name, shown)]
    return c.loc[np.asarray(fits, dtype=bool)]


def map_buyers(recs: pd.DataFrame, cu: pd.DataFrame, pairs: pd.DataFrame) -> pd.Series:
    """The records' ``customer``, with buyers nobody mapped filled in where the name the portal
    shows is a customer's name up to spaces, full- / half-width forms and punctuation
    (brackets included: ``某医院（总院）`` is ``某医院 (总院)``) — when it spells exactly one
    customer, or exactly one of those on the record's portal.  Any other difference (a suffix
    such as ``东院``) is another buyer until someone maps it."""
    cust = recs["customer"]
    blank = (cust.eq("") & recs["buyer"].ne("")).to_numpy()
    if not blank.any() or not len(cu):
        return cust
    names = pd.DataFrame({"customer": cu["customer"], "key": _spelling(cu["name"])})
    names = names.loc[names["key"].ne("")].drop_duplicates()
    r = pd.DataFrame(
        {
            "rpos": np.flatnonzero(blank),
            "key": _spelling(recs["buyer"].loc[blank]).to_numpy(),
            "portal": recs["portal"].to_numpy()[blank],
        }
    )
    c = r.merge(names, on="key")
    n = c.groupby("rpos")["customer"].transform("nunique")
    many = c.loc[n.gt(1)].merge(pairs[["customer", "portal"]], on=["customer", "portal"])
    many = many.loc[many.groupby("rpos")["customer"].transform("nunique").eq(1)]
    got = pd.concat([c.loc[n.eq(1)], many]).drop_duplicates("rpos")
    out = cust.to_numpy(dtype=object).copy()
    out[got["rpos"].to_numpy(dtype=np.int64)] = got["customer"].to_numpy(dtype=object)
    return pd.Series(out, index=cust.index, dtype=object)


def _spelling(s: pd.Series) -> pd.Series:
    """A name without what spelling varies: NFKC (full-width → half-width), upper case, and only
    Han characters, digits and letters kept."""
    a = pc.utf8_normalize(pa.array(s.astype(str).to_numpy(dtype=object), type=pa.string()), "NFKC")
    a = pc.replace_substring_regex(pc.utf8_upper(a), r"[^\p{Han}0-9A-Z]", "")
    return pd.Series(np.asarray(a.to_numpy(zero_copy_only=False), dtype=object), index=s.index)


def _norm_name(s: pd.Series) -> pd.Series:
    a = pc.utf8_normalize(pa.array(s.astype(str).to_numpy(dtype=object), type=pa.string()), "NFKC")
    a = pc.replace_substring_regex(pc.utf8_upper(a), r"[^\p{Han}0-9A-Z]|市", "")
    return pd.Series(np.asarray(a.to_numpy(zero_copy_only=False), dtype=object), index=s.index)


def _norm_id(s: pd.Series) -> pd.Series:
    a = pc.utf8_upper(
        pc.utf8_normalize(pa.array(s.to_numpy(dtype=object), type=pa.string()), "NFKC")
    )
    a = pc.replace_substring_regex(a, "[^0-9A-Z]", "")
    return pd.Series(np.asarray(a.to_numpy(zero_copy_only=False), dtype=object), index=s.index)


def _core(key: pd.Series) -> pd.Series:
    """The trailing digits without leading zeros (the key itself when it has none): a join key
    under which ``HTDD000012345`` and ``DD000012345`` meet."""
    core = key.str.extract(r"([0-9]+)$", expand=False).fillna("").str.lstrip("0")
    return core.where(core.ne(""), key)


def _by_order(
    items: pd.DataFrame, recs: pd.DataFrame, tol: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(matches, ambiguous)`` for records without an invoice number yet, found by the order /
    contract number (ZUONR); both as ipos, rpos."""
    empty = pd.DataFrame({"ipos": [], "rpos": []}, dtype="int64")
    r = recs.loc[recs["customer"].ne("")]
    r = r.loc[r["order_no"].ne("") | r["contract_no"].ne("")]
    if not len(r) or not len(items):
        return empty, empty
    rk = pd.concat(
        [
            pd.DataFrame({"rpos": r["rpos"], "customer": r["customer"], "okey": _norm_id(r[c])})
            for c in ("order_no", "contract_no")
        ],
        ignore_index=True,
    )
    rk = rk.loc[rk["okey"].ne("")]
    ik = pd.DataFrame(
        {
            "ipos": items["ipos"],
            "customer": items["customer"],
            "amount": items["amount"],
            "okey": _norm_id(items["assignment"]),
        }
    )
    ik = ik.loc[ik["okey"].ne("")]
    c = ik.assign(core=_core(ik["okey"])).merge(
        rk.assign(core=_core(rk["okey"])), on=["customer", "core"], suffixes=("", "_r")
    )
    same = [a.endswith(b) or b.endswith(a) for a, b in zip(c["okey"], c["okey_r"])]
    c = c.loc[np.asarray(same, dtype=bool), ["ipos", "rpos", "amount"]].drop_duplicates(
        ["ipos", "rpos"]
    )
    if not len(c):
        return empty, empty
    by = recs.set_index("rpos")
    dead = c["rpos"].map(by["status"]).map(_DEAD).fillna(0)
    c = c.loc[dead.eq(dead.groupby(c["ipos"]).transform("min"))]
    n = c.groupby("ipos")["rpos"].transform("nunique")
    many = c.loc[n.gt(1)]
    ramt = many["rpos"].map(by["amount"]).astype("Int64")
    fit = many.loc[(ramt - many["amount"]).abs().le(tol).fillna(False).to_numpy(dtype=bool)]
    one = fit.groupby("ipos")["rpos"].transform("nunique").eq(1) & fit.groupby("rpos")[
        "ipos"
    ].transform("nunique").eq(1)
    found = pd.concat([c.loc[n.eq(1)], fit.loc[one]], ignore_index=True)[["ipos", "rpos"]]
    unsure = many.loc[~many["ipos"].isin(found["ipos"]), ["ipos", "rpos"]]
    return found.astype("int64"), unsure.astype("int64").reset_index(drop=True)


def _by_amount(
    items: pd.DataFrame, recs: pd.DataFrame, tol: int, window: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = recs.loc[
        recs["customer"].ne("") & recs["amount"].notna(),
        ["rpos", "customer", "currency", "amount", "status_date"],
    ]
    r = r.assign(amount=r["amount"].astype("int64"))
    i = items[["ipos", "customer", "currency", "amount", "document_date"]]
    if tol <= 50:
        # Join on the amount itself, once per tolerated offset: no customer-wide cross product.
        off = np.arange(-tol, tol + 1)
        r = r.loc[r.index.repeat(len(off))].assign(
            amount=lambda d: d["amount"] + np.tile(off, len(r))
        )
        c = i.merge(r, on=["customer", "currency", "amount"])
    else:
        c = i.merge(r, on=["customer", "currency"], suffixes=("", "_r"))
        c = c.loc[(c["amount"] - c["amount_r"]).abs().le(tol)]
    days = (c["status_date"] - c["document_date"]).dt.days.abs()
    c = c.loc[days.le(window) | c["status_date"].isna(), ["ipos", "rpos"]].drop_duplicates()
    per_item = c.groupby("ipos")["rpos"].transform("nunique")
    per_rec = c.groupby("rpos")["ipos"].transform("nunique")
    one = per_item.eq(1) & per_rec.eq(1)
    return c.loc[one], c.loc[~one]
