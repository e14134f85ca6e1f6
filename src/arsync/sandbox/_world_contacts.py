"""Contact data of the sandbox world: KNA1-TELF1 / ADRNR, KNVK contact persons, ADR6 e-mails.

Drawn on its own RNG stream ``(seed, 0xC0DE)`` from the customer master alone, so adding it
changed no other draw of the world.  E-mail addresses live under the reserved ``.example``
top-level domain (RFC 2606): nothing the sandbox hands out can reach a real mailbox.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from arsync.sandbox import _names as N

#: telephone area codes (区号) of the world's cities
AREA = {
    "上海": "021", "北京": "010", "广州": "020", "深圳": "0755", "佛山": "0757", "东莞": "0769",
    "珠海": "0756", "汕头": "0754", "中山": "0760", "惠州": "0752", "江门": "0750",
    "湛江": "0759", "杭州": "0571", "宁波": "0574", "温州": "0577", "嘉兴": "0573",
    "湖州": "0572", "绍兴": "0575", "金华": "0579", "台州": "0576", "南京": "025",
    "苏州": "0512", "无锡": "0510", "常州": "0519", "南通": "0513", "徐州": "0516",
    "济南": "0531", "青岛": "0532", "烟台": "0535", "武汉": "027", "长沙": "0731",
    "成都": "028", "郑州": "0371", "福州": "0591", "厦门": "0592", "合肥": "0551",
    "西安": "029", "沈阳": "024", "大连": "0411", "天津": "022", "重庆": "023",
    "石家庄": "0311", "哈尔滨": "0451", "长春": "0431", "昆明": "0871", "南昌": "0791",
    "南宁": "0771", "太原": "0351",
}  # fmt: skip
#: pinyin of N.SURNAMES, in its order
SURNAME_PY = [
    "zhang",
    "wang",
    "li",
    "zhao",
    "liu",
    "chen",
    "yang",
    "huang",
    "zhou",
    "wu",
    "xu",
    "sun",
    "hu",
    "zhu",
    "gao",
    "lin",
    "he",
    "guo",
    "ma",
    "luo",
]
GIVEN = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"), ("丽", "li"),
    ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"), ("勇", "yong"),
    ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"), ("明", "ming"),
    ("超", "chao"), ("秀英", "xiuying"), ("霞", "xia"), ("平", "ping"), ("晓燕", "xiaoyan"),
    ("建华", "jianhua"), ("海燕", "haiyan"), ("志强", "zhiqiang"),
)  # fmt: skip
#: (KNVK-ABTNR, KNVK-ABTPA) per segment: the collections contact sits in finance
FINANCE = (("0003", "财务处"), ("0003", "财务科"), ("0003", "计划财务处"), ("0003", "财务部"))
OTHER = (("0002", "采购中心"), ("0002", "设备处"), ("0002", "资产管理处"), ("0002", "采购部"))
MAILBOX = ("caiwu", "cwc", "finance", "ap", "cwk")


def _digits(rng: np.random.Generator, n: int, k: int, first: str = "2345678") -> np.ndarray:
    lead = np.array(list(first), dtype=object)[rng.integers(0, len(first), n)]
    rest = rng.integers(0, 10 ** (k - 1), n).astype("U") if k > 1 else np.full(n, "")
    return (lead + np.char.zfill(rest, k - 1).astype(object)).astype(object)


def contacts(seed: int, kna1: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """``(kna1 + TELF1, ADRNR; knvk; adr6)`` for the customers of ``kna1`` (positionally)."""
    rng = np.random.default_rng([seed, 0xC0DE])
    n = len(kna1)
    kunnr = kna1["KUNNR"].to_numpy(dtype=object)
    city = kna1["ORT01"].str.removesuffix("市").to_numpy(dtype=object)
    area = np.array([AREA.get(c, "021") for c in city], dtype=object)
    switchboard = area + "-" + _digits(rng, n, 8)
    has_phone = rng.random(n) < 0.95
    adrnr = np.array([f"{9000100000 + i:010d}" for i in range(n)], dtype=object)
    k = kna1.assign(TELF1=np.where(has_phone, switchboard, ""), ADRNR=adrnr)

    per = rng.choice(4, n, p=[0.10, 0.55, 0.25, 0.10])  # contact persons per customer
    owner = np.repeat(np.arange(n), per)
    m = len(owner)
    first = np.r_[True, owner[1:] != owner[:-1]] if m else np.zeros(0, bool)
    sur = rng.integers(0, len(N.SURNAMES), m)
    giv = rng.integers(0, len(GIVEN), m)
    name = [N.SURNAMES[s] + GIVEN[g][0] for s, g in zip(sur, giv)]
    dept = [
        (FINANCE if f else OTHER)[j]
        for f, j in zip(first, rng.integers(0, 4, m))  # the first contact is in finance
    ]
    kind = rng.choice(3, m, p=[0.7, 0.2, 0.1])  # mobile, landline with extension, none
    mobile = "1" + _digits(rng, m, 10, "356789")
    ext = area[owner] + "-" + _digits(rng, m, 8) + "-" + _digits(rng, m, 3, "123456789")
    ext = np.array([e[:16] for e in ext], dtype=object)  # TELF1 is CHAR 16: 0755-… keeps 2
    tel = np.where(kind == 0, mobile, np.where(kind == 1, ext, "")).astype(object)
    parnr = np.arange(1, m + 1)
    knvk = pd.DataFrame(
        {
            "PARNR": [f"{p:010d}" for p in parnr],
            "KUNNR": kunnr[owner],
            "NAMEV": "",  # Chinese masters keep the full name in NAME1
            "NAME1": name,
            "ABTNR": [d[0] for d in dept],
            "ABTPA": [d[1] for d in dept],
            "TELF1": tel,
            "ADRND": adrnr[owner],
            "PRSNR": [f"{9100000000 + p:010d}" for p in parnr],
        }
    )

    domain = np.char.add(kunnr.astype("U10"), ".arsync.example").astype(object)
    company = rng.random(n) < 0.6
    box = np.array(MAILBOX, dtype=object)[rng.integers(0, len(MAILBOX), n)]
    personal = rng.random(m) < 0.7
    py = [SURNAME_PY[s] + GIVEN[g][1] for s, g in zip(sur, giv)]
    adr6 = pd.DataFrame(
        {
            "ADDRNUMBER": np.r_[adrnr[company], adrnr[owner][personal]],
            "PERSNUMBER": np.r_[
                np.full(int(company.sum()), "", dtype=object),
                knvk["PRSNR"].to_numpy(dtype=object)[personal],
            ],
            "CONSNUMBER": "001",
            "FLGDEFAULT": "X",
            "SMTP_ADDR": np.r_[
                box[company] + "@" + domain[company],
                np.array(py, dtype=object)[personal] + "@" + domain[owner][personal],
            ],
        }
    ).astype({"CONSNUMBER": object, "FLGDEFAULT": object})
    return k, knvk, adr6
