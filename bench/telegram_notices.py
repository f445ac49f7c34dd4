"""How long an agent waits for the Telegram message of an assignment.

A real `giliran serve` (SQLite; 1 and 2 workers; the default 1 s tick) talks to a fake Bot API
server on loopback (giliran/channels/telegram/fake.py). One agent, linked and online, gets
tickets created one at a time through the API; for each, the time from sending the POST to the
fake receiving the sendMessage is measured. With several workers the API request and the
courier that sends the notice may be in different processes: then the notice waits for that
process's next pass (at most a tick), otherwise the commit wakes the courier at once.

    .venv/bin/python bench/telegram_notices.py [--tickets 200] [--workers 1,2]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import httpx

from _common import ADMIN_TOKEN, REPO, banner, giliran_server, median, percentile

sys.path.insert(0, str(REPO))
from giliran.channels.telegram.fake import FakeTelegram

SECRET = "bench-telegram-secret-0123"
CHAT = 4242
API = "/api/v1"


def wait(check: object, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the fake Bot API never got the message")
        time.sleep(0.0005)  # the measurement's resolution


def measure(workers: int, tickets: int, folder: Path) -> list[float]:
    with FakeTelegram() as fake:
        server = giliran_server(f"sqlite:///{folder / f'tg{workers}.db'}", workers,
                                folder / f"tg{workers}.log")
        server.env.update(GILIRAN_TELEGRAM_BOT_TOKEN=fake.token,
                          GILIRAN_TELEGRAM_API_URL=fake.url,
                          GILIRAN_TELEGRAM_WEBHOOK_SECRET=SECRET)
        server.start()
        try:
            admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
            with httpx.Client(base_url=server.base_url + API, headers=admin) as http:
                agent = http.post("/agents", json={"name": "A", "max_tickets": 1000}).json()
                code = http.post(f"/agents/{agent['id']}/telegram-code").json()
                for text in (code["send_to_bot"], "/online"):
                    http.post("/webhooks/telegram", json=fake.message(CHAT, text),
                              headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
                wait(lambda: len(fake.sent_to(CHAT)) == 2)
                took = []
                for i in range(tickets):
                    start = time.perf_counter()
                    http.post("/tickets", json={"title": f"lead {i}"})
                    wait(lambda n=i + 3: len(fake.sent_to(CHAT)) >= n)
                    took.append(time.perf_counter() - start)
            return took
        finally:
            server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--workers", default="1,2")
    args = parser.parse_args()
    banner("assignment → its Telegram message (fake Bot API on loopback, SQLite, 1 s tick)")
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (int(w) for w in args.workers.split(",")):
            took = sorted(t * 1000 for t in measure(workers, args.tickets, Path(tmp)))
            print(f"{workers} worker(s), {len(took)} assignments: p50 {median(took):.1f} ms, "
                  f"p90 {percentile(took, 90):.1f} ms, p99 {percentile(took, 99):.1f} ms, "
                  f"max {took[-1]:.1f} ms")


if __name__ == "__main__":
    main()
