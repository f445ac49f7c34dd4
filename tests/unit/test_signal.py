"""The commit signal of one process: every subscriber hears each commit once, one that fails
does not keep the news from the others, and one that left hears nothing more."""

from __future__ import annotations

import asyncio
import threading

import pytest

from giliran.adapters.signal import LocalSignal
from giliran.entrypoints.alarm import Alarm
from giliran.service.ports import Committed


def test_every_subscriber_hears_each_commit_even_when_one_fails() -> None:
    signal = LocalSignal()
    heard: list[tuple[str, int | None]] = []

    def broken(commit: Committed) -> None:
        raise RuntimeError("a subscriber's bug")

    signal.subscribe(broken)
    leave = signal.subscribe(lambda c: heard.append(("hub", c.events_upto)))
    signal.subscribe(lambda c: heard.append(("sender", c.events_upto)))
    signal.publish(Committed(7))
    leave()
    signal.publish(Committed(8))
    assert heard == [("hub", 7), ("sender", 7), ("sender", 8)]


def test_who_looks_at_a_commit() -> None:
    mine, theirs = Committed(5), Committed(here=False)
    assert mine.moved and theirs.moved and not Committed(outgoing=True).moved
    # A sender: its own process's events when anyone subscribes to them; work queued always;
    # another process's events never (that process's senders send them).
    assert mine.gives_work(listening=True) and not mine.gives_work(listening=False)
    assert Committed(outgoing=True).gives_work(listening=False)
    assert not theirs.gives_work(listening=True)
    assert Committed(here=False, outgoing=True).gives_work(listening=False)


@pytest.mark.timeout(10)
def test_an_alarm_rung_from_another_thread_wakes_its_loop_at_once() -> None:
    async def scenario() -> tuple[bool, bool]:
        alarm = Alarm()
        alarm.arm()
        silent = await alarm.wait(0.01)
        threading.Thread(target=alarm.ring).start()
        return silent, await alarm.wait(5.0)

    assert asyncio.run(scenario()) == (False, True)
