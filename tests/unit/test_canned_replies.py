"""Canned replies' rules: the variables filled in, anything else left as typed, and which
replies a ticket offers in which order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from giliran.domain.canned import (
    VARIABLES,
    CannedReply,
    check,
    fill,
    for_ticket,
    language_of,
)
from giliran.domain.errors import InvalidInput

T0 = datetime(2026, 12, 7, tzinfo=UTC)
VALUES = {"customer_name": "Budi", "ticket_number": "INC20261207000042", "agent_name": "Sari"}
texts = st.lists(st.sampled_from([*"ab {}_xyz", *(f"{{{v}}}" for v in VARIABLES)]),
                 max_size=30).map("".join)


def test_the_variables_are_filled_and_the_rest_left_as_typed() -> None:
    said = fill("Halo {customer_name}, tiket {ticket_number} ({x}) - {agent_name} {Agent_name}",
                VALUES)
    assert said == "Halo Budi, tiket INC20261207000042 ({x}) - Sari {Agent_name}"


def test_a_variable_without_a_value_stays_visible_for_the_agent_to_fix() -> None:
    assert fill("Hi {customer_name}!", {**VALUES, "customer_name": None}) == (
        "Hi {customer_name}!")


@given(texts)
def test_without_values_nothing_changes(text: str) -> None:
    assert fill(text, {}) == text


@given(texts, st.text(max_size=20).filter(bool))
def test_every_known_variable_is_replaced_once_and_values_are_not_read_again(
    text: str, name: str,
) -> None:
    values = {**VALUES, "customer_name": "{agent_name}" + name}
    said = fill(text, values)
    expected = text
    for variable in VARIABLES:  # placeholders never overlap, so any order gives the same
        expected = expected.replace(f"{{{variable}}}", f"\0{variable}\0")
    for variable in VARIABLES:
        expected = expected.replace(f"\0{variable}\0", values[variable])
    assert said == expected


def _reply(rid: int, name: str, queue: str | None, language: str | None) -> CannedReply:
    return CannedReply(name, "t", T0, queue=queue, language=language, id=rid)


def test_a_ticket_offers_its_queues_and_the_global_ones_its_customers_language_first() -> None:
    replies = [_reply(1, "zz any global", None, None), _reply(2, "id global", None, "id"),
               _reply(3, "en sales", "sales", "en"), _reply(4, "id sales", "sales", "id"),
               _reply(5, "other queue", "support", None), _reply(6, "en global", None, "en")]
    assert [r.id for r in for_ticket(replies, "sales", "id")] == [4, 2, 1, 3, 6]
    assert [r.id for r in for_ticket(replies, "sales", None)] == [1, 3, 4, 6, 2]


@given(st.lists(st.tuples(st.sampled_from([None, "a", "b"]), st.sampled_from([None, "en", "id"]),
                          st.text(max_size=3)), max_size=12),
       st.sampled_from([None, "en", "id"]))
def test_the_customers_language_always_comes_before_the_others(
    rows: list[tuple[str | None, str | None, str]], language: str | None,
) -> None:
    replies = [_reply(i, name, q, lang) for i, (q, lang, name) in enumerate(rows)]
    found = for_ticket(replies, "a", language)
    assert {r.id for r in found} == {r.id for r in replies if r.queue in (None, "a")}
    ranks = [0 if language and r.language == language else 1 if r.language is None else 2
             for r in found]
    assert ranks == sorted(ranks)


@pytest.mark.parametrize("code, language", [("id", "id"), ("id-ID", "id"), ("EN_us", "en"),
                                            ("jv", None), (None, None), ("", None)])
def test_a_channels_language_code(code: str | None, language: str | None) -> None:
    assert language_of(code) == language


@pytest.mark.parametrize("name, text, language", [("", "t", None), ("n" * 101, "t", None),
                                                  ("n", " ", None), ("n", "t" * 4097, None),
                                                  ("n", "t", "fr")])
def test_a_reply_the_desk_could_not_use_is_refused(name: str, text: str,
                                                   language: str | None) -> None:
    with pytest.raises(InvalidInput):
        check(CannedReply(name, text, T0, language=language))
    check(CannedReply("n" * 100, "t" * 4096, T0, language="id"))
