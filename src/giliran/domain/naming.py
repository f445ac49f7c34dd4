"""Agent names. Two active agents may share one (a desk may well have two Sari), so a name is
never refused; but the lists, the history and the reassign dialog tell agents apart by name,
so a supervisor who gives an agent a name another active agent has is told so."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from giliran.domain.words import noun


@dataclass(frozen=True)
class Caution:
    """Something done as asked that the asker may not have meant; `code` is stable."""

    code: str
    message: str


def same_name(a: str, b: str) -> bool:
    """Names as a reader compares them: case and spacing aside ("sari  dewi " is Sari Dewi)."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


def name_cautions(name: str, agent_id: int, active: Iterable[tuple[int, str]]) -> list[Caution]:
    """`duplicate_name` when an active agent (id and name, from `active`) other than
    `agent_id` has this name."""
    twins = sorted(i for i, other in active if i != agent_id and same_name(other, name))
    if not twins:
        return []
    shown, ids = " ".join(name.split()), ", ".join(str(i) for i in twins)
    who = ("another active agent is" if len(twins) == 1
           else f"{len(twins)} other active agents are")
    return [Caution("duplicate_name", f"{who} already named {shown!r} "
                                      f"({noun(len(twins), 'id', 'ids')} {ids})")]
