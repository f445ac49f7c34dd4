"""Customers' files are downloaded from the channel once and then served from disk, on SQLite
and PostgreSQL, against the fake Graph API and Bot API servers (which count downloads): within
a size bound that evicts the least recently opened, for a retention after which they are
deleted, and never to a caller the route would refuse."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from giliran.adapters.clock import FakeClock
from giliran.channels.whatsapp.fake import delivery
from giliran.entrypoints.api.root import root_of
from tests.integration.test_api_seed import ADMIN, bearer, make_agent, online
from tests.support.desks import API, CUSTOMER, Bot, Desk, whatsapp_desk
from tests.support.whatsapp_samples import base

DAY = 24 * 3600


def photo(number: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + f"photo {number} ".encode() * 80 + b"\xff\xd9"  # 646 bytes


def send_photos(wa: Desk, count: int) -> list[str]:
    """The customer sends `count` photos; the media URL of each, in order."""
    for i in range(count):
        wa.graph.add_media(f"90{i}", photo(i), "image/jpeg")
    wa.post(delivery(messages=[base("image", f"wamid.P{i}", wa.now, image={
        "mime_type": "image/jpeg", "sha256": "x", "id": f"90{i}"}) for i in range(count)]))
    (lead,) = wa.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    return [f"{API}/tickets/{lead['id']}/messages/{m['id']}/media"
            for m in wa.conversation(lead["id"])]


def opened(wa: Desk, url: str) -> bytes:
    r = wa.client.get(url, headers=ADMIN)
    assert r.status_code == 200, r.text
    return r.content


def cached_files(wa: Desk) -> list[Path]:
    return sorted(Path(str(wa.container.settings.media_cache_dir)).glob("*.media"))


def test_a_file_opened_twice_is_downloaded_once_and_only_for_those_allowed(wa: Desk) -> None:
    seller = make_agent(wa.client, "Sari", queues=["sales"])
    other = make_agent(wa.client, "Joko", queues=["sales"])
    online(wa.client, seller)
    (url,) = send_photos(wa, 1)
    mine = bearer(seller["token"])
    first = wa.client.get(url, headers=mine)
    again = wa.client.get(url, headers=mine)
    assert first.content == again.content == photo(0)
    assert again.headers["content-type"] == "image/jpeg"
    assert opened(wa, url) == photo(0)  # an admin too, from the same copy
    assert wa.graph.downloads == ["900"]
    assert wa.client.get(url, headers=bearer(other["token"])).status_code == 403
    (kept,) = cached_files(wa)
    assert kept.stat().st_mode & 0o077 == 0, "customers' files are the service's alone"


@pytest.fixture
def bounded(database_url: str, clock: FakeClock) -> Iterator[Desk]:
    """A cache that holds two photos (about 700 bytes each with their header), for two days."""
    with whatsapp_desk(database_url, clock, media_cache_max_bytes=1500,
                       media_cache_days=2) as desk:
        yield desk


def test_the_size_bound_evicts_the_least_recently_opened(bounded: Desk) -> None:
    wa = bounded
    a, b, c = send_photos(wa, 3)
    opened(wa, a)
    wa.clock.advance(1)
    opened(wa, b)
    wa.clock.advance(1)
    opened(wa, a)  # a is now the more recently opened
    wa.clock.advance(1)
    opened(wa, c)  # no room for three: b goes
    assert len(cached_files(wa)) == 2
    wa.clock.advance(1)
    opened(wa, a)
    opened(wa, c)
    assert wa.graph.downloads == ["900", "901", "902"]
    opened(wa, b)
    assert wa.graph.downloads == ["900", "901", "902", "901"]


def test_files_are_deleted_after_the_retention(bounded: Desk) -> None:
    wa = bounded
    a, b = send_photos(wa, 2)
    opened(wa, a)
    wa.clock.advance(DAY)
    opened(wa, b)
    opened(wa, a)  # opening it does not extend its retention: counted from its download
    wa.clock.advance(DAY + 1)
    cache = root_of(wa.client.app).media
    assert cache.prune() == 1  # the scheduler's housekeeping, run by hand: a is gone
    assert len(cached_files(wa)) == 1
    opened(wa, a)
    opened(wa, b)
    assert wa.graph.downloads == ["900", "901", "900"]


def test_a_torn_file_is_fetched_again(wa: Desk) -> None:
    """A file cut short (a crash before its bytes reached the disk) is not served."""
    (url,) = send_photos(wa, 1)
    opened(wa, url)
    (kept,) = cached_files(wa)
    kept.write_bytes(kept.read_bytes()[:-10])
    assert opened(wa, url) == photo(0)
    assert wa.graph.downloads == ["900", "900"]


def test_telegram_files_are_downloaded_once(tg: Bot) -> None:
    tg.fake.files["AwAD-voice"] = (b"OggS-voice" * 40, "voice/file_7.oga")
    tg.update(tg.fake.content(CUSTOMER, {"voice": {"file_id": "AwAD-voice",
                                                   "file_unique_id": "v", "duration": 2}}))
    (ticket,) = tg.client.get(f"{API}/tickets", headers=ADMIN).json()["items"]
    messages = tg.client.get(f"{API}/tickets/{ticket['id']}/messages", headers=ADMIN).json()
    (voice,) = [m for m in messages["items"] if m["direction"] == "in"]
    url = f"{API}/tickets/{ticket['id']}/messages/{voice['id']}/media"
    for _ in range(2):
        r = tg.client.get(url, headers=ADMIN)
        assert r.status_code == 200 and r.headers["content-type"] == "audio/ogg"
    assert tg.fake.downloads == ["voice/file_7.oga"]
