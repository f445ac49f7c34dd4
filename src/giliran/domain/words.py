"""Counted nouns in the English the server writes: "missed 1 ticket", "missed 2 tickets".

The dashboards do the same in each language from their catalogues (`{count|ticket|tickets}`,
see entrypoints/dashboard/i18n.py); Indonesian does not inflect the noun ("1 tiket",
"2 tiket"), so only the English texts need two forms.
"""

from __future__ import annotations


def noun(count: float, one: str, other: str) -> str:
    """The form that goes with `count`: `one` for exactly 1, `other` for 0, 2, 1.5, ..."""
    return one if count == 1 else other
