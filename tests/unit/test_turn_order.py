"""Reordering one queue's members in the shared rotation order: the members come out in the
order asked, everyone else keeps their place, and a list that is not the members once is
refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from giliran.domain.errors import InvalidInput
from giliran.domain.turn_order import numbered, reorder

floors = st.lists(st.integers(1, 500), unique=True, max_size=30).flatmap(
    lambda everyone: st.tuples(st.just(everyone), st.sets(st.sampled_from(everyone))
                               if everyone else st.just(set())))


@given(floors.flatmap(lambda f: st.tuples(st.just(f), st.permutations(sorted(f[1])))))
def test_members_take_the_order_asked_and_nobody_else_moves(case: tuple) -> None:
    (everyone, members), wanted = case
    after = reorder(everyone, frozenset(members), wanted)
    assert sorted(after) == sorted(everyone)
    assert [a for a in after if a in members] == list(wanted)
    assert [(i, a) for i, a in enumerate(after) if a not in members] == [
        (i, a) for i, a in enumerate(everyone) if a not in members]
    places = numbered(after)
    assert sorted(after, key=places.__getitem__) == after
    assert len(set(places.values())) == len(after)


@pytest.mark.parametrize("wanted", [[1], [1, 2, 1], [1, 2, 4], []])
def test_a_list_that_is_not_the_members_once_is_refused(wanted: list[int]) -> None:
    with pytest.raises(InvalidInput):
        reorder([1, 2, 3, 4], frozenset({1, 2}), wanted)
