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
