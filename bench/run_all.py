"""Run the whole benchmark (intake, ceiling, scaling) and print a summary table.

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

TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0
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


def summary(intake: list[dict[str, Any]] | None, ceiling: dict[str, Any] | None,
            scaling: list[dict[str, Any]] | None) -> None:
    banner("SUMMARY")
    if intake:
        ceil_runs = {(c["db"], r["connections"]): r
                     for c in (ceiling or {}).get("ceiling", []) for r in c["runs"]}
        print("intake: POST /api/v1/tickets -> assigned (wrk -t2, req/s = assignments/s)")
        print(f"  {'db':<9}{'conns':>5}  {'giliran req/s':>13} {'p50':>9} {'p99':>9}"
              f"  {'ceiling req/s':>13} {'p50':>9} {'p99':>9}  {'ratio':>5}  {'assigned':>8}"
              f"  targets")
        for p in intake:
            for r in p["runs"]:
                c = ceil_runs.get((p["db"], r["connections"]))
                ratio = r["rps"] / c["rps"] if c and c["rps"] else None
                notes = []
                if ratio is not None:
                    met = "met" if ratio >= TARGET_RATIO else "NOT met"
                    notes.append(f"ratio>={TARGET_RATIO}: {met}")
                if p["db"] == "sqlite" and r["connections"] == 16:
                    ok = r["lat_p99_us"] / 1000 <= TARGET_P99_MS
                    notes.append(f"p99<={TARGET_P99_MS:g}ms: {'met' if ok else 'NOT met'}")
                c_cols = (f"{c['rps']:>12.0f}{_flag(c):1} {ms(c['lat_p50_us'])} "
                          f"{ms(c['lat_p99_us'])}" if c else f"{'-':>13} {'-':>9} {'-':>9}")
                print(f"  {p['db']:<9}{r['connections']:>5}  {r['rps']:>12.0f}{_flag(r):1} "
                      f"{ms(r['lat_p50_us'])} {ms(r['lat_p99_us'])}  {c_cols}  "
                      f"{ratio if ratio is not None else float('nan'):>5.2f}  "
                      f"{p['assigned_fraction']:>8.4f}  {'; '.join(notes)}")
        print("  (* = other processes used > 0.3 cores during that run; see the run's line)")
    if scaling:
        print("\nscaling: one service call, 5 agents/10 queued vs 5,000 agents/100,000 queued")
        print(f"  {'db':<9}{'operation':<10}{'small median':>13}{'small p99':>11}"
              f"{'large median':>14}{'large p99':>11}{'large/small':>12}  target <= "
              f"{TARGET_SCALING:g}x")
        for d in scaling:
            for op in ("dispatch", "complete", "create"):
                s = d["sizes"]["small"]["stats"][op]
                lg = d["sizes"]["large"]["stats"][op]
                r = d["ratios"][op]["median"]
                print(f"  {d['db']:<9}{op:<10}{ms(s['median_us']):>13}{ms(s['p99_us']):>11}"
                      f"{ms(lg['median_us']):>14}{ms(lg['p99_us']):>11}{r:>11.1f}x  "
                      f"{'met' if r <= TARGET_SCALING else 'NOT met'}")
        print("  (create includes counting the queued tickets ahead of the new one for its\n"
              "   queue_position, which grows with the backlog; it runs after the commit)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--db", default="sqlite,postgres")
    p.add_argument("--duration", default="10")
    p.add_argument("--warmup", default="2")
    p.add_argument("--connections", default="16,64")
    p.add_argument("--reps", default="200")
    p.add_argument("--summary-only", action="store_true",
                   help="reprint the summary from bench/results/*.json")
    args = p.parse_args()
    started = time.monotonic()
    before = source_state()
    print(f"giliran bench on {platform.node()}: {platform.python_implementation()} "
          f"{platform.python_version()}, {__import__('os').cpu_count()} CPUs; {before}",
          flush=True)
    intake_json, ceiling_json, scaling_json = (RESULTS / "intake.json", RESULTS / "ceiling.json",
                                               RESULTS / "scaling.json")
    if not args.summary_only:
        load = ["--db", args.db, "--duration", args.duration, "--warmup", args.warmup,
                "--connections", args.connections]
        run("intake.py", *load, "--json", str(intake_json))
        run("ceiling.py", *load, "--product-json", str(intake_json), "--json", str(ceiling_json))
        run("scaling.py", "--db", args.db, "--reps", args.reps, "--json", str(scaling_json))
    summary(read_json(intake_json), read_json(ceiling_json), read_json(scaling_json))
    if not args.summary_only:
        after = source_state()
        if after != before:
            print(f"\nWARNING: the code under src/ changed while the benchmark ran "
                  f"(now: {after}); servers started before the change ran the old code. "
                  f"Re-run for figures of one version.")
    print(f"\n(total {time.monotonic() - started:.0f}s; JSON and server logs in {RESULTS})")


if __name__ == "__main__":
    main()
