"""Chinese customer names, cities and tax ids for the sandbox world.

Names are built from pools (city x department, city x hospital pattern, real universities,
city x brand x industry) so that even the large world (20k customers) gets unique,
realistic names without a per-customer Python loop.
"""

from __future__ import annotations

import numpy as np


def _words(text: str) -> list[str]:
    return text.split()


# (province, city, SAP region code, admin division code); municipalities have province == city.
CITIES = [
    ("上海", "上海", "020", "310100"),
    ("北京", "北京", "010", "110100"),
    ("广东", "广州", "190", "440100"),
    ("广东", "深圳", "190", "440300"),
    ("广东", "佛山", "190", "440600"),
    ("广东", "东莞", "190", "441900"),
    ("广东", "珠海", "190", "440400"),
    ("广东", "汕头", "190", "440500"),
    ("广东", "中山", "190", "442000"),
    ("广东", "惠州", "190", "441300"),
    ("广东", "江门", "190", "440700"),
    ("广东", "湛江", "190", "440800"),
    ("浙江", "杭州", "110", "330100"),
    ("浙江", "宁波", "110", "330200"),
    ("浙江", "温州", "110", "330300"),
    ("浙江", "嘉兴", "110", "330400"),
    ("浙江", "湖州", "110", "330500"),
    ("浙江", "绍兴", "110", "330600"),
    ("浙江", "金华", "110", "330700"),
    ("浙江", "台州", "110", "331000"),
    ("江苏", "南京", "100", "320100"),
    ("江苏", "苏州", "100", "320500"),
    ("江苏", "无锡", "100", "320200"),
    ("江苏", "常州", "100", "320400"),
    ("江苏", "南通", "100", "320600"),
    ("江苏", "徐州", "100", "320300"),
    ("山东", "济南", "150", "370100"),
    ("山东", "青岛", "150", "370200"),
    ("山东", "烟台", "150", "370600"),
    ("湖北", "武汉", "170", "420100"),
    ("湖南", "长沙", "180", "430100"),
    ("四川", "成都", "220", "510100"),
    ("河南", "郑州", "160", "410100"),
    ("福建", "福州", "130", "350100"),
    ("福建", "厦门", "130", "350200"),
    ("安徽", "合肥", "120", "340100"),
    ("陕西", "西安", "260", "610100"),
    ("辽宁", "沈阳", "070", "210100"),
    ("辽宁", "大连", "070", "210200"),
    ("天津", "天津", "030", "120100"),
    ("重庆", "重庆", "310", "500100"),
    ("河北", "石家庄", "060", "130100"),
    ("黑龙江", "哈尔滨", "090", "230100"),
    ("吉林", "长春", "080", "220100"),
    ("云南", "昆明", "240", "530100"),
    ("江西", "南昌", "140", "360100"),
    ("广西", "南宁", "200", "450100"),
    ("山西", "太原", "050", "140100"),
]
NORTH = {"北京", "天津", "河北", "山西", "辽宁", "吉林", "黑龙江", "山东", "河南", "陕西"}

GOV_DEPTS = _words(
    "财政局 教育局 卫生健康委员会 公安局 自然资源和规划局 生态环境局 交通运输局 水务局 "
    "农业农村局 人力资源和社会保障局 民政局 司法局 科学技术局 城市管理局 住房和城乡建设局 "
    "商务局 文化广电旅游局 应急管理局 审计局 统计局 市场监督管理局 医疗保障局 "
    "机关事务管理局 疾病预防控制中心 政务服务数据管理局 人民检察院 中级人民法院 图书馆 "
    "档案馆 气象局"
)
PROV_DEPTS = _words(
    "财政厅 教育厅 卫生健康委员会 公安厅 自然资源厅 生态环境厅 交通运输厅 水利厅 农业农村厅 "
    "人力资源和社会保障厅 民政厅 司法厅 科学技术厅 工业和信息化厅 住房和城乡建设厅 商务厅 "
    "文化和旅游厅 应急管理厅 审计厅 市场监督管理局 医疗保障局 机关事务管理局 "
    "疾病预防控制中心"
)
GOV_UNITS = ["", "办公室", "财务处", "信息中心", "采购中心", "后勤服务中心"]

_NUM = "一二三四五六七八九十"
HOSP_PATTERNS = [f"第{c}人民医院" for c in _NUM] + _words(
    "中心医院 中医医院 妇幼保健院 儿童医院 肿瘤医院 口腔医院 眼科医院 精神卫生中心 "
    "公共卫生临床中心 胸科医院 中西医结合医院 急救中心 血液中心 人民医院"
)
HOSP_UNITS = [
    "",
    "设备科",
    "药剂科",
    "检验科",
    "总务科",
    "信息科",
    "财务科",
    "采购中心",
    "医学装备部",
]

