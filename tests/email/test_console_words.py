"""Email's console section speaks English and Indonesian: both word files have the same keys
and placeholders, and every key its fragment and script use is in them or the console's."""

from __future__ import annotations

import json
import re

from giliran.channels.email.console import SECTION
from giliran.entrypoints.dashboard import i18n

USED = re.compile(r"""\bt\(\s*['"]([a-z_]+\.[a-z_0-9]+)['"]""")


def test_both_languages_have_every_word_the_section_uses() -> None:
    words = {lang: json.loads(path.read_text("utf-8")) for lang, path in SECTION.words.items()}
    assert set(words) == set(i18n.LANGUAGES)
    assert set(words["en"]) == set(words["id"])
    for key, text in words["en"].items():
        assert set(re.findall(r"\{\w+\}", text)) == set(re.findall(r"\{\w+\}", words["id"][key]))
    used = {key for name in (SECTION.template, SECTION.script)
            for key in USED.findall((SECTION.folder / name).read_text("utf-8"))}
    for lang in i18n.LANGUAGES:
        missing = used - set(words[lang]) - set(i18n.catalogue(lang))
        assert not missing, (lang, missing)
    assert set(words["en"]) <= used, set(words["en"]) - used  # none unused
