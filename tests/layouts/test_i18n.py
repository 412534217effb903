"""Every label exists in English and Chinese, and the pages use only known keys."""

from __future__ import annotations

import re
from pathlib import Path

from layouts.i18n import TEXT, normalise, t
from monitoring.signals import SEVERITIES
from monitoring.users import ROLES

ROOT = Path(__file__).resolve().parents[2]


def test_every_key_has_english_and_chinese() -> None:
    for key, (en, zh) in TEXT.items():
        assert en.strip() and zh.strip(), key
        assert re.search(r"[\u4e00-\u9fff]", zh) or key in ("nav.language", "feed.count"), key


def test_placeholders_match_between_languages() -> None:
    for key, (en, zh) in TEXT.items():
        assert set(re.findall(r"{(\w+)}", en)) == set(re.findall(r"{(\w+)}", zh)), key


def test_severities_and_roles_are_translated() -> None:
    assert [t(f"severity.{s}", "zh") for s in SEVERITIES] == [
        "红色（一级）",
        "橙色（二级）",
        "黄色（三级）",
        "蓝色（四级）",
    ]
    for role in ROLES:
        assert t(f"role.{role}", "zh") != t(f"role.{role}", "en")


def test_keys_used_in_pages_exist() -> None:
    used: set[str] = set()
    for folder in ("layouts", "callbacks"):
        for path in (ROOT / folder).glob("*.py"):
            used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text()))
            used |= set(re.findall(r"""["']((?:nav|page|login)\.[a-z_]+)["']""", path.read_text()))
    assert used, "no keys found: the pattern is wrong"
    assert used <= set(TEXT), used - set(TEXT)


def test_unknown_language_falls_back_to_english() -> None:
    assert normalise("fr") == "en" and normalise("zh") == "zh"
    assert t("nav.wall", "fr") == "Wall"
    assert t("elapsed.m", "zh", n=5) == "5分钟"
