"""Text both databases store alike. PostgreSQL refuses NUL in text (SQLite stores it), and
neither driver can encode an unpaired surrogate (a JSON "\\ud800" decodes to one), so such
strings are refused at the edge, on both databases the same way."""

from __future__ import annotations

import re
from collections.abc import Mapping

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
PROBLEM = "must not contain NUL characters or unpaired surrogates"


def unstorable_at(value: object, at: tuple[str | int, ...] = ()) -> tuple[str | int, ...] | None:
    """Where in a decoded JSON value (keys included) the first unstorable string is."""
    if isinstance(value, str):
        return at if UNSTORABLE.search(value) else None
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and UNSTORABLE.search(key):
                return (*at, key.encode("unicode_escape").decode())
            found = unstorable_at(item, (*at, str(key)))
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            found = unstorable_at(item, (*at, i))
            if found is not None:
                return found
    return None
