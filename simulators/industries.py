"""Plant templates per industry: sites, zones and the instruments a zone of that kind has."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict


@dataclass(frozen=True)
class SensorSpec:
    """`count` sensors of one kind in a zone; `limits` override the kind's defaults."""

    kind: str
    count: int
    limits: dict[str, float | None] = field(default_factory=dict)
    ids: tuple[str, ...] = ()
    unit: str | None = None


@dataclass(frozen=True)
class ZoneTemplate:
    """A zone of a plant; major-hazard zones get a people limit and a dwell time."""

    id: str
    name: str
    name_zh: str
    sensors: tuple[SensorSpec, ...]
    major: bool = False
    max_people: int | None = None
    dwell_s: int | None = None
    camera: str | None = None


@dataclass(frozen=True)
class Industry:
    """An industry: name patterns, id suffix, name words for each round, and its sites."""

    short: str
    name: str
    name_zh: str
    words: tuple[tuple[str, str, str], ...]  # (English word, Chinese word, id abbreviation)
    sites: tuple[tuple[str, str, tuple[ZoneTemplate, ...]], ...]


def _s(
    kind: str,
    count: int,
    *,
    ids: tuple[str, ...] = (),
    unit: str | None = None,
    **limits: float | None,
) -> SensorSpec:
    return SensorSpec(kind, count, dict(limits), ids, unit)


def _z(
    ident: str,
    name: str,
    name_zh: str,
    *sensors: SensorSpec,
    major: bool = False,
    max_people: int | None = None,
    dwell_s: int | None = None,
    camera: str | None = None,
) -> ZoneTemplate:
    return ZoneTemplate(ident, name, name_zh, tuple(sensors), major, max_people, dwell_s, camera)


class _Limits(TypedDict, total=False):
    """A set of limits shared by several sensors, spread into `_s(..., **limits)`."""

    low_low: float
    low: float
    high: float
    high_high: float


# Templates are tables: keep their hand layout.
# fmt: off
STORY_ENTERPRISE = ("ty-fert", "Tianyu Fertilizer Co., Ltd.", "天宇化肥有限公司")

_PROCESS_FLOW: _Limits = {"low": 30, "high": 70}
_AMBIENT: _Limits = {"high": 40, "high_high": 45}

FERTILIZER = Industry("fert", "{} Fertilizer Co., Ltd.", "{}化肥有限公司",
    (("Tianyu", "天宇", "ty"), ("Fengshou", "丰收", "fs")),
    (("main", "Main plant", (
        _z("NH3-TANK-S", "Liquid ammonia tank farm south", "南区液氨罐区",
           _s("gas_nh3", 3, ids=("NH3-S-01", "NH3-S-02", "NH3-S-03")),
           _s("level", 2), _s("pressure", 1), _s("temperature", 1),
           major=True, max_people=2, dwell_s=120, camera="CAM-07"),
        _z("NH3-TANK-N", "Liquid ammonia tank farm north", "北区液氨罐区",
           _s("gas_nh3", 3, ids=("NH3-N-01", "NH3-N-02", "NH3-N-03")),
           _s("level", 2), _s("pressure", 1), _s("temperature", 1), major=True),
        _z("SYN-UNIT", "Ammonia synthesis unit", "合成氨装置",
           _s("gas_nh3", 2), _s("gas_lel", 2), _s("pressure", 2, high=20, high_high=22),
           _s("temperature", 2, high=520, high_high=540), _s("flow", 2, **_PROCESS_FLOW),
           major=True, max_people=3),
        _z("UREA-UNIT", "Urea synthesis unit", "尿素装置",
           _s("gas_nh3", 2), _s("pressure", 1, high=18, high_high=19.5),
           _s("temperature", 2, high=200, high_high=210), _s("flow", 1, **_PROCESS_FLOW)),
        _z("NH3-LOAD", "Liquid ammonia loading bay", "液氨装卸区",
           _s("gas_nh3", 2), _s("flow", 1), _s("pressure", 1, high=1.8, high_high=2.0),
           major=True),
        _z("WH-UREA", "Urea product warehouse", "尿素成品库", _s("temperature", 1, **_AMBIENT)),
    )),))