# (name, city) — real universities and institutes.
UNIVERSITIES = [
    ("复旦大学", "上海"),
    ("上海交通大学", "上海"),
    ("同济大学", "上海"),
    ("华东师范大学", "上海"),
    ("上海大学", "上海"),
    ("华东理工大学", "上海"),
    ("上海中医药大学", "上海"),
    ("东华大学", "上海"),
    ("上海财经大学", "上海"),
    ("上海理工大学", "上海"),
    ("上海师范大学", "上海"),
    ("上海科技大学", "上海"),
    ("北京大学", "北京"),
    ("清华大学", "北京"),
    ("中国人民大学", "北京"),
    ("北京师范大学", "北京"),
    ("北京航空航天大学", "北京"),
    ("北京理工大学", "北京"),
    ("中国农业大学", "北京"),
    ("北京协和医学院", "北京"),
    ("首都医科大学", "北京"),
    ("北京科技大学", "北京"),
    ("北京化工大学", "北京"),
    ("北京交通大学", "北京"),
    ("北京工业大学", "北京"),
    ("北京林业大学", "北京"),
    ("中山大学", "广州"),
    ("华南理工大学", "广州"),
    ("暨南大学", "广州"),
    ("南方医科大学", "广州"),
    ("南方科技大学", "深圳"),
    ("深圳大学", "深圳"),
    ("浙江大学", "杭州"),
    ("浙江工业大学", "杭州"),
    ("杭州电子科技大学", "杭州"),
    ("宁波大学", "宁波"),
    ("温州医科大学", "温州"),
    ("南京大学", "南京"),
    ("东南大学", "南京"),
    ("南京医科大学", "南京"),
    ("苏州大学", "苏州"),
    ("江南大学", "无锡"),
    ("山东大学", "济南"),
    ("中国海洋大学", "青岛"),
    ("武汉大学", "武汉"),
    ("华中科技大学", "武汉"),
    ("中南大学", "长沙"),
    ("湖南大学", "长沙"),
    ("四川大学", "成都"),
    ("电子科技大学", "成都"),
    ("郑州大学", "郑州"),
    ("厦门大学", "厦门"),
    ("福州大学", "福州"),
    ("中国科学技术大学", "合肥"),
    ("西安交通大学", "西安"),
    ("西北工业大学", "西安"),
    ("大连理工大学", "大连"),
    ("东北大学", "沈阳"),
    ("南开大学", "天津"),
    ("天津大学", "天津"),
    ("重庆大学", "重庆"),
    ("哈尔滨工业大学", "哈尔滨"),
    ("吉林大学", "长春"),
    ("云南大学", "昆明"),
    ("南昌大学", "南昌"),
    ("广西大学", "南宁"),
    ("太原理工大学", "太原"),
    ("河北医科大学", "石家庄"),
    ("中国科学院上海有机化学研究所", "上海"),
    ("中国科学院上海药物研究所", "上海"),
    ("中国科学院化学研究所", "北京"),
    ("中国科学院物理研究所", "北京"),
    ("中国科学院生物物理研究所", "北京"),
    ("中国科学院广州生物医药与健康研究院", "广州"),
    ("中国科学院大连化学物理研究所", "大连"),
    ("中国科学院宁波材料技术与工程研究所", "宁波"),
]
ACAD_UNITS = _words(
    "化学系 物理学院 生命科学学院 医学院 材料科学与工程学院 计算机科学技术学院 电子工程系 "
    "环境科学与工程学院 药学院 公共卫生学院 资产管理处 实验室与设备管理处 图书馆 信息化办公室 "
    "基础医学院 数学科学学院 机械工程学院 土木工程学院 经济学院 管理学院 分析测试中心"
)

SURNAMES = _words("张 王 李 赵 刘 陈 杨 黄 周 吴 徐 孙 胡 朱 高 林 何 郭 马 罗")
#: NAME2 of academic customers: a school, or one research group in it (labs buy on their own grants).
ACAD_UNITS = ACAD_UNITS + [f"{u}{s}老师课题组" for u in ACAD_UNITS for s in SURNAMES]

BRANDS = _words(
    "华信 恒达 瑞康 博远 天成 中科 鼎盛 新元 嘉和 泰和 联创 汇通 明德 正泰 万邦 长青 海纳 "
    "金桥 同创 远航 安捷 宏图 盛世 卓越 锦程 启明 华康 众诚 德润 星河"
)
INDUSTRIES = _words("医疗器械 生物科技 信息技术 科技 实验设备 医药 贸易 智能科技 电子 仪器")


