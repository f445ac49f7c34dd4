"""The dashboards' message catalogues (one JSON file per language) and how a language is chosen:
the visitor's own choice (a cookie the language switcher sets), else the browser's
Accept-Language, else English."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from pathlib import Path

from giliran.channels import registry

LANGUAGES = ("en", "id")
DEFAULT = "en"
COOKIE = "giliran_lang"


def catalogue(lang: str) -> dict[str, str]:
    """The console's words and those of the channels' console sections (their own files)."""
    words = _core(lang)
    extra = [_read(str(section.words[lang])) for section in registry.consoles()
             if lang in section.words]
    return words if not extra else {k: v for found in (words, *extra) for k, v in found.items()}


@cache
def _core(lang: str) -> dict[str, str]:
    text = resources.files(__package__).joinpath("i18n", f"{lang}.json").read_text("utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


@cache
def _read(path: str) -> dict[str, str]:
    loaded: dict[str, str] = json.loads(Path(path).read_text("utf-8"))
    return loaded


def choose(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LANGUAGES:
        return cookie
    for tag, _ in _ranked(accept_language or ""):
        primary = tag.split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return DEFAULT


def _ranked(header: str) -> list[tuple[str, float]]:
    """Accept-Language's tags, most wanted first."""
    found = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag and weight > 0:
            found.append((tag, weight))
    return sorted(found, key=lambda item: -item[1])


# "{count|ticket|tickets}": the noun that goes with the number `count`, the first form for
# exactly 1. English texts need it; Indonesian does not inflect ("1 tiket", "2 tiket").
# static/common.js reads the catalogues by the same rule.
COUNTED = re.compile(r"\{(\w+)\|([^|{}]*)\|([^|{}]*)\}")


def translate(lang: str, key: str, **values: object) -> str:
    """The text for `key`, with `{name}` placeholders filled and each counted noun in the
    form its number takes; the key itself when missing (a unit test keeps every used key in
    both catalogues)."""
    text = COUNTED.sub(lambda m: m[2] if _is_one(values.get(m[1])) else m[3],
                       catalogue(lang).get(key, key))
    for name, value in values.items():
        text = text.replace("{" + name + "}", str(value))
    return text


def _is_one(value: object) -> bool:
    try:
        return float(str(value)) == 1
    except ValueError:
        return False