CHLOR_ALKALI = Industry("chlor", "{} Chlor-Alkali Chemical Co., Ltd.", "{}氯碱化工有限公司",
    (("Qinghe", "清河", "qh"), ("Baiyun", "白云", "by")),
    (("main", "Main plant", (
        _z("CL2-STORE", "Liquid chlorine storage", "液氯储存区", _s("gas_cl2", 3), _s("level", 2),
           _s("pressure", 2, high=1.0, high_high=1.2), _s("temperature", 1), major=True),
        _z("ELEC", "Electrolysis unit", "电解装置", _s("gas_cl2", 2), _s("gas_lel", 2),
           _s("temperature", 2, high=95, high_high=100), _s("flow", 2, **_PROCESS_FLOW),
           major=True),
        _z("HCL-SYN", "Hydrogen chloride synthesis", "氯化氢合成装置", _s("gas_cl2", 1),
           _s("gas_lel", 1), _s("temperature", 1, high=400, high_high=420),
           _s("pressure", 1, high=0.15, high_high=0.2)),
        _z("CAUSTIC", "Caustic soda tank farm", "烧碱罐区", _s("level", 3), _s("temperature", 1)),
        _z("CL2-LOAD", "Liquid chlorine filling station", "液氯充装站", _s("gas_cl2", 2),
           _s("flow", 1, high=20), _s("pressure", 1, high=1.0, high_high=1.2), major=True),
    )),))

COKING = Industry("coke", "{} Coking Co., Ltd.", "{}焦化有限公司",
    (("Longshan", "龙山", "ls"), ("Heshun", "和顺", "hs")),
    (("main", "Coking plant", (
        _z("COKE-OVEN", "Coke oven battery", "焦炉", _s("gas_lel", 3), _s("gas_h2s", 2),
           _s("temperature", 2, high=1350, high_high=1400)),
        _z("GAS-HOLDER", "Coke oven gas holder", "煤气柜区", _s("gas_lel", 2), _s("gas_h2s", 1),
           _s("level", 1), _s("pressure", 1, unit="kPa", high=8, high_high=9), major=True),
        _z("BENZ-TANK", "Crude benzene tank farm", "粗苯罐区", _s("gas_lel", 3), _s("level", 2),
           _s("temperature", 1), major=True),
        _z("DESULF", "Gas desulphurisation unit", "脱硫装置", _s("gas_h2s", 2), _s("gas_nh3", 1),
           _s("pressure", 1, unit="kPa", high=12, high_high=14), _s("flow", 1, **_PROCESS_FLOW)),
        _z("TAR-TANK", "Tar tank farm", "焦油罐区", _s("level", 2),
           _s("temperature", 2, high=95, high_high=100), _s("gas_lel", 1)),
    )),))

PETROCHEMICAL = Industry("petro", "{} Petrochemical Co., Ltd.", "{}石化有限公司",
    (("Xinghai", "星海", "xh"), ("Dongsheng", "东升", "ds")),
    (("main", "Refinery", (
        _z("CDU", "Crude distillation unit", "常减压装置", _s("gas_lel", 3), _s("gas_h2s", 1),
           _s("temperature", 2, high=380, high_high=400),
           _s("pressure", 1, high=0.25, high_high=0.3), _s("flow", 2, **_PROCESS_FLOW),
           major=True),
        _z("HDS", "Diesel hydrotreater", "柴油加氢装置", _s("gas_lel", 2), _s("gas_h2s", 2),
           _s("pressure", 2, high=9.5, high_high=10.5),
           _s("temperature", 2, high=420, high_high=440), _s("flow", 1, **_PROCESS_FLOW),
           major=True),
        _z("LPG-SPH", "LPG sphere farm", "液化石油气球罐区", _s("gas_lel", 3), _s("level", 3),
           _s("pressure", 3, high=1.6, high_high=1.77), _s("temperature", 1), major=True),
        _z("SRU", "Sulphur recovery unit", "硫磺回收装置", _s("gas_h2s", 3),
           _s("temperature", 1, high=1150, high_high=1200), _s("flow", 1, **_PROCESS_FLOW)),
     )),
     ("terminal", "Oil terminal", (
        _z("CRUDE-TANK", "Crude oil tank farm", "原油罐区", _s("gas_lel", 3), _s("level", 4),
           _s("temperature", 2), major=True),
        _z("GASOLINE-TANK", "Gasoline tank farm", "汽油罐区", _s("gas_lel", 3), _s("level", 3),
           major=True),
        _z("TRUCK-LOAD", "Truck loading rack", "汽车装车站", _s("gas_lel", 2), _s("flow", 2)),
    ))))

LPG_STORAGE = Industry("lpg", "{} LPG Storage Co., Ltd.", "{}液化气储运有限公司",
    (("Anping", "安平", "ap"), ("Ruixiang", "瑞祥", "rx")),
    (("depot", "LPG depot", (
        _z("SPHERE", "LPG sphere farm", "球罐区", _s("gas_lel", 4), _s("level", 3),
           _s("pressure", 3), _s("temperature", 3), major=True),
        _z("FILLING", "Cylinder filling hall", "灌装间", _s("gas_lel", 3), _s("flow", 1),
           major=True),
        _z("COMP", "Compressor house", "压缩机房", _s("gas_lel", 2),
           _s("pressure", 1, high=1.8, high_high=2.0)),
        _z("UNLOAD", "Tanker unloading bay", "槽车卸车区", _s("gas_lel", 2), _s("flow", 1),
           _s("pressure", 1), major=True),
        _z("CYL-STORE", "Cylinder store", "钢瓶库", _s("gas_lel", 2), _s("temperature", 1)),
    )),))

