"""Generated names: distinct in both languages for thousands of enterprises and people."""

from __future__ import annotations

import re

from monitoring.records import is_valid_id
from simulators.industries import INDUSTRIES
from simulators.names import CITIES, TRADE_NAMES, TRADES, ProvinceNames
from simulators.province import HAND_NAMED, generate_province

# The demo's enterprises: the story, scenario tests, scripts/screenshots.py and the README
# use these ids and names.
HAND_IDS = [
    "ty-fert", "qh-chlor", "ls-coke", "xh-petro", "ap-lpg", "rk-pharma", "bym-coalchem",
    "jd-fine", "fs-fert", "by-chlor", "hs-coke", "ds-petro", "rx-lpg", "jh-pharma",
    "ht-coalchem", "hx-fine",
]  # fmt: skip


def test_2000_enterprises_have_distinct_realistic_names_in_both_languages():
    enterprises = generate_province(2000)["enterprises"]
    for key in ("id", "name", "name_zh"):
        values = [e[key] for e in enterprises]
        assert len(set(values)) == 2000, key
    assert all(is_valid_id(e["id"]) for e in enterprises)
    zh_city = dict(CITIES)
    for enterprise in enterprises[HAND_NAMED:]:
        name, name_zh, city = enterprise["name"], enterprise["name_zh"], enterprise["region"]
        # City + trade name + industry + legal form, the city being where it is.
        assert name.startswith(city + " ") and name.endswith("Co., Ltd."), name
        assert name_zh.startswith(zh_city[city]) and name_zh.endswith("公司"), name_zh
        assert re.fullmatch(r"[\u4e00-\u9fff]+", name_zh), name_zh
        assert city in enterprise["address"]
    assert len({e["region"] for e in enterprises}) == len(CITIES)


def test_people_and_phones_are_distinct_across_the_province():
    enterprises = generate_province(2000)["enterprises"]
    contacts = [c for e in enterprises for c in e["contacts"]]
    assert len(contacts) == 12_000
    assert len({c["name"] for c in contacts}) == 12_000
    assert len({c["phone"] for c in contacts}) == 12_000
    assert all(re.fullmatch(r"[A-Z][a-z]+ [A-Z][a-z]+", c["name"]) for c in contacts)
    duty = [c["name"] for c in contacts if c["role"] == "duty_officer"]
    leaders = [c["name"] for c in contacts if c["role"] == "leader_in_charge"]
    assert len(set(duty)) == len(duty) == 4000 and len(set(leaders)) == 2000


def test_the_first_enterprises_keep_their_hand_written_names():
    enterprises = generate_province(40)["enterprises"]
    assert [e["id"] for e in enterprises[:HAND_NAMED]] == HAND_IDS
    assert enterprises[0]["name"] == "Tianyu Fertilizer Co., Ltd."
    assert enterprises[4]["name_zh"] == "安平液化气储运有限公司"
    assert enterprises[0]["region"] == "Yunzhou"
    # A smaller province is the start of a bigger one with the same seed.
    first = generate_province(20)["enterprises"]
    assert [e["name_zh"] for e in first] == [e["name_zh"] for e in enterprises[:20]]


def test_names_are_the_same_per_seed_and_differ_between_seeds():
    a, b, c = generate_province(300, 7), generate_province(300, 7), generate_province(300, 8)
    assert a == b
    names_a = [e["name"] for e in a["enterprises"][HAND_NAMED:]]
    names_c = [e["name"] for e in c["enterprises"][HAND_NAMED:]]
    assert names_a != names_c


def test_word_lists_never_spell_two_names_alike():
    pinyin = [p for p, _ in TRADE_NAMES]
    hanzi = [z for _, z in TRADE_NAMES]
    assert len(set(pinyin)) == len(pinyin) and len(set(hanzi)) == len(hanzi)
    hand = {w for industry in INDUSTRIES for word in industry.words for w in word[:2]}
    assert not hand & (set(pinyin) | set(hanzi))
    assert set(TRADES) == {industry.short for industry in INDUSTRIES}
    names = ProvinceNames(1)
    names.reserve("hongda-fert")
    made = [names.enterprise("fert") for _ in range(500)]
    assert "hongda-fert" not in {m.ident for m in made}
    assert len({m.ident for m in made}) == 500
