"""Benchmark: `batch_unbind` against django-simple-history's `bulk_update_with_history`.

    .venv/bin/python bench/batch_unbind.py --links 100000
    make bench-unbind LINKS=100000

PostgreSQL only (DATABASE_URL=postgres://user@host:port/any-db: the server to use). The
benchmark never touches that database's data: it creates its own databases,
``<--db>_tpl`` (migrated and filled once) and ``<--db>`` (a fresh copy per measured run,
``CREATE DATABASE ... TEMPLATE``), and drops both at the end unless ``--keep``.

Data (bench/unbind_data.py): N/2 deceased holders, each with one active binding and one
active co-pay authorization to his own relative (N links to end, every one with its "+"
history row), plus N/10 live links of living persons that must stay. Loaded with COPY.

Measured, each in its own child process (bench/unbind_runs.py; peak RSS from wait4):
1. ``manage.py batch_unbind --deceased --reason 死亡 --report FILE`` (history rows and
   audit events included; the report file too);
2. on an identical fresh copy, the database's floor for the same writes
   (bench/unbind_floor.py: set-based SQL per table over ``--workers`` connections, no
   report, no chunks); prints batch_unbind / floor and the checkpoints PostgreSQL ran
   during each (pg_stat_bgwriter), both measured in the same run under the same load;
3. on an identical fresh copy (unless --skip-bulk), ``bulk_update_with_history`` in chunks of 5,000 (objects
   loaded with the ORM), then the project's bulk audit path
   ``record_events_for_history`` on those history rows, timed separately.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.unbind_data import (  # noqa: E402
    OPERATOR,
    REASON,
    build_template,
    checkpoints,
    connect,
    drop,
    recreate,
    url_for,
    verify,
)
from bench.unbind_floor import run_floor  # noqa: E402
from bench.unbind_runs import bulk_worker, job_worker, run_batch, run_bulk, run_job  # noqa: E402


def load() -> str:
    """The 1/5/15-minute load averages: the machine may be shared (note them with figures)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- main -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=100_000, help="links to end [100000]")
    parser.add_argument("--chunk-size", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2,
                        help="batch_unbind --workers (database connections) [2]")
    parser.add_argument("--db", default="bench_unbind", help="scratch database name")
    parser.add_argument("--skip-bulk", action="store_true",
                        help="only batch_unbind (e.g. for 1,000,000 links)")
    parser.add_argument("--rounds", type=int, default=1,
                        help="batch_unbind + floor pairs, alternating (shared machines) [1]")
    parser.add_argument("--keep", action="store_true", help="keep the scratch databases")
    parser.add_argument("--job", action="store_true",
                        help="also run it as a 批量处理 job (task body) on a fresh copy")
    parser.add_argument("--worker", choices=["bulk", "job"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "job":
        return job_worker(args.chunk_size, args.workers)
    if args.worker:
        return bulk_worker(args.chunk_size)

    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        raise SystemExit("DATABASE_URL must point at a PostgreSQL server (postgres://...)")
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", args.db):
        raise SystemExit("--db: lower-case letters, digits and _ only")
    template, target = f"{args.db}_tpl", args.db
    template_url, target_url = url_for(server, template), url_for(server, target)

    print(f"building {args.links:,} links in {template} (load average {load()}) ...",
          flush=True)
    started = time.perf_counter()
    recreate(server, template)
    sizes = build_template(template_url, args.links)
    print(f"  {sizes['persons']:,} persons, {sizes['links']:,} links to end, "
          f"{sizes['untouched']:,} live links that stay; {time.perf_counter() - started:.0f} s",
          flush=True)
    try:
        links = sizes["links"]
        ratios = []
        for round_ in range(1, args.rounds + 1):
            recreate(server, target, template)
            before = checkpoints(server)
            with tempfile.TemporaryDirectory() as tmp:
                batch = run_batch(target_url, args.chunk_size, Path(tmp) / "report.csv",
                                  args.workers)
            batch_checkpoints = checkpoints(server) - before
            batch_rate = links / batch["seconds"]
            print(f"[{round_}] batch_unbind --workers {args.workers}: {batch['seconds']:.2f} s in "
                  f"the command ({batch['wall']:.2f} s wall with start-up), {batch_rate:,.0f} "
                  f"links/s, peak RSS {batch['rss_mb']} MB, checkpoints {batch_checkpoints}, "
                  f"client CPU {batch['cpu']:.1f} s (start-up included)")
            print(f"  {batch['summary']}")
            print(f"  {verify(target_url, links, sizes['untouched'])}")
            recreate(server, target, template)
            before = checkpoints(server)
            floor = run_floor(lambda: connect(target_url), OPERATOR, REASON, args.workers)
            floor_checkpoints = checkpoints(server) - before
            print(f"[{round_}] floor ({args.workers} connections, set-based SQL): {floor:.2f} s, "
                  f"{links / floor:,.0f} links/s, checkpoints {floor_checkpoints}")
            print(f"  {verify(target_url, links, sizes['untouched'])}")
            ratios.append(floor / batch["seconds"])
            print(f"[{round_}] batch_unbind / floor = {ratios[-1]:.2f} (load average "
                  f"{load()})", flush=True)
        if args.job:
            recreate(server, target, template)
            job = run_job(target_url, args.chunk_size, args.workers)
            print(f"as a job (batch_job_run, workers {args.workers}): {job['seconds']:.2f} s, "
                  f"{links / job['seconds']:,.0f} links/s, peak RSS {job['rss_mb']} MB, "
                  f"{job['outcome']}, done {job['done']:,}")
            print(f"  {verify(target_url, links, sizes['untouched'])}")
        if len(ratios) > 1:
            print(f"batch_unbind / floor over {len(ratios)} rounds: "
                  + ", ".join(f"{r:.2f}" for r in ratios)
                  + f" (median {statistics.median(ratios):.2f})")
        if not args.skip_bulk:
            recreate(server, target, template)
            bulk = run_bulk(target_url, args.chunk_size)
            history_rate = links / bulk["history_seconds"]
            total = bulk["history_seconds"] + bulk["audit_seconds"]
            print(f"bulk_update_with_history: {bulk['history_seconds']:.2f} s, "
                  f"{history_rate:,.0f} links/s (history rows only); + record_events_for_history "
                  f"{bulk['audit_seconds']:.2f} s = {total:.2f} s, {links / total:,.0f} links/s; "
                  f"peak RSS {bulk['rss_mb']} MB")
            print(f"  {verify(target_url, links, sizes['untouched'])}")
            print(f"ratio: batch_unbind is {batch_rate / history_rate:.1f}x faster than "
                  f"bulk_update_with_history alone, {batch_rate * total / links:.1f}x faster "
                  "with audit events")
    finally:
        if not args.keep:
            drop(server, target)
            drop(server, template)


if __name__ == "__main__":
    main()
