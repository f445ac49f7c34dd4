"""The dashboards' message catalogues: English and Indonesian hold exactly the same keys with
the same placeholders, and every key the templates and scripts use is there (and only those)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from giliran.entrypoints.dashboard import i18n

DASHBOARD = Path(i18n.__file__).parent
# t('key') in templates, t("key") in scripts; the key must be a literal so it can be checked.
USE = re.compile(r"""\bt\(\s*['"]([A-Za-z0-9_.]+)['"]""")
DYNAMIC = re.compile(r"""\bt\(\s*[^'"\s)]""")
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def sources() -> list[Path]:
    found = sorted((DASHBOARD / "templates").glob("*.html"))
    found += sorted(p for p in (DASHBOARD / "static").glob("*.js"))
    assert len(found) >= 5
    return found


def used_keys() -> set[str]:
    return {key for path in sources() for key in USE.findall(path.read_text("utf-8"))}


def load(lang: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads((DASHBOARD / "i18n" / f"{lang}.json").read_text("utf-8"))
    return loaded


def test_every_language_has_the_same_keys_and_placeholders() -> None:
    english = load("en")
    for lang in i18n.LANGUAGES:
        other = load(lang)
        assert set(other) == set(english), f"{lang}: {set(other) ^ set(english)}"
        for key, text in other.items():
            assert text.strip(), f"{lang}: {key} is empty"
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), key


def test_every_key_in_use_exists_and_every_key_is_used() -> None:
    used = used_keys()
    catalogue = set(load("en"))
    assert used - catalogue == set(), "used but missing from the catalogues"
    assert catalogue - used == set(), "in the catalogues but used nowhere"


def test_no_text_key_is_computed() -> None:
    """A key made at run time could not be checked above."""
    for path in sources():
        text = path.read_text("utf-8").replace("function t(key", "")
        assert not DYNAMIC.search(text), f"{path.name}: t(...) with a computed key"


@pytest.mark.parametrize(("cookie", "header", "chosen"), [
    (None, None, "en"),
    (None, "id-ID,id;q=0.9,en;q=0.8", "id"),
    (None, "en-GB,en;q=0.9,id;q=0.8", "en"),
    (None, "fr-FR,fr;q=0.9,id;q=0.5", "id"),
    (None, "fr-FR, de;q=0.5", "en"),
    (None, "en;q=0.2, ID;q=0.9", "id"),
    (None, "id;q=0, en", "en"),
    ("id", "en-US", "id"),
    ("xx", "id", "id"),
])
def test_the_language_is_the_visitors_choice_then_the_browsers(
    cookie: str | None, header: str | None, chosen: str
) -> None:
    assert i18n.choose(cookie, header) == chosen


def test_placeholders_are_filled() -> None:
    assert i18n.translate("id", "agent.queue_title", count=3, max=5) == "Antrean tiket saya (3/5)"
    assert i18n.translate("en", "no.such.key") == "no.such.key"


@pytest.mark.parametrize(("lang", "count", "said"), [
    ("en", 1, "you missed 1 ticket in a row there"),
    ("en", 2, "you missed 2 tickets in a row there"),
    ("en", 0, "you missed 0 tickets in a row there"),
    ("id", 1, "Anda melewatkan 1 tiket berturut-turut di sana"),
    ("id", 2, "Anda melewatkan 2 tiket berturut-turut di sana"),
])
def test_a_counted_noun_takes_the_form_of_its_number(lang: str, count: int, said: str) -> None:
    text = i18n.translate(lang, "agent.paused", queue="sales", since="now", count=count)
    assert said in text and "{" not in text
    assert i18n.translate("en", "agent.pickup_full", count=1, max=1).startswith(
        "You hold 1 of 1 ticket:")
    assert i18n.translate("en", "agent.slots_free", free=2, max=3).startswith("2 of 3 slots free")


# A number a reader sees right before a noun it counts (possibly "N of M nouns").
COUNT_THEN_NOUN = re.compile(r"\{\w+\}(?: of \{\w+\})? (?:simulated |active |open |waiting )?"
                             r"(tickets|minutes|slots|settings|agents|queues|hours|seconds|days|"
                             r"messages|replications)\b")


def test_every_english_count_says_its_noun_in_both_forms() -> None:
    """A text that counts a noun gives both forms, "{count|ticket|tickets}", naming a number
    the text is given (so "1 tickets" cannot come back)."""
    for key, text in load("en").items():
        assert not COUNT_THEN_NOUN.search(text), f"{key}: {text}"
        for name, one, other in i18n.COUNTED.findall(text):
            assert name in PLACEHOLDER.findall(text) and one and other and one != other, key
    for key, text in load("id").items():
        assert not i18n.COUNTED.search(text), f"{key}: Indonesian does not inflect the noun"
