"""What open dashboards cost the server, and how soon a new ticket shows on a page.

One `giliran serve` (one process, SQLite, the default settings: events polled every 0.25 s),
10 agents online, and in one headless Chromium (Debian's, via Playwright) 12 pages: each agent's
page and 2 supervisor pages. Tickets are posted one at a time, a random 0-250 ms apart (arrivals
fall anywhere in a poll period, as real ones do). Printed:
- extra HTTP requests per posted ticket: every API request the 12 pages made from the first
  POST until they were quiet again (1 s without a request after the last ticket showed), per
  ticket; where the server counts requests (giliran_http_requests_total in /metrics), its count
  minus the POSTs as well, which must agree;
- new-ticket-on-page latency: from just before the POST is sent to the first page whose DOM
  shows the ticket (a MutationObserver in every page notes Date.now() when an element for it is
  added: a card in an agent's queue or pick-up list, a row of a supervisor's ticket list).

    .venv/bin/python bench/pages.py [--tickets 100] [--giliran PATH] [--poll S] [--json PATH]

`--giliran` runs another tree's server (e.g. the code before a change: its .venv/bin/giliran);
the pages are the ones that server serves.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Browser, Page, sync_playwright

from _common import ADMIN_TOKEN, BIN, Server, banner, free_port, median, percentile, write_json

API = "/api/v1"
AGENTS = 10
SUPERVISORS = 2
TARGET_EXTRA = 0.1
TARGET_P50_MS = 100.0
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
COUNTED = "giliran_http_requests_total{"
# Notes when each ticket first appears in the page (ticket ids on the cards and rows).
OBSERVER = """
window.__seen = {};
new MutationObserver((records) => {
  const now = Date.now();
  for (const record of records) {
    for (const node of record.addedNodes) {
      if (node.nodeType !== 1) continue;
      for (const el of [node, ...node.querySelectorAll("[data-id], [data-ticket-id]")]) {
        const inList = el.closest?.("#queue-list, #pickup-list");
        const id = el.dataset?.ticketId ?? (inList ? el.dataset?.id : undefined);
        if (id && !(id in window.__seen)) window.__seen[id] = now;
      }
    }
  }
}).observe(document, { childList: true, subtree: true });
"""


def serve(giliran: Path, database_url: str, log: Path, poll: float | None) -> Server:
    port = free_port()
    env = {"GILIRAN_DATABASE_URL": database_url, "GILIRAN_ADMIN_TOKEN": ADMIN_TOKEN,
           "GILIRAN_LOG_LEVEL": "warning"}
    if poll is not None:
        env["GILIRAN_EVENT_POLL_SECONDS"] = str(poll)
    return Server(
        argv=[str(giliran), "serve", "--host", "127.0.0.1", "--port", str(port),
              "--workers", "1", "--no-access-log"],
        env=env, port=port, log_path=log)


def server_count(http: httpx.Client) -> float | None:
    """Every API request the server answered so far; None where it does not count them."""
    text = http.get("/metrics").text
    lines = [ln for ln in text.splitlines() if ln.startswith(COUNTED)]
    return sum(float(ln.rsplit(" ", 1)[1]) for ln in lines) if lines else None


def open_page(browser: Browser, base: str, path: str, key: str, token: str,
              requests: list[str]) -> Page:
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    context.add_init_script(f"localStorage.setItem({json.dumps(key)}, {json.dumps(token)});")
    context.add_init_script(OBSERVER)
    page = context.new_page()
    page.on("request", lambda r: API in r.url and requests.append(r.url))
    page.goto(base + path)
    page.locator("#live[data-state=live]").wait_for(timeout=30_000)
    return page


def run(giliran: Path, tickets: int, folder: Path, poll: float | None) -> dict[str, Any]:
    server = serve(giliran, f"sqlite:///{folder / 'giliran.db'}", folder / "server.log", poll)
    server.start()
    try:
        return drive(server, tickets)
    finally:
        server.stop()


def drive(server: Server, tickets: int) -> dict[str, Any]:
    admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    with httpx.Client(base_url=server.base_url + API, headers=admin, timeout=30) as http, \
            httpx.Client(base_url=server.base_url, timeout=30) as probe, \
            sync_playwright() as playwright:
        room = math.ceil(tickets / AGENTS) + 5
        agents = []
        for i in range(AGENTS):
            made = http.post("/agents", json={"name": f"Agent {i}", "max_tickets": room})
            made.raise_for_status()
            token = made.json()["token"]
            http.post("/agent/go-online", headers={"Authorization": f"Bearer {token}"})
            agents.append(token)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        requests: list[str] = []
        pages = [open_page(browser, server.base_url, "/", "giliran.agentToken", t, requests)
                 for t in agents]
        pages += [open_page(browser, server.base_url, "/admin", "giliran.adminToken",
                            ADMIN_TOKEN, requests) for _ in range(SUPERVISORS)]
        quiet(pages[0], requests)
        requests.clear()
        counted_before = server_count(probe)
        rng = random.Random(7)
        sent: dict[str, float] = {}
        for i in range(tickets):
            pages[0].wait_for_timeout(rng.uniform(0, 250))  # the browser runs meanwhile
            at = time.time() * 1000
            answer = http.post("/tickets", json={"title": f"Page bench {i}"})
            answer.raise_for_status()
            sent[str(answer.json()["id"])] = at
        shown = wait_shown(pages, set(sent))
        quiet(pages[0], requests)
        counted_after = server_count(probe)
        browser.close()
    latency = sorted(shown[i] - sent[i] for i in sent)
    # The server counted the POSTs and the second /metrics too (each scrape counts itself).
    extra_server = (None if counted_before is None or counted_after is None
                    else (counted_after - counted_before - tickets - 1) / tickets)
    return {"tickets": tickets, "page_requests": len(requests),
            "extra_per_ticket": len(requests) / tickets,
            "extra_per_ticket_server": extra_server,
            "by_path": _by_path(requests),
            "p50_ms": median(latency), "p90_ms": percentile(latency, 90),
            "p99_ms": percentile(latency, 99), "max_ms": latency[-1]}


def _by_path(requests: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for url in requests:
        path = url.split(API, 1)[1].split("?", 1)[0]
        found[path] = found.get(path, 0) + 1
    return dict(sorted(found.items(), key=lambda kv: -kv[1]))


def wait_shown(pages: list[Page], ids: set[str], timeout: float = 60.0) -> dict[str, float]:
    """When each ticket first showed, on whichever page."""
    deadline = time.monotonic() + timeout
    while True:
        first: dict[str, float] = {}
        for page in pages:
            for tid, at in page.evaluate("window.__seen").items():
                if tid in ids and (tid not in first or at < first[tid]):
                    first[tid] = at
        if ids <= set(first) or time.monotonic() > deadline:
            missing = ids - set(first)
            if missing:
                raise TimeoutError(f"{len(missing)} tickets never showed on a page")
            return first
        pages[0].wait_for_timeout(100)


def quiet(page: Page, requests: list[str], still: float = 1000.0) -> None:
    """Until the pages made no request for `still` ms."""
    while True:
        seen = len(requests)
        page.wait_for_timeout(still)
        if len(requests) == seen:
            return


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100)
    parser.add_argument("--giliran", type=Path, default=BIN / "giliran")
    parser.add_argument("--poll", type=float, default=None,
                        help="GILIRAN_EVENT_POLL_SECONDS (default: the server's, 0.25)")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    poll = "default" if args.poll is None else f"{args.poll:g} s"
    banner(f"{AGENTS} agent pages + {SUPERVISORS} supervisor pages, one Chromium; "
           f"one `giliran serve` process on SQLite (event poll: {poll}); {args.tickets} "
           f"tickets, 0-250 ms apart")
    with tempfile.TemporaryDirectory() as tmp:
        res = run(args.giliran.resolve(), args.tickets, Path(tmp), args.poll)
    extra = res["extra_per_ticket"]
    print(f"extra requests per posted ticket: {extra:.3f} (pages' own count, "
          f"{res['page_requests']} requests)   (target <= {TARGET_EXTRA}: "
          f"{'met' if extra <= TARGET_EXTRA else 'NOT met'})")
    if res["extra_per_ticket_server"] is not None:
        print(f"  the server's counters: {res['extra_per_ticket_server']:.3f} per ticket")
    print(f"  by path: {res['by_path']}")
    print(f"new ticket on a page: p50 {res['p50_ms']:.0f} ms, p90 {res['p90_ms']:.0f} ms, "
          f"p99 {res['p99_ms']:.0f} ms, max {res['max_ms']:.0f} ms   (target p50 <= "
          f"{TARGET_P50_MS:.0f} ms: {'met' if res['p50_ms'] <= TARGET_P50_MS else 'NOT met'})",
          flush=True)
    write_json(args.json, res)


if __name__ == "__main__":
    sys.exit(main())
