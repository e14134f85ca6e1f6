"""A tiny hand-made world with the SAP attributes of WORLD.md, for quick SAP tests.

Each row is a case the connector must get right: a 20-digit 数电 number in the long reference,
a JPY invoice, a partial-payment credit with REBZG, a credit memo without reference (due on its
baseline date), a noted item, a down payment (special G/L A), an item cleared after the key date,
a dispute block, dunning, a customer and an item text with characters outside the BMP.  ``extra`` adds seeded filler customers to exercise key-range partitions.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date

import pandas as pd

AS_OF = date(2026, 11, 23)
_COLS = [
    "BUKRS",
    "KUNNR",
    "UMSKS",
    "UMSKZ",
    "AUGDT",
    "AUGBL",
    "ZUONR",
    "GJAHR",
    "BELNR",
    "BUZEI",
    "BUDAT",
    "BLDAT",
    "CPUDT",
    "WAERS",
    "HWAER",
    "XBLNR",
    "XBLNR_LONG",
    "BLART",
    "MONAT",
    "BSCHL",
    "SHKZG",
    "GSBER",
    "MWSKZ",
    "DMBTR",
    "WRBTR",
    "SGTXT",
    "ZFBDT",
    "ZTERM",
    "ZBD1T",
    "ZBD2T",
    "ZBD3T",
    "ZLSPR",
    "REBZG",
    "REBZJ",
    "REBZZ",
    "MANSP",
    "MANST",
    "MADAT",
    "BSTAT",
    "HKONT",
    "VBELN",
]


def _item(
    bukrs,
    kunnr,
    belnr,
    budat,
    amount,
    shkzg="S",
    *,
    blart="RV",
    cur="CNY",
    augdt=None,
    augbl="",
    xblnr="",
    long="",
    zbd3t=30,
    zbd1t=0,
    zbd2t=0,
    zfbdt=None,
    rebzg="",
    umskz="",
    zlspr="",
    mansp="",
    manst=0,
    bstat="",
    text="",
    zuonr="",
    buzei="001",
    local=None,
):
    b = pd.Timestamp(budat)
    return dict(
        BUKRS=bukrs,
        KUNNR=kunnr,
        UMSKS="A" if umskz else "",
        UMSKZ=umskz,
        AUGDT=pd.Timestamp(augdt) if augdt else pd.NaT,
        AUGBL=augbl,
        ZUONR=zuonr,
        GJAHR=str(b.year),
        BELNR=belnr,
        BUZEI=buzei,
        BUDAT=b,
        BLDAT=b - pd.Timedelta(days=1),
        CPUDT=b,
        WAERS=cur,
        HWAER="JPY" if bukrs == "3000" else "CNY",
        XBLNR=xblnr,
        XBLNR_LONG=long,
        BLART=blart,
        MONAT=f"{b.month:02d}",
        BSCHL="01" if shkzg == "S" else "15",
        SHKZG=shkzg,
        GSBER="",
        MWSKZ="J1" if blart in ("RV", "DR") else "",
        DMBTR=amount if local is None else local,
        WRBTR=amount,
        SGTXT=text,
        ZFBDT=pd.Timestamp(zfbdt) if zfbdt else (b if zfbdt is None else pd.NaT),
        ZTERM=f"N{zbd3t:03d}" if zbd3t else "",
        ZBD1T=zbd1t,
        ZBD2T=zbd2t,
        ZBD3T=zbd3t,
        ZLSPR=zlspr,
        REBZG=rebzg,
        REBZJ=str(b.year) if rebzg and rebzg != "V" else "",
        REBZZ="001" if rebzg and rebzg != "V" else "",
        MANSP=mansp,
        MANST=manst,
        MADAT=pd.Timestamp("2026-11-01") if manst else pd.NaT,
        BSTAT=bstat,
        HKONT="0011310000",
        VBELN="",
    )


@dataclass(frozen=True)
class TinyWorld:
    as_of: date
    company_codes: pd.DataFrame
    currency_decimals: dict
    kna1: pd.DataFrame
    knb1: pd.DataFrame
    knkk: pd.DataFrame
    full_ledger: pd.DataFrame = field(repr=False)
    portal_customers: pd.DataFrame = field(repr=False)
    knvk: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)
    adr6: pd.DataFrame = field(repr=False, default_factory=pd.DataFrame)

    @property
    def ledger(self) -> pd.DataFrame:
        led = self.full_ledger[self.full_ledger["BUDAT"] <= pd.Timestamp(self.as_of)].copy()
        later = led["AUGDT"] > pd.Timestamp(self.as_of)
        led.loc[later, "AUGDT"] = pd.NaT
        led.loc[later, "AUGBL"] = ""
        return led.reset_index(drop=True)

    def at(self, d: date) -> TinyWorld:
        return replace(self, as_of=d)


def tiny_world(as_of: date = AS_OF, extra: int = 0, seed: int = 7) -> TinyWorld:
    c = ["0000001000", "0000001001", "0000001002", "0000001003", "0000001004"]
    rows = [
        _item(
            "1000",
            c[0],
            "0090000001",
            "2026-09-01",
            1234567,
            xblnr="12345678",
            zbd3t=60,
            zuonr="HT-2026-001",
            text="设备款",
            manst=1,
        ),
        _item(
            "1000",
            c[0],
            "0090000002",
            "2026-08-15",
            500000,
            blart="DR",
            xblnr="00123456",
            long="26442000000000123456",
            augdt="2026-11-01",
            augbl="1400000001",
        ),
        _item(
            "1000",
            c[0],
            "1400000001",
            "2026-11-01",
            500000,
            "H",
            blart="DZ",
            augdt="2026-11-01",
            augbl="1400000001",
            zbd3t=0,
        ),
        _item(
            "1000",
            c[1],
            "0090000003",
            "2026-06-30",
            8800000,
            xblnr="87654321",
            zbd3t=90,
            zlspr="R",
            mansp="A",
            manst=2,
        ),
        _item(
            "1000",
            c[1],
            "1400000002",
            "2026-10-10",
            3000000,
            "H",
            blart="DZ",
            rebzg="0090000003",
            zbd3t=0,
        ),
        _item("1000", c[1], "0090000004", "2026-10-20", 99900, blart="DR", bstat="S"),
        _item(
            "3000",
            c[2],
            "0090000005",
            "2026-10-05",
            1000000,
            cur="JPY",
            xblnr="JP-0001",
            zbd1t=10,
            zbd2t=30,
            zbd3t=0,
        ),
        _item("1000", c[2], "0190000001", "2026-11-05", 120000, "H", blart="DG", zbd3t=30),
        _item(
            "1000",
            c[2],
            "0090000006",
            "2026-10-01",
            333333,
            augdt="2026-11-20",
            augbl="1400000003",
            long="26442000000000999999",
            xblnr="00999999",
        ),
        _item(
            "1000",
            c[2],
            "1400000003",
            "2026-11-20",
            333333,
            "H",
            blart="DZ",
            augdt="2026-11-20",
            augbl="1400000003",
            zbd3t=0,
        ),
        _item(
            "1000", c[2], "1400000004", "2026-09-09", 200000, "H", blart="DZ", umskz="A", zbd3t=0
        ),
        _item(
            "1000",
            c[0],
            "0090000007",
            "2026-11-22",
            7700,
            blart="DR",
            zfbdt="",
            zbd3t=30,
            xblnr="DEMO'Q",
            buzei="002",
        ),
        # characters outside the BMP (𠮷, 𩸽): two positions each in an ABAP CHAR field
        _item(
            "1000",
            c[4],
            "0090000008",
            "2026-10-12",
            4560000,
            xblnr="44556677",
            zbd1t=10,
            zbd2t=20,
            zbd3t=45,
            zuonr="𠮷HT-2026-08",
            text="𠮷城县中医院 CT设备 𩸽",
        ),
    ]
    kna1 = [
        (c[0], "上海市财政局", "", "上海", "31", "GOVT", "11310000002421387X"),
        (c[1], "复旦大学附属中山医院", "财务处", "上海", "31", "HOSP", "12310000425006117P"),
        (c[2], "东京精密机械株式会社", "", "东京", "", "COMM", ""),
        (c[3], "北京大学", "", "北京", "11", "ACAD", "12100000400002259P"),
        (c[4], "𠮷城县中医院", "财务处", "𠮷城", "44", "HOSP", "12441200MB2C45678Y"),
    ]
    knb1 = [
        (c[0], "1000", "C1"),
        (c[1], "1000", "C2"),
        (c[2], "1000", "C1"),
        (c[2], "3000", "C3"),
        (c[3], "2000", "C2"),
        (c[4], "1000", "C2"),
    ]
    knkk = [
        (c[0], 500000000, 1734567, 0, "001", "", "A"),
        (c[1], 2000000000, 8800000, 100, "002", "X", "B"),
    ]
    # contact data: KNA1 switchboard and address number; KNVK persons; ADR6 e-mails
    phones = {
        c[0]: ("021-63201234", "0000004711"),
        c[1]: ("021-64041990", "0000004712"),
        c[2]: ("+81-3-1234-5678", "0000004713"),
        c[4]: ("0762-2345678", "0000004715"),
    }
    knvk = pd.DataFrame(
        [
            ("0000000011", c[0], "", "李强", "0002", "13900001111", "0000004711", "0000090011"),
            (
                "0000000012",
                c[0],
                "丽",
                "王",
                "0003",
                "021-63201234-808",
                "0000004711",
                "0000090012",
            ),
            ("0000000021", c[2], "Hanako", "Suzuki", "0003", "", "0000004713", "0000090021"),
            ("0000000031", c[4], "", "𠮷祥", "0003", "13800138000", "0000004715", "0000090031"),
        ],
        columns=["PARNR", "KUNNR", "NAMEV", "NAME1", "ABTNR", "TELF1", "ADRND", "PRSNR"],
    )
    adr6 = pd.DataFrame(
        [
            ("0000004711", "", "001", "X", "", "cwc@czj.sh.example"),
            ("0000004711", "0000090012", "001", "X", "", "wangli@czj.sh.example"),
            ("0000004712", "", "001", "X", "X", "old@zs-hospital.sh.example"),
            ("0000004712", "", "002", "", "", "cwc@zs-hospital.sh.example"),
            ("0000004715", "", "001", "X", "", "caiwu@jcx.example"),
        ],
        columns=["ADDRNUMBER", "PERSNUMBER", "CONSNUMBER", "FLGDEFAULT", "FLG_NOUSE", "SMTP_ADDR"],
    )
    rng = random.Random(seed)
    for i in range(extra):
        k = f"{2000 + i * 7:010d}"
        bukrs = rng.choice(["1000", "2000"])
        kna1.append(
            (k, f"客户{i}", "", "广州", "44", rng.choice(["GOVT", "HOSP", "ACAD", "COMM"]), "")
        )
        knb1.append((k, bukrs, f"C{1 + i % 3}"))
        for j in range(rng.randint(0, 4)):
            d = date(2026, rng.randint(5, 11), rng.randint(1, 20))
            cleared = rng.random() < 0.4
            rows.append(
                _item(
                    bukrs,
                    k,
                    f"{91000000 + i * 10 + j:010d}",
                    d.isoformat(),
                    rng.randint(100, 10**8),
                    xblnr=f"{rng.randint(0, 10**8):08d}",
                    augdt="2026-11-21" if cleared else None,
                    augbl="1500000001" if cleared else "",
                    zbd3t=rng.choice([30, 60, 90]),
                )
            )
    ledger = pd.DataFrame(rows, columns=_COLS)
    for col in ("DMBTR", "WRBTR", "ZBD1T", "ZBD2T", "ZBD3T", "MANST"):
        ledger[col] = ledger[col].astype("int64")
    cc = pd.DataFrame(
        {
            "BUKRS": ["1000", "2000", "3000"],
            "BUTXT": ["上海", "北京", "东京"],
            "WAERS": ["CNY", "CNY", "JPY"],
            "KKBER": ["1000", "1000", "3000"],
        }
    )
    return TinyWorld(
        as_of=as_of,
        company_codes=cc,
        currency_decimals={"JPY": 0, "KRW": 0},
        kna1=pd.DataFrame(
            kna1, columns=["KUNNR", "NAME1", "NAME2", "ORT01", "REGIO", "BRSCH", "STCEG"]
        ).assign(
            LAND1="CN",
            KTOKD="KUNA",
            TELF1=lambda k: k["KUNNR"].map(lambda x: phones.get(x, ("", ""))[0]),
            ADRNR=lambda k: k["KUNNR"].map(lambda x: phones.get(x, ("", ""))[1]),
        ),
        knb1=pd.DataFrame(knb1, columns=["KUNNR", "BUKRS", "BUSAB"]).assign(
            ZTERM="N030", AKONT="0011310000", SPERR="", LOEVM="", ERDAT=pd.Timestamp("2024-01-01")
        ),
        knkk=pd.DataFrame(
            knkk, columns=["KUNNR", "KLIMK", "SKFOR", "SSOBL", "CTLPC", "CRBLB", "DBRTG"]
        ).assign(KKBER="1000"),
        full_ledger=ledger,
        knvk=knvk,
        adr6=adr6,
        portal_customers=pd.DataFrame(
            {
                "portal": ["gov-zj", "hosp-sh", "uni-bj"],
                "customer": [c[0], c[1], c[3]],
                "buyer": ["", "", ""],
            }
        ),
    )