_PROV_NAME = {"广西": "广西壮族自治区"}
#: universities with affiliated hospitals (附属医院)
MED_SCHOOLS = _words(
    "复旦大学 上海交通大学医学院 同济大学 北京大学 首都医科大学 中山大学 南方医科大学 "
    "暨南大学 浙江大学医学院 温州医科大学 南京医科大学 苏州大学 山东大学 青岛大学 武汉大学 "
    "华中科技大学同济医学院 中南大学湘雅医学院 四川大学华西医学院 郑州大学 福建医科大学 "
    "安徽医科大学 西安交通大学 中国医科大学 大连医科大学 天津医科大学 重庆医科大学 "
    "河北医科大学 哈尔滨医科大学 吉林大学 昆明医科大学 南昌大学 广西医科大学 山西医科大学"
)
_MED_CITY = _words(
    "上海 上海 上海 北京 北京 广州 广州 广州 杭州 温州 南京 苏州 济南 青岛 武汉 武汉 长沙 "
    "成都 郑州 福州 合肥 西安 沈阳 大连 天津 重庆 石家庄 哈尔滨 长春 昆明 南昌 南宁 太原"
)


def _muni(prov: str) -> bool:
    return prov in ("上海", "北京", "天津", "重庆")


def gov_pool() -> tuple[list[str], list[int]]:
    """Government names and their city index: province departments, then city bureaus."""
    names, city = [], []
    seen = set()
    for ci, (prov, c, _, _) in enumerate(CITIES):
        if not _muni(prov) and prov not in seen:
            seen.add(prov)
            pname = _PROV_NAME.get(prov, f"{prov}省")
            names += [f"{pname}{d}" for d in PROV_DEPTS]
            city += [ci] * len(PROV_DEPTS)
        names += [f"{c}市{d}" for d in GOV_DEPTS]
        city += [ci] * len(GOV_DEPTS)
    return names, city


def hosp_pool() -> tuple[list[str], list[int]]:
    names, city = [], []
    for ci, (_, c, _, _) in enumerate(CITIES):
        names += [f"{c}市{p}" for p in HOSP_PATTERNS]
        city += [ci] * len(HOSP_PATTERNS)
    cidx = {c: i for i, (_, c, _, _) in enumerate(CITIES)}
    for u, c in zip(MED_SCHOOLS, _MED_CITY):
        for k in "一二三":
            names.append(f"{u}附属第{k}医院")
            city.append(cidx[c])
    return names, city


def acad_pool() -> tuple[list[str], list[int]]:
    cidx = {c: i for i, (_, c, _, _) in enumerate(CITIES)}
    return [u for u, _ in UNIVERSITIES], [cidx[c] for _, c in UNIVERSITIES]


def comm_pool() -> tuple[list[str], list[int]]:
    names, city = [], []
    for ci, (_, c, _, _) in enumerate(CITIES):
        for b in BRANDS:
            names += [f"{c}{b}{i}有限公司" for i in INDUSTRIES]
            city += [ci] * len(INDUSTRIES)
    return names, city


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_W = np.array([pow(3, i, 31) for i in range(17)])
_ORG_W = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def uscc(rng: np.random.Generator, kind: np.ndarray, division: np.ndarray) -> np.ndarray:
    """18-char 统一社会信用代码 with valid org-code and final check characters (GB 32100).

    ``kind`` is the 2-digit registration/type code ('11' organ, '12' institution, '91' company),
    ``division`` the 6-digit admin division code; both arrays of str.
    """
    n = len(kind)
    v = np.zeros((n, 18), dtype=np.int64)
    v[:, 0:2] = np.asarray(kind, dtype="U2").view(np.uint32).reshape(n, 2) - ord("0")
    v[:, 2:8] = np.asarray(division, dtype="U6").view(np.uint32).reshape(n, 6) - ord("0")
    v[:, 8:16] = rng.integers(0, 10, size=(n, 8))
    c9 = 11 - (v[:, 8:16] @ _ORG_W) % 11
    v[:, 16] = np.where(c9 == 10, _USCC_CHARS.index("X"), np.where(c9 == 11, 0, c9))
    c18 = 31 - (v[:, :17] @ _USCC_W) % 31
    v[:, 17] = np.where(c18 == 31, 0, c18)
    codes = np.frombuffer(_USCC_CHARS.encode(), dtype=np.uint8)[v]
    return codes.astype(np.uint8).view("S18").ravel().astype("U18").astype(object)


def uscc_valid(code: str) -> bool:
    """Check both check characters of a USCC (used by the tests)."""
    if len(code) != 18 or any(ch not in _USCC_CHARS for ch in code):
        return False
    v = [_USCC_CHARS.index(ch) for ch in code]
    c18 = 31 - sum(a * w for a, w in zip(v[:17], _USCC_W)) % 31
    c9 = 11 - sum(a * w for a, w in zip(v[8:16], _ORG_W)) % 11
    c9v = {10: _USCC_CHARS.index("X"), 11: 0}.get(c9, c9)
    return v[17] == (0 if c18 == 31 else c18) and v[16] == c9v
