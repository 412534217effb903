"""Realistic, distinct names for a generated province: enterprises and the people in them.

A Chinese company name is city + trade name (字号) + industry + legal form, as in
云州宏达化肥有限公司; its English name spells the city and trade name in pinyin and
translates the rest ("Yunzhou Hongda Fertilizer Co., Ltd."). Every draw comes from one
seeded generator and is checked against the names already given, so a province is the same
for the same seed and no two enterprises or people share a name in either language (the
word lists allow tens of thousands of each). People are named in pinyin, surname first,
as the registry's contacts are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# Cities of the fictional province: (pinyin, Chinese). The first six are the old regions.
CITIES: tuple[tuple[str, str], ...] = (
    ("Yunzhou", "云州"),
    ("Beiling", "北陵"),
    ("Changhe", "长河"),
    ("Xiyang", "西阳"),
    ("Lanshan", "岚山"),
    ("Fengling", "枫岭"),
    ("Qingshui", "清水"),
    ("Anyuan", "安源"),
    ("Taiping", "太平"),
    ("Hexi", "河西"),
    ("Jinhe", "金河"),
    ("Pingchuan", "平川"),
)

# Trade names (字号): common auspicious pairs, no two alike in pinyin, none of them a
# well-known brand, and none used by the hand-written first enterprises (industries.py).
# fmt: off
TRADE_NAMES: tuple[tuple[str, str], ...] = (
    ("Hongda", "宏达"), ("Xinyuan", "鑫源"), ("Hengxin", "恒信"), ("Jintai", "金泰"),
    ("Huayi", "华益"), ("Yongfeng", "永丰"), ("Ruifeng", "瑞丰"), ("Tiancheng", "天成"),
    ("Shenghua", "盛华"), ("Xinglong", "兴隆"), ("Haichang", "海昌"), ("Runda", "润达"),
    ("Dongfang", "东方"), ("Changsheng", "昌盛"), ("Yuanjing", "远景"), ("Boyuan", "博源"),
    ("Taihe", "泰和"), ("Wantong", "万通"), ("Hengda", "恒达"), ("Jinyuan", "金源"),
    ("Hongyun", "鸿运"), ("Desheng", "德胜"), ("Tongxin", "同心"), ("Limin", "利民"),
    ("Xinhua", "新华"), ("Chenguang", "晨光"), ("Yangguang", "阳光"), ("Guanghua", "光华"),
    ("Huamei", "华美"), ("Changqing", "长青"), ("Fengyuan", "丰源"), ("Longsheng", "隆盛"),
    ("Jianye", "建业"), ("Zhenxing", "振兴"), ("Lixin", "立新"), ("Yimin", "益民"),
    ("Huimin", "惠民"), ("Fuyuan", "富源"), ("Yufeng", "裕丰"), ("Juyuan", "聚源"),
    ("Huitong", "汇通"), ("Tongda", "通达"), ("Guangyuan", "广源"), ("Dingsheng", "鼎盛"),
    ("Kaida", "凯达"), ("Sanwei", "三维"), ("Yinhe", "银河"), ("Tianma", "天马"),
    ("Feilong", "飞龙"), ("Jinlong", "金龙"), ("Hualong", "华龙"), ("Longteng", "龙腾"),
    ("Tengfei", "腾飞"), ("Lantian", "蓝天"), ("Bishui", "碧水"), ("Qingshan", "青山"),
    ("Hongxing", "红星"), ("Qianjin", "前进"), ("Shengli", "胜利"), ("Lianhe", "联合"),
    ("Xieli", "协力"), ("Heli", "合力"), ("Zhongcheng", "众诚"), ("Chengxin", "诚信"),
    ("Xinda", "信达"), ("Antai", "安泰"), ("Anda", "安达"), ("Kangda", "康达"),
    ("Kangtai", "康泰"), ("Xianghe", "祥和"), ("Jixiang", "吉祥"), ("Jiaxin", "嘉信"),
    ("Jiasheng", "嘉盛"), ("Jiayuan", "佳源"), ("Hongyuan", "宏远"), ("Hongyi", "弘毅"),
    ("Haoran", "浩然"), ("Haoyu", "浩宇"), ("Haotian", "昊天"), ("Tianrun", "天润"),
    ("Tianhe", "天合"), ("Tianxiang", "天翔"), ("Ruihua", "瑞华"), ("Ruiyuan", "瑞源"),
    ("Ruitai", "瑞泰"), ("Zhaofeng", "兆丰"), ("Zhaoxin", "兆鑫"), ("Jincheng", "金诚"),
    ("Jinhai", "金海"), ("Jinyang", "金阳"), ("Jinshi", "金石"), ("Yinfeng", "银丰"),
    ("Huayang", "华阳"), ("Huayu", "华宇"), ("Huayuan", "华源"), ("Zhongtian", "中天"),
    ("Zhongsheng", "中盛"), ("Zhonghui", "中汇"), ("Xintian", "新天"), ("Xinyu", "新宇"),
    ("Xintai", "鑫泰"), ("Xinsheng", "鑫盛"), ("Hengtai", "恒泰"), ("Hengfeng", "恒丰"),
    ("Hengchang", "恒昌"), ("Hengyuan", "恒源"), ("Yongtai", "永泰"), ("Yongsheng", "永盛"),
    ("Yongxing", "永兴"), ("Yongchang", "永昌"), ("Changxing", "长兴"), ("Changyuan", "长源"),
    ("Guangda", "广达"), ("Guangtai", "广泰"), ("Baofeng", "宝丰"), ("Baoyuan", "宝源"),
    ("Baohua", "宝华"), ("Yida", "亿达"), ("Yifeng", "亿丰"), ("Mingda", "明达"),
    ("Mingtai", "明泰"), ("Jingxin", "晶鑫"), ("Jinghua", "晶华"), ("Runfeng", "润丰"),
    ("Runze", "润泽"), ("Zeyuan", "泽源"), ("Yingfeng", "盈丰"), ("Zhuoyue", "卓越"),
    ("Xianfeng", "先锋"), ("Kaiyuan", "开元"), ("Yuanfeng", "元丰"), ("Yuantong", "元通"),
    ("Zhiyuan", "致远"), ("Yuanhang", "远航"), ("Zhicheng", "志诚"), ("Zhengyuan", "正源"),
    ("Deyuan", "德源"), ("Derun", "德润"), ("Houde", "厚德"), ("Daohe", "道和"),
    ("Hetai", "和泰"), ("Hexing", "和兴"), ("Xinghua", "兴华"), ("Xingyuan", "兴源"),
    ("Xuri", "旭日"), ("Xusheng", "旭升"), ("Xudong", "旭东"), ("Chaoyang", "朝阳"),
    ("Chenxi", "晨曦"), ("Xingchen", "星辰"), ("Beichen", "北辰"), ("Nanfeng", "南风"),
    ("Dongtai", "东泰"), ("Dongyuan", "东源"), ("Jinqiao", "金桥"), ("Yinqiao", "银桥"),
    ("Pengcheng", "鹏程"), ("Pengda", "鹏达"), ("Hongji", "鸿基"), ("Dingxin", "鼎鑫"),
    ("Dingtai", "鼎泰"), ("Qianyuan", "乾元"), ("Kuntai", "坤泰"), ("Taifeng", "泰丰"),
    ("Shanhe", "山河"), ("Jianghai", "江海"), ("Haina", "海纳"), ("Haichuan", "海川"),
    ("Qingyuan", "清源"), ("Qingquan", "清泉"), ("Chunhui", "春晖"), ("Qiushi", "秋实"),
    ("Shuofeng", "硕丰"), ("Fengnian", "丰年"), ("Guofeng", "国丰"), ("Minfeng", "民丰"),
    ("Anhe", "安和"), ("Jitai", "吉泰"), ("Jiahua", "嘉华"), ("Jiatai", "嘉泰"),
    ("Kaisheng", "凯盛"), ("Kairui", "凯瑞"), ("Keda", "科达"), ("Kexin", "科信"),
    ("Liyuan", "力源"), ("Lida", "立达"), ("Liansheng", "联盛"), ("Longyuan", "龙源"),
    ("Longhua", "龙华"), ("Xinxing", "新星"), ("Jinxing", "金星"), ("Hengxing", "恒星"),
    ("Tongyuan", "通源"), ("Huitai", "汇泰"), ("Ronghua", "荣华"), ("Rongtai", "荣泰"),
    ("Fuhua", "富华"), ("Fuda", "富达"), ("Jinying", "金鹰"), ("Yinying", "银鹰"),
)

# What an enterprise of each industry template (Industry.short) calls its trade.
TRADES: dict[str, tuple[tuple[str, str], ...]] = {
    "fert": (("Fertilizer", "化肥"), ("Chemical", "化工")),
    "chlor": (("Chlor-Alkali Chemical", "氯碱化工"), ("Chlor-Alkali", "氯碱")),
    "coke": (("Coking", "焦化"), ("Coal Coking", "煤焦化")),
    "petro": (("Petrochemical", "石化"), ("Refining & Chemical", "炼化")),
    "lpg": (("LPG Storage", "液化气储运"), ("Gas", "燃气"), ("Energy", "能源")),
    "pharma": (("Pharmaceutical Intermediates", "医药中间体"),
               ("Pharmaceutical Chemical", "医药化工")),
    "coalchem": (("Coal Chemical", "煤化工"), ("Energy Chemical", "能源化工")),
    "fine": (("Fine Chemicals", "精细化工"), ("New Materials", "新材料"), ("Chemical", "化工")),
}
# Legal forms and how often they occur.
FORMS: tuple[tuple[str, str, int], ...] = (
    ("Co., Ltd.", "有限公司", 14),
    ("Co., Ltd.", "有限责任公司", 3),
    ("Joint Stock Co., Ltd.", "股份有限公司", 2),
    ("Group Co., Ltd.", "集团有限公司", 1),
)

# Common surnames and given-name syllables, in pinyin. Second syllables start with a
# consonant, so a two-syllable given name needs no apostrophe ("Weiming", never "Wei'an").
SURNAMES: tuple[str, ...] = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu", "Sun",
    "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo", "Zheng", "Liang", "Xie", "Song",
    "Tang", "Han", "Feng", "Deng", "Cao", "Peng", "Zeng", "Xiao", "Tian", "Dong", "Yuan",
    "Pan", "Jiang", "Cai", "Yu", "Du", "Ye", "Cheng", "Wei", "Su", "Lyu", "Ding", "Ren",
    "Shen", "Yao", "Lu", "Cui", "Zhong", "Tan", "Fan", "Jin", "Shi", "Liao", "Jia", "Xia",
    "Fu", "Fang", "Bai", "Zou", "Meng", "Qin", "Qiu", "Hou", "Yin", "Xue", "Yan", "Duan",
    "Lei", "Long", "Tao", "Mao", "Hao", "Gu", "Gong", "Shao", "Wan", "Qian", "Dai", "Kong",
    "Xiang", "Chang", "Qi", "Lai", "Wen", "Niu", "Yi",
)
GIVEN_SYLLABLES: tuple[str, ...] = (
    "Wei", "Fang", "Na", "Min", "Jing", "Li", "Qiang", "Lei", "Jun", "Yang", "Yong", "Jie",
    "Tao", "Ming", "Chao", "Xiu", "Xia", "Ping", "Gang", "Hua", "Hui", "Jian", "Bo", "Peng",
    "Hong", "Xin", "Yu", "Hao", "Kai", "Zhi", "Rui", "Dong", "Feng", "Liang", "Bin", "Lin",
    "Qing", "Chun", "Guo", "Hai", "Jia", "Long", "Shan", "Song", "Tian", "Xue", "Zhen",
    "Zhong", "Cheng", "De", "Fei", "Guang", "Han", "Heng", "Jin", "Kun", "Lan", "Mei", "Nan",
    "Qi", "Rong", "Sheng", "Shu", "Ting", "Wen", "Xiang", "Xu", "Yan", "Ying", "Yun", "Ze",
)
# fmt: on
TWO_SYLLABLE_SHARE = 0.7  # most given names today have two syllables
MAX_DRAWS = 10_000  # a draw that keeps colliding means the word lists are exhausted


@dataclass(frozen=True, slots=True)
class EnterpriseName:
    """One enterprise's id, names in both languages and the city its name starts with."""

    ident: str
    name: str
    name_zh: str
    city: str
    city_zh: str


