"""How fast is mail taken in? The email channel's intake in process, per database.

Two figures per database:
- the normaliser alone (off the writer path: parsing, sanitising, folding quotes) on the
  test corpus's 57 messages, per message;
- `take_in` on the writer path (threading, the ticket or message, the original kept), for
  `--mails` mails: a third open a new thread, a third answer an earlier one by our token in
  the address, a third carry a 200 KB attachment. p50 and p99 per mail, mails per second, and
  the cost at the start and the end of the run (does it grow with the tickets already there?).

    .venv/bin/python bench/mail_intake.py [--db sqlite,postgres] [--mails 600]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import ADMIN_TOKEN, RESULTS, banner, parse_dbs, percentile, pg_cluster, write_json
from giliran.adapters.clock import FakeClock
from giliran.adapters.sql.migrate import upgrade
from giliran.adapters.sql.uow import connection_of
from giliran.bootstrap import bootstrap
from giliran.channels import registry
from giliran.channels.email.addresses import reply_address, token_for
from giliran.channels.email.intake import take_in
from giliran.channels.email.kept import KeptOriginals
from giliran.channels.email.mail import normalise
from giliran.channels.email.mailbox import new
from giliran.channels.email.store import SqlMailboxes
from giliran.config import Settings

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "email" / "corpus"
DESK = "support@desk.example"


def mail(n: int, to: str, subject: str, attachment: bytes | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Customer {n % 97} <customer{n % 97}@example.com>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = f"<bench-{n}@example.com>"
    msg.set_content(f"Message {n}\n\nOn Mon, someone wrote:\n> an earlier message\n")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf",
                           filename=f"file{n}.pdf")
    return msg.as_bytes()


def corpus_per_message() -> float:
    raws = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    took = []
    for _ in range(3):
        start = time.perf_counter()
        for raw in raws:
            normalise(raw, (DESK,))
        took.append((time.perf_counter() - start) / len(raws))
    return min(took)


def measure(url: str, mails: int) -> dict[str, Any]:
    c = bootstrap(Settings(database_url=url, admin_token=ADMIN_TOKEN, scheduler=False,
                           outbox=False), clock=FakeClock())
    upgrade(c.db, locations=registry.migration_dirs())
    ctx = c.ctx
    with ctx.uow(write=True) as uow:
        box = SqlMailboxes(connection_of(uow)).add(new(
            {"address": DESK, "queue": "default"}, "k" * 64, ctx.clock.now()))
        uow.commit()
    originals = KeptOriginals(ctx)
    attachment = bytes(range(256)) * 800  # 200 KB
    took: list[float] = []
    opened: list[int] = []
    try:
        for n in range(mails):
            if n % 3 == 1 and opened:
                to = reply_address(DESK, token_for(opened[-1], box.thread_key.encode()))
                raw = mail(n, to, f"Re: thread {n - 1}")
            else:
                raw = mail(n, DESK, f"thread {n}", attachment if n % 3 == 2 else None)
            parsed = normalise(raw, (DESK,))
            start = time.perf_counter()
            take_in(ctx, box, raw, parsed, originals)
            took.append(time.perf_counter() - start)
            if n % 3 == 0:
                with ctx.uow(write=False) as uow:
                    found = uow.tickets.by_external_id(f"email:bench-{n}@example.com")
                opened.append(found.id if found is not None else 0)
    finally:
        c.close()
    tenth = max(1, mails // 10)
    return {"mails": mails, "p50_ms": percentile(took, 50) * 1000,
            "p99_ms": percentile(took, 99) * 1000,
            "mails_per_s": len(took) / sum(took),
            "first_tenth_median_ms": statistics.median(took[:tenth]) * 1000,
            "last_tenth_median_ms": statistics.median(took[-tenth:]) * 1000}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--mails", type=int, default=600)
    args = parser.parse_args()
    per = corpus_per_message()
    banner("the normaliser on the corpus (57 messages)")
    print(f"  {per * 1000:.2f} ms per message (best of 3)")
    results: dict[str, Any] = {"normalise_ms_per_message": per * 1000}
    for db in parse_dbs(args.db):
        banner(f"take_in on {db}: {args.mails} mails (new threads, replies by token, "
               "200 KB attachments)")
        if db == "sqlite":
            with tempfile.TemporaryDirectory() as tmp:
                results[db] = measure(f"sqlite:///{tmp}/bench.db", args.mails)
        else:
            with pg_cluster() as cluster:
                cluster.psql("CREATE DATABASE email_bench")
                results[db] = measure(cluster.url("email_bench"), args.mails)
        r = results[db]
        print(f"  p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
              f"{r['mails_per_s']:.0f} mails/s; median of the first tenth "
              f"{r['first_tenth_median_ms']:.1f} ms, "
              f"of the last {r['last_tenth_median_ms']:.1f} ms")
    write_json(RESULTS / "mail_intake.json", results)


if __name__ == "__main__":
    main()
