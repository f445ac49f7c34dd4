"""Run the whole benchmark (intake, ceiling, scaling) and print a summary table.

Intake and the same-work ceiling run back to back in pairs (`--pairs`, at least 3): on a shared
machine one pair moves by 0.1 or more, so the ratios reported are medians over the pairs. The
three-row ceiling runs once, after them, as a second labelled line.

    make bench                      # or: .venv/bin/python bench/run_all.py
    .venv/bin/python bench/run_all.py --db sqlite --duration 5 --reps 100

Figures are printed, and kept as JSON under bench/results/ (gitignored) with the server logs.
Nothing here fails on timing: the targets are reported as met / NOT met.
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import BENCH, RESULTS, banner, ms, read_json

TARGET_RATIO = 0.7  # product / same-work ceiling, median of the pairs
TARGET_P99_FACTOR = 2.0  # product p99 <= this x the same-work ceiling's p99
TARGET_SCALING = 2.0


def source_state() -> str:
    """Which code was measured: the commit, and a digest of uncommitted changes under src/."""
    import hashlib

    def git(*a: str) -> str:
        out = subprocess.run(["git", *a], cwd=BENCH.parent, capture_output=True, text=True)
        return out.stdout if out.returncode == 0 else ""

    head = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    diff = git("diff", "HEAD", "--", "src")
    untracked = git("ls-files", "--others", "--exclude-standard", "--", "src").split()
    for path in untracked:  # new files count as changes too
        diff += path + (BENCH.parent / path).read_text(errors="replace")
    if not diff:
        return f"commit {head}, src/ clean"
    files = len(git("diff", "HEAD", "--name-only", "--", "src").split()) + len(untracked)
    digest = hashlib.sha256(diff.encode()).hexdigest()[:10]
    return f"commit {head} + uncommitted changes in {files} file(s) under src/ (digest {digest})"


def run(script: str, *args: str) -> None:
    cmd = [sys.executable, str(BENCH / script), *args]
    print(f"\n$ {' '.join(cmd)}", flush=True)
    subprocess.run(cmd, check=True)


def _flag(run_: dict[str, Any]) -> str:
    return "*" if run_.get("cpu_foreign", 0) > 0.3 else ""


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _by_key(results: list[dict[str, Any]] | None) -> dict[tuple[str, int], dict[str, Any]]:
    return {(d["db"], r["connections"]): r for d in results or [] for r in d["runs"]}


def pairs_summary(pairs: list[tuple[list[dict[str, Any]], dict[str, Any]]],
                  three_row: dict[str, Any] | None) -> None:
    """Per database and connection count: medians over the back-to-back pairs of product req/s,
    same-work ceiling req/s, their ratio and the ratio of their p99s; targets met or not."""
    print(f"intake: POST /api/v1/tickets -> assigned, against the same-work ceiling; medians of "
          f"{len(pairs)} back-to-back pairs (wrk -t2; SQLite 1 worker, PostgreSQL 2 workers)")
    print(f"  {'db':<9}{'conns':>5}  {'giliran req/s':>13} {'p99':>9}  {'ceiling req/s':>13} "
          f"{'p99':>9}  {'ratio':>5} (pairs)              {'p99 x':>5}  targets")
    keys = sorted({k for product, _ in pairs for k in _by_key(product)})
    three = _by_key((three_row or {}).get("ceiling"))
    for key in keys:
        found = [(_by_key(product).get(key), _by_key(ceiling.get("ceiling")).get(key))
                 for product, ceiling in pairs]
        both = [(p, c) for p, c in found if p and c and c["rps"]]
        if not both:
            continue
        ratios = [p["rps"] / c["rps"] for p, c in both]
        p99s = [p["lat_p99_us"] / c["lat_p99_us"] for p, c in both]
        ratio, p99 = _median(ratios), _median(p99s)
        notes = [f"ratio>={TARGET_RATIO}: {'met' if ratio >= TARGET_RATIO else 'NOT met'}",
                 f"p99<={TARGET_P99_FACTOR:g}x: {'met' if p99 <= TARGET_P99_FACTOR else 'NOT met'}"]
        if len(both) < 3:
            notes.append(f"only {len(both)} pair(s): not a median of three")
        each = " ".join(f"{r:.2f}" for r in ratios)
        print(f"  {key[0]:<9}{key[1]:>5}  {_median([p['rps'] for p, _ in both]):>13.0f} "
              f"{ms(_median([p['lat_p99_us'] for p, _ in both]))}  "
              f"{_median([c['rps'] for _, c in both]):>13.0f} "
              f"{ms(_median([c['lat_p99_us'] for _, c in both]))}  {ratio:>5.2f} "
              f"({each}){'':<{max(0, 20 - len(each))}} {p99:>5.2f}  {'; '.join(notes)}")
        t = three.get(key)
        if t:
            last = both[-1][0]
            print(f"  {'':<9}{'':>5}  {'':>13} {'':>9}  {t['rps']:>13.0f} {ms(t['lat_p99_us'])}  "
                  f"{last['rps'] / t['rps']:>5.2f}   <- three-row ceiling (ticket, agent, counter; "
                  f"one run, against the last pair's product)")
    flagged = any(r.get("cpu_foreign", 0) > 0.3 for product, ceiling in pairs
                  for d in [*product, *ceiling.get("ceiling", [])] for r in d["runs"])
    if flagged:
        print("  (other processes used > 0.3 cores during some runs; see the runs' lines)")


def summary(pairs: list[tuple[list[dict[str, Any]], dict[str, Any]]],
            three_row: dict[str, Any] | None, scaling: list[dict[str, Any]] | None) -> None:
    banner("SUMMARY")
    if pairs:
        pairs_summary(pairs, three_row)
    if scaling:
        sizes = list(scaling[0]["sizes"])
        print(f"\nscaling: one service call per floor size ({', '.join(sizes)}); ratio to "
              f"{sizes[0]}, target <= {TARGET_SCALING:g}x")
        header = "".join(f"{size + ' median':>16}" for size in sizes)
        print(f"  {'db':<9}{'operation':<14}{header}  ratios")
        for d in scaling:
            for op in ("dispatch", "complete", "create", "tick idle", "tick escalate"):
                cols = "".join(f"{ms(d['sizes'][size]['stats'][op]['median_us']):>16}"
                               for size in sizes)
                ratios = [d["ratios_by_size"][size][op]["median"] for size in sizes[1:]]
                worst = max(ratios)
                print(f"  {d['db']:<9}{op:<14}{cols}  "
                      f"{' '.join(f'{r:.2f}x' for r in ratios)}  "
                      f"{'met' if worst <= TARGET_SCALING else 'NOT met'}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="sqlite,postgres")
    p.add_argument("--duration", default="10")
    p.add_argument("--warmup", default="2")
    p.add_argument("--connections", default="16,64")
    p.add_argument("--reps", default="200")
    p.add_argument("--pairs", type=int, default=3,
                   help="back-to-back product / same-work ceiling pairs (medians need 3+)")
    p.add_argument("--sizes", default="small,large,huge",
                   help="scaling sizes; huge (50,000 agents / 1,000,000 queued) takes about "
                        "a minute per database to build: small,large for a quicker run")
    p.add_argument("--summary-only", action="store_true",
                   help="reprint the summary from bench/results/*.json")
    args = p.parse_args()
    started = time.monotonic()
    before = source_state()
    print(f"giliran bench on {platform.node()}: {platform.python_implementation()} "
          f"{platform.python_version()}, {__import__('os').cpu_count()} CPUs; {before}",
          flush=True)
    scaling_json = RESULTS / "scaling.json"
    three_json = RESULTS / "ceiling-three-row.json"
    if not args.summary_only:
        for old in RESULTS.glob("pair-*.json"):
            old.unlink()
        load = ["--db", args.db, "--duration", args.duration, "--warmup", args.warmup,
                "--connections", args.connections]
        for n in range(1, args.pairs + 1):
            intake_json = RESULTS / f"pair-{n}-intake.json"
            run("intake.py", *load, "--json", str(intake_json))
            run("ceiling.py", *load, "--work", "same", "--product-json", str(intake_json),
                "--json", str(RESULTS / f"pair-{n}-ceiling.json"))
        run("ceiling.py", *load, "--work", "three-row", "--product-json", str(intake_json),
            "--json", str(three_json))
        run("scaling.py", "--db", args.db, "--reps", args.reps, "--sizes", args.sizes,
            "--json", str(scaling_json))
    pairs = []
    for intake_json in sorted(RESULTS.glob("pair-*-intake.json")):
        product = read_json(intake_json)
        ceiling = read_json(intake_json.with_name(intake_json.name.replace("intake", "ceiling")))
        if product and ceiling:
            pairs.append((product, ceiling))
    summary(pairs, read_json(three_json), read_json(scaling_json))
    if not args.summary_only:
        after = source_state()
        if after != before:
            print(f"\nWARNING: the code under src/ changed while the benchmark ran "
                  f"(now: {after}); servers started before the change ran the old code. "
                  f"Re-run for figures of one version.")
    print(f"\n(total {time.monotonic() - started:.0f}s; JSON and server logs in {RESULTS})")


if __name__ == "__main__":
    main()
