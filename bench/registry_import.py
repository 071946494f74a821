"""Benchmark: the registry feed (`manage.py import_persons`) over a large file.

Issue 14 asks that 1,000,000 rows stay under 300 MB. This script writes a CSV of --rows
valid persons (region 110100, every 50th with a death date), migrates a scratch database
``<--db>`` on the server of DATABASE_URL, and runs the command three times in child
processes, printing wall time, rows/s and peak RSS of each:

1. ``--dry-run --report`` (reads and checks every row, writes nothing),
2. the import (every row created, report written),
3. the same file again (every row unchanged: the re-run after a crash).

Usage: DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
    .venv/bin/python bench/registry_import.py --rows 1000000
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.unbind_data import OPERATOR, ROOT, SETUP, drop, manage, recreate, url_for  # noqa: E402
from bench.unbind_runs import LAST_CPU, run_child  # noqa: E402

HEADER = "id_number,name,insurance_type,region_code,status,death_date\n"


def write_file(path: Path, rows: int) -> None:
    from families.idnumbers import make_resident_id

    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(rows):
            # 500 sequence numbers x 2 sexes per birth day: every number distinct.
            birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=i // 1000)
            sex = "M" if (i // 500) % 2 else "F"
            number = make_resident_id("110101", birth, i % 500, sex)
            death = "2026-11-01" if i % 50 == 0 else ""
            out.write(f"{number},参保人{i},employee,110100,normal,{death}\n")


def run_import(url: str, path: Path, report: Path, *extra: str) -> dict:
    wall, rss, stdout, _stderr = run_child(
        [sys.executable, str(ROOT / "manage.py"), "import_persons", str(path), "--operator",
         OPERATOR, "--report", str(report), *extra], url)
    return {"wall": wall, "rss": rss, "cpu": LAST_CPU["seconds"],
            "summary": re.sub(r"\s+", " ", stdout.strip())[-160:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="bench_registry")
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    admin_url = os.environ.get("DATABASE_URL", "")
    if not admin_url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://... (the server for the scratch database)")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()
    url = url_for(admin_url, args.db)
    recreate(admin_url, args.db)
    try:
        manage(url, "migrate", "--noinput", "-v", "0")
        manage(url, "shell", "-c", SETUP)
        with tempfile.TemporaryDirectory() as tmp:
            path, report = Path(tmp) / "persons.csv", Path(tmp) / "report.csv"
            write_file(path, args.rows)
            size = path.stat().st_size / 2**20
            print(f"{args.rows:,} rows, {size:.0f} MB file, load average "
                  f"{os.getloadavg()[0]:.2f}")
            print("| run | wall s | rows/s | CPU s | peak RSS MB |\n|---|---|---|---|---|")
            for label, extra in (("dry run", ("--dry-run",)), ("import", ()),
                                 ("same file again", ())):
                figures = run_import(url, path, report, *extra)
                print(f"| {label} | {figures['wall']:.1f} | {args.rows / figures['wall']:,.0f} "
                      f"| {figures['cpu']:.1f} | {figures['rss']} |")
                print(f"  {figures['summary']}", file=sys.stderr)
    finally:
        if not args.keep:
            drop(admin_url, args.db)


if __name__ == "__main__":
    main()
