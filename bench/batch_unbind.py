"""Benchmark: `batch_unbind` against django-simple-history's `bulk_update_with_history`.

    .venv/bin/python bench/batch_unbind.py --links 100000
    make bench-unbind LINKS=100000

PostgreSQL only (DATABASE_URL=postgres://user@host:port/any-db: the server to use). The
benchmark never touches that database's data: it creates its own databases,
``<--db>_tpl`` (migrated and filled once) and ``<--db>`` (a fresh copy per measured run,
``CREATE DATABASE ... TEMPLATE``), and drops both at the end unless ``--keep``.

Data: N/2 deceased holders, each with one active binding and one active co-pay
authorization to his own relative (N links to end, every one with its "+" history row),
plus N/10 live links of living persons that must stay. Persons carry valid resident ID
numbers (families.idnumbers.make_resident_id). Loaded with COPY.

Measured, each in its own child process (peak RSS from wait4):
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
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.unbind_floor import run_floor  # noqa: E402

REGION_CODE = "110100"
OPERATOR = "bench"
REASON = "死亡"


# --- database plumbing ----------------------------------------------------------------------


def _url_for(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{dbname}"))


def _connect(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(
        dbname=parts.path.lstrip("/") or "postgres", user=parts.username,
        password=parts.password, host=parts.hostname or "127.0.0.1", port=parts.port or 5432,
        autocommit=True)


def _recreate(admin_url: str, name: str, template: str | None = None) -> None:
    with _connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        # Copying a template writes the whole database to the WAL; flush it now so the
        # checkpoint does not land in the middle of the measured run.
        conn.execute("CHECKPOINT")


def _drop(admin_url: str, name: str) -> None:
    with _connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
            "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0"}


def _manage(url: str, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=_env(url), check=True,
                   cwd=ROOT, stdout=subprocess.DEVNULL)


# --- the data set ------------------------------------------------------------------------------


SETUP = f"""
from audit.services import save_audited
from accounts.models import Region, User
region = Region(code="{REGION_CODE}", name="北京市")
save_audited(region, actor=None, reason="bench", action="created")
user = User(username="{OPERATOR}", is_staff=True, is_superuser=True)
user.set_unusable_password()
save_audited(user, actor=None, reason="bench", action="created")
"""


def build_template(url: str, links: int) -> dict[str, int]:
    """Migrate and fill the template database; returns what it holds."""
    from families.idnumbers import make_resident_id

    _manage(url, "migrate", "--noinput", "-v", "0")
    _manage(url, "shell", "-c", SETUP)
    pairs, extra = links // 2, max(1, links // 20)
    persons = 2 * (pairs + extra)
    now = datetime.datetime.now(datetime.UTC)
    decided = now - datetime.timedelta(days=400)
    with _connect(url) as conn:
        region_id = conn.execute("SELECT id FROM accounts_region WHERE code = %s",
                                 [REGION_CODE]).fetchone()[0]
        with conn.cursor() as cur, cur.copy(
            "COPY families_person (id, id_type, id_number, name, sex, birth_date, phone, "
            "insurance_type, insured_region_id, insurance_status, death_date) FROM STDIN"
        ) as copy:
            for i in range(1, persons + 1):
                birth = datetime.date(1940, 1, 1) + datetime.timedelta(days=i // 1000)
                sex = "M" if (i // 500) % 2 else "F"
                dead = datetime.date(2026, 1, 5) if i <= pairs else None
                copy.write_row((i, "resident_id", make_resident_id("110101", birth, i % 500, sex),
                                f"参保人{i}", sex, birth, "", "employee", region_id, "normal",
                                dead))
        for table, columns in (
            ("families_binding", "holder_id, member_id, relationship, channel, status, "
             "consent_method, commitment_signed, applied_at, decided_at, decision_reason, "
             "end_reason, channel_request_number, face_verification_ref"),
            ("families_copayauthorization", "authorizer_id, beneficiary_id, relationship, "
             "channel, status, consent_method, commitment_signed, applied_at, decided_at, "
             "decision_reason, end_reason, channel_request_number, face_verification_ref, "
             "reserve, filing_number, suspended_reason"),
        ):
            copay = table == "families_copayauthorization"
            with conn.cursor() as cur, cur.copy(
                f"COPY {table} (id, {columns}) FROM STDIN"
            ) as copy:
                link_id = 0
                for first, second in [(i, pairs + i) for i in range(1, pairs + 1)] + [
                        (2 * pairs + j, 2 * pairs + extra + j) for j in range(1, extra + 1)]:
                    link_id += 1
                    row = [link_id, first, second, "child", "counter" if copay else "wechat",
                           "active", "counter" if copay else "face", True, decided, decided,
                           "", "", "", ""]
                    if copay:
                        row += ["0.00", "", ""]
                    copy.write_row(row)
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                         f"(SELECT max(id) FROM {table}))")
            history = table.replace("families_", "families_historical")
            cols = [r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = %s "
                "ORDER BY ordinal_position", [table]).fetchall()]
            col_list = ", ".join(cols)
            conn.execute(
                f"INSERT INTO {history} ({col_list}, history_date, history_change_reason, "
                f"history_type) SELECT {col_list}, applied_at, 'bench', '+' FROM {table}")
        conn.execute("SELECT setval(pg_get_serial_sequence('families_person', 'id'), %s)",
                     [persons])
        conn.execute("VACUUM ANALYZE")
    return {"persons": persons, "links": 2 * pairs, "untouched": 2 * extra}


# --- measured runs ----------------------------------------------------------------------------


def _run_child(args: list[str], url: str) -> tuple[float, int, str, str]:
    """(wall seconds, peak RSS in MB, stdout, stderr) of a child process."""
    out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()
    started = time.perf_counter()
    process = subprocess.Popen(args, env=_env(url), cwd=ROOT, stdout=out, stderr=err)
    _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    out.seek(0)
    err.seek(0)
    stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"child failed ({process.returncode}): {args}\n{stdout}\n{stderr}")
    return wall, usage.ru_maxrss // 1024, stdout, stderr


def run_batch(url: str, chunk_size: int, report: Path, workers: int) -> dict:
    wall, rss, stdout, _stderr = _run_child(
        [sys.executable, str(ROOT / "manage.py"), "batch_unbind", "--deceased", "--reason",
         REASON, "--operator", OPERATOR, "--chunk-size", str(chunk_size), "--report",
         str(report), "--workers", str(workers), "--verbosity", "0"], url)
    seconds = float(re.search(r"用时 ([\d.]+) 秒", stdout).group(1))
    return {"wall": wall, "seconds": seconds, "rss_mb": rss, "summary": stdout.strip()}


def verify(url: str, expected: int, untouched: int) -> str:
    with _connect(url) as conn:
        def one(sql: str) -> int:
            return conn.execute(sql).fetchone()[0]

        ended = (one("SELECT count(*) FROM families_binding WHERE status = 'unbound'")
                 + one("SELECT count(*) FROM families_copayauthorization "
                       "WHERE status = 'revoked'"))
        live = (one("SELECT count(*) FROM families_binding WHERE status = 'active'")
                + one("SELECT count(*) FROM families_copayauthorization "
                      "WHERE status = 'active'"))
        history = (one("SELECT count(*) FROM families_historicalbinding "
                       "WHERE history_type = '~'")
                   + one("SELECT count(*) FROM families_historicalcopayauthorization "
                         "WHERE history_type = '~'"))
        events = one("SELECT count(*) FROM accounts_auditevent "
                     "WHERE action IN ('binding_unbind', 'copay_revoke')")
    ok = ended == history == events == expected and live == untouched
    return (f"{'OK' if ok else 'MISMATCH'}: ended {ended}, history rows {history}, "
            f"audit events {events}, untouched live links {live}")


def checkpoints(server: str) -> int:
    with _connect(server) as conn:
        return conn.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
                            ).fetchone()[0]


def run_job(url: str, chunk_size: int, workers: int) -> dict:
    """The same run as a 批量处理 job (families.services.batch.jobs.batch_job_run: the task
    body, with progress rows and the report file), in a child process."""
    with tempfile.TemporaryDirectory() as tmp:
        env_media = os.environ.get("PRIVATE_MEDIA_ROOT")
        os.environ["PRIVATE_MEDIA_ROOT"] = tmp
        try:
            wall, rss, stdout, _stderr = _run_child(
                [sys.executable, str(Path(__file__).resolve()), "--worker", "job",
                 "--chunk-size", str(chunk_size), "--workers", str(workers)], url)
        finally:
            if env_media is None:
                os.environ.pop("PRIVATE_MEDIA_ROOT")
            else:
                os.environ["PRIVATE_MEDIA_ROOT"] = env_media
    return {**json.loads(stdout.strip().splitlines()[-1]), "wall": wall, "rss_mb": rss}


def job_worker(chunk_size: int, workers: int) -> None:
    import django

    django.setup()
    from django.utils import timezone

    from accounts.models import User
    from families.models import BatchJob
    from families.services.batch.jobs import batch_job_run

    operator = User.objects.get(username=OPERATOR)
    job = BatchJob.objects.create(source="deceased", reason=REASON, created_by=operator,
                                  confirmed_by=operator, confirmed_at=timezone.now(),
                                  status="queued")
    started = time.perf_counter()
    outcome = batch_job_run(job.pk, workers=workers, chunk_size=chunk_size)
    seconds = time.perf_counter() - started
    job.refresh_from_db()
    print(json.dumps({"seconds": seconds, "outcome": outcome, "done": job.done}))


def run_bulk(url: str, chunk_size: int) -> dict:
    wall, rss, stdout, _stderr = _run_child(
        [sys.executable, str(Path(__file__).resolve()), "--worker", "bulk",
         "--chunk-size", str(chunk_size)], url)
    result = json.loads(stdout.strip().splitlines()[-1])
    return {**result, "wall": wall, "rss_mb": rss}


def bulk_worker(chunk_size: int) -> None:
    """Child process: end the same links with bulk_update_with_history, then write their
    audit events with record_events_for_history; prints JSON timings."""
    import django

    django.setup()
    from django.db import transaction
    from django.db.models import Q
    from django.utils import timezone
    from simple_history.utils import bulk_update_with_history

    from accounts.models import User
    from audit.log import record_events_for_history
    from families.models import Binding, CoPayAuthorization

    operator = User.objects.get(username=OPERATOR)
    history_seconds = audit_seconds = 0.0
    ended = 0
    for model, first, second, new_status, action in (
        (Binding, "holder", "member", "unbound", "binding_unbind"),
        (CoPayAuthorization, "authorizer", "beneficiary", "revoked", "copay_revoke"),
    ):
        history = model.history.model
        live = model.objects.filter(status="active").filter(
            Q(**{f"{first}__death_date__isnull": False})
            | Q(**{f"{second}__death_date__isnull": False})).order_by("pk")
        last = 0
        while True:
            started = time.perf_counter()
            with transaction.atomic():
                objs = list(live.filter(pk__gt=last).select_for_update(of=("self",))[:chunk_size])
                if not objs:
                    break
                now = timezone.now()
                for obj in objs:
                    obj.status, obj.ended_at, obj.ended_by, obj.end_reason = (
                        new_status, now, operator, REASON)
                before = history.objects.order_by("-history_id").values_list(
                    "history_id", flat=True).first() or 0
                bulk_update_with_history(
                    objs, model, ["status", "ended_at", "ended_by", "end_reason"],
                    batch_size=500, default_user=operator, default_change_reason=REASON,
                    default_date=now)
                middle = time.perf_counter()
                ids = list(history.objects.filter(history_id__gt=before).values_list(
                    "history_id", flat=True))
                record_events_for_history(history, ids, action=action)
            done = time.perf_counter()
            history_seconds += middle - started
            audit_seconds += done - middle
            ended += len(objs)
            last = objs[-1].pk
    print(json.dumps({"ended": ended, "history_seconds": history_seconds,
                      "audit_seconds": audit_seconds}))


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
    template_url, target_url = _url_for(server, template), _url_for(server, target)

    print(f"building {args.links:,} links in {template} ...", flush=True)
    started = time.perf_counter()
    _recreate(server, template)
    sizes = build_template(template_url, args.links)
    print(f"  {sizes['persons']:,} persons, {sizes['links']:,} links to end, "
          f"{sizes['untouched']:,} live links that stay; {time.perf_counter() - started:.0f} s",
          flush=True)
    try:
        links = sizes["links"]
        ratios = []
        for round_ in range(1, args.rounds + 1):
            _recreate(server, target, template)
            before = checkpoints(server)
            with tempfile.TemporaryDirectory() as tmp:
                batch = run_batch(target_url, args.chunk_size, Path(tmp) / "report.csv",
                                  args.workers)
            batch_checkpoints = checkpoints(server) - before
            batch_rate = links / batch["seconds"]
            print(f"[{round_}] batch_unbind --workers {args.workers}: {batch['seconds']:.2f} s in "
                  f"the command ({batch['wall']:.2f} s wall with start-up), {batch_rate:,.0f} "
                  f"links/s, peak RSS {batch['rss_mb']} MB, checkpoints {batch_checkpoints}")
            print(f"  {batch['summary']}")
            print(f"  {verify(target_url, links, sizes['untouched'])}")
            _recreate(server, target, template)
            before = checkpoints(server)
            floor = run_floor(lambda: _connect(target_url), OPERATOR, REASON, args.workers)
            floor_checkpoints = checkpoints(server) - before
            print(f"[{round_}] floor ({args.workers} connections, set-based SQL): {floor:.2f} s, "
                  f"{links / floor:,.0f} links/s, checkpoints {floor_checkpoints}")
            print(f"  {verify(target_url, links, sizes['untouched'])}")
            ratios.append(floor / batch["seconds"])
            print(f"[{round_}] batch_unbind / floor = {ratios[-1]:.2f}", flush=True)
        if args.job:
            _recreate(server, target, template)
            job = run_job(target_url, args.chunk_size, args.workers)
            print(f"as a job (batch_job_run, workers {args.workers}): {job['seconds']:.2f} s, "
                  f"{links / job['seconds']:,.0f} links/s, peak RSS {job['rss_mb']} MB, "
                  f"{job['outcome']}, done {job['done']:,}")
            print(f"  {verify(target_url, links, sizes['untouched'])}")
        if len(ratios) > 1:
            print(f"batch_unbind / floor over {len(ratios)} rounds: "
                  + ", ".join(f"{r:.2f}" for r in ratios)
                  + f" (median {sorted(ratios)[len(ratios) // 2]:.2f})")
        if not args.skip_bulk:
            _recreate(server, target, template)
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
            _drop(server, target)
            _drop(server, template)


if __name__ == "__main__":
    main()
