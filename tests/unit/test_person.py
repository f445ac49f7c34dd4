"""One person across channels: links and unlinks keep the customers a partition of groups,
each named by a member's key, and a group of one is no group."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from giliran.domain import person
from giliran.domain.errors import InvalidInput, NotLinked

KEYS = [f"whatsapp:62811{i}" for i in range(4)] + [f"email:c{i}@example.com" for i in range(4)]
Step = tuple[bool, str, str]


def _members(groups: dict[str, str | None], key: str) -> list[str]:
    first = groups[key]
    keys = [k for k, p in groups.items() if first is not None and p == first]
    return person.members(first, key, keys or [key])


@given(st.lists(st.tuples(st.booleans(), st.sampled_from(KEYS), st.sampled_from(KEYS)),
                max_size=30))
def test_links_and_unlinks_keep_people_apart_and_named_by_a_member(steps: list[Step]) -> None:
    groups: dict[str, str | None] = dict.fromkeys(KEYS)
    for linking, a, b in steps:
        mine = _members(groups, a)
        try:
            changes = (person.link(mine, _members(groups, b)) if linking
                       else person.unlink(mine, b))
        except NotLinked:
            assert b not in mine or len(mine) == 1
            continue
        groups.update(changes)
        if linking:
            assert b in _members(groups, a)
        else:  # b stands alone; the others stay together
            assert _members(groups, b) == [b]
            rest = [k for k in mine if k != b]
            assert _members(groups, rest[0]) == rest
    for key, first in groups.items():
        members = _members(groups, key)
        assert first is None or (first in members and len(members) > 1)
        assert all(_members(groups, m) == members for m in members)


def test_addresses_are_read_as_people_type_them() -> None:
    assert person.address_key(" Email:Ana@Example.COM ") == "email:ana@example.com"
    assert person.address_key("whatsapp:6281") == "whatsapp:6281"
    for bad in ("ana@example.com", "email:", ":x", "e mail:x"):
        with pytest.raises(InvalidInput):
            person.address_key(bad)
    with pytest.raises(InvalidInput):
        person.link([f"email:{i}@x" for i in range(15)], [f"telegram:{i}" for i in range(6)])
