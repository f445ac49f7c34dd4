"""The words giliran says on a chat channel, in English and Indonesian, and the buttons."""

from __future__ import annotations

import re
import string

from hypothesis import given
from hypothesis import strategies as st

from giliran.domain.notices import TEXTS, language, parse_button, say, ticket_buttons


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_say_everything_with_the_same_blanks() -> None:
    english, indonesian = TEXTS["en"], TEXTS["id"]
    assert english.keys() == indonesian.keys()
    for key in english:
        assert placeholders(english[key]) == placeholders(indonesian[key]), key
        # Only texts with no words in them may read the same in both languages.
        assert english[key] != indonesian[key] or key in ("queue_line", "online_word",
                                                          "offline_word", "customer_wrote"), key


def test_telegram_language_codes_choose_indonesian_or_english() -> None:
    assert [language(c) for c in ("id", "ID", "in", "id-ID", "en", "en-GB", "ms", None, "")] == [
        "id", "id", "id", "id", "en", "en", "en", "en", "en"]
    assert say("xx", "offline") == say("en", "offline")


def test_the_assignment_message_reads_as_the_issue_shows_it() -> None:
    assert say("en", "assigned", number="INC20261122000003", title="Cannot log in",
               category="account", position=3, active=3, max=5) == (
        "🎫 New ticket added to your queue!\nTicket: INC20261122000003\nTitle: Cannot log in\n"
        "Category: account\nQueue position: #3\nYou have 3/5 active tickets.")


@given(st.integers(min_value=1, max_value=2**31 - 1))
def test_a_button_says_what_it_asks_for(ticket_id: int) -> None:
    for lang in ("en", "id"):
        (_, accept), (_, complete) = ticket_buttons(lang, ticket_id)
        assert parse_button(accept) == ("accept", ticket_id)
        assert parse_button(complete) == ("complete", ticket_id)
        assert len(accept.encode()) <= 64  # Telegram's limit for callback data


OURS = re.compile(r"(accept|complete):([0-9]+)")


@given(st.text(max_size=30) | st.from_regex(OURS, fullmatch=True))
def test_only_our_own_button_data_asks_for_anything(data: str) -> None:
    ours = OURS.fullmatch(data)
    wanted = (ours.group(1), int(ours.group(2))) if ours else None
    if wanted is not None and wanted[1] > 2**31 - 1:
        wanted = None  # no ticket has such an id
    assert parse_button(data) == wanted


def test_a_ticket_number_no_ticket_can_have_asks_for_nothing() -> None:
    assert parse_button("accept:2147483647") == ("accept", 2**31 - 1)
    assert parse_button("accept:2147483648") is None
    assert parse_button("complete:²") is None and parse_button("accept:-1") is None