PHARMA = Industry("pharma", "{} Pharmaceutical Intermediates Co., Ltd.", "{}医药中间体有限公司",
    (("Ruikang", "瑞康", "rk"), ("Jiahe", "嘉禾", "jh")),
    (("main", "Main plant", (
        _z("SOLV-TANK", "Solvent tank farm", "溶剂罐区", _s("gas_lel", 3), _s("level", 4),
           _s("temperature", 1), major=True),
        _z("HYDRO", "Hydrogenation workshop", "加氢车间", _s("gas_lel", 3),
           _s("pressure", 2, high=1.0, high_high=1.2),
           _s("temperature", 2, high=120, high_high=130), major=True),
        _z("CHLOR", "Chlorination workshop", "氯化车间", _s("gas_cl2", 2), _s("gas_lel", 1),
           _s("temperature", 2, high=90, high_high=100),
           _s("pressure", 1, high=0.3, high_high=0.35), major=True),
        _z("WH-A", "Class A warehouse", "甲类仓库", _s("gas_lel", 2), _s("temperature", 1)),
        _z("RTO", "Waste-gas incinerator", "RTO 焚烧装置", _s("gas_lel", 1),
           _s("temperature", 2, high=900, high_high=950)),
    )),))

COAL_CHEMICAL = Industry("coalchem", "{} Coal Chemical Co., Ltd.", "{}煤化工有限公司",
    (("Beiyuan", "北原", "bym"), ("Hongtai", "宏泰", "ht")),
    (("main", "Methanol plant", (
        _z("GASIF", "Coal gasification unit", "气化装置", _s("gas_lel", 2), _s("gas_h2s", 2),
           _s("pressure", 2, high=6.5, high_high=7.0),
           _s("temperature", 2, high=1400, high_high=1450), major=True),
        _z("MEOH-SYN", "Methanol synthesis unit", "甲醇合成装置", _s("gas_lel", 2),
           _s("pressure", 2, high=8.0, high_high=8.8),
           _s("temperature", 2, high=280, high_high=300), major=True),
        _z("NH3-REFRIG", "Ammonia refrigeration station", "氨冷冻站", _s("gas_nh3", 3),
           _s("pressure", 1), _s("level", 1), major=True),
     )),
     ("depot", "Methanol depot", (
        _z("MEOH-TANK", "Methanol tank farm", "甲醇罐区", _s("gas_lel", 3), _s("level", 4),
           _s("temperature", 1), major=True),
        _z("MEOH-LOAD", "Methanol loading station", "甲醇装车站", _s("gas_lel", 2),
           _s("flow", 2)),
        _z("MEOH-PUMP", "Methanol pump house", "甲醇泵房", _s("gas_lel", 2),
           _s("pressure", 1, high=1.2, high_high=1.4)),
    ))))

FINE_CHEMICAL = Industry("fine", "{} Fine Chemicals Co., Ltd.", "{}精细化工有限公司",
    (("Jinding", "金鼎", "jd"), ("Huaxin", "华信", "hx")),
    (("main", "Main plant", (
        _z("RAW-TANK", "Raw material tank farm", "原料罐区", _s("gas_lel", 3), _s("level", 3),
           _s("temperature", 1), major=True),
        _z("SYN-WS", "Synthesis workshop", "合成车间", _s("gas_lel", 2), _s("gas_h2s", 1),
           _s("pressure", 2, high=0.6, high_high=0.7),
           _s("temperature", 3, high=150, high_high=160), major=True),
        _z("CL2-CYL", "Chlorine cylinder room", "液氯钢瓶间", _s("gas_cl2", 3),
           _s("temperature", 1), major=True),
        _z("WH-HAZ", "Hazardous goods warehouse", "危化品仓库", _s("gas_lel", 2),
           _s("temperature", 1)),
        _z("WWTP", "Wastewater treatment station", "污水处理站", _s("gas_h2s", 2),
           _s("gas_nh3", 1), _s("level", 1)),
    )),))

INDUSTRIES: tuple[Industry, ...] = (
    FERTILIZER, CHLOR_ALKALI, COKING, PETROCHEMICAL, LPG_STORAGE, PHARMA, COAL_CHEMICAL,
    FINE_CHEMICAL,
)
# fmt: on