class ProvinceNames:
    """Hand out distinct enterprise and person names for one province, the same per seed."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"hazwatch-names-{seed}")
        self._taken: set[str] = set()  # names in both languages, and ids
        self._people: set[str] = set()
        self._forms = [f for f in FORMS for _ in range(f[2])]

    def reserve(self, *names: str) -> None:
        """Mark names (or ids) as taken, e.g. those of hand-written enterprises."""
        self._taken.update(names)

    def enterprise(self, industry: str) -> EnterpriseName:
        """Return a new enterprise name of an industry template (`Industry.short`)."""
        trades = TRADES[industry]
        for _ in range(MAX_DRAWS):
            city, city_zh = self._rng.choice(CITIES)
            trade, trade_zh = self._rng.choice(TRADE_NAMES)
            word, word_zh = self._rng.choice(trades)
            form, form_zh, _ = self._rng.choice(self._forms)
            name = f"{city} {trade} {word} {form}"
            name_zh = f"{city_zh}{trade_zh}{word_zh}{form_zh}"
            if name in self._taken or name_zh in self._taken:
                continue
            ident = self._ident(trade.lower(), city.lower(), industry)
            self._taken.update((name, name_zh, ident))
            return EnterpriseName(ident, name, name_zh, city, city_zh)
        raise RuntimeError(f"no distinct {industry} enterprise name left after {MAX_DRAWS} draws")

    def person(self) -> str:
        """Return a new person's name, surname first ("Zhang Weiming")."""
        for _ in range(MAX_DRAWS):
            given = self._rng.choice(GIVEN_SYLLABLES)
            if self._rng.random() < TWO_SYLLABLE_SHARE:
                given += self._rng.choice(GIVEN_SYLLABLES).lower()
            name = f"{self._rng.choice(SURNAMES)} {given}"
            if name not in self._people:
                self._people.add(name)
                return name
        raise RuntimeError(f"no distinct person name left after {MAX_DRAWS} draws")

    def _ident(self, trade: str, city: str, industry: str) -> str:
        for candidate in (f"{trade}-{industry}", f"{trade}-{city}-{industry}"):
            if candidate not in self._taken:
                return candidate
        n = 2
        while f"{trade}-{city}-{industry}{n}" in self._taken:
            n += 1
        return f"{trade}-{city}-{industry}{n}"
