"""Benchmark: the channel API against its framework floor (issue 16).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/channel_api.py
    make bench-channel-api

PostgreSQL only. DATABASE_URL names the server; the benchmark keeps its own database
``--db`` (i16_bench): migrated and filled once with ``manage.py generate_load_data``
(``--persons`` 100,000, 2 bindings and 0.1 co-pay authorizations per person, history and
audit rows), reused while it holds a dataset of that size. It registers a channel client
(Ed25519 key, a rate limit no run reaches), starts gunicorn on 127.0.0.1:``--port``
(8116, ``--workers`` sync workers, DEBUG off) and drives it with the client kit
(scripts/channel_client.py: every request signed, one keep-alive connection per client).

For 1, 10 and 50 concurrent clients (threads) it runs ``--rounds`` rounds (3) of the three
operations in turn, ``--seconds`` (5) each, and measures
  ping         a signed request that does no domain work: the framework's floor
               (signature, nonce, rate counter: the same per-request cost as below);
  eligibility  the binding pre-check for a random pair of insured adults (no writes);
  apply        a binding with face verification for a random pair (row locks, counts,
               history and audit rows, the idempotency record), 201 or the rule's code;
and prints req/s, p50/p95/p99 (ms), errors (5xx, transport errors, unexpected statuses),
the ratio to the floor (the median of the rounds' ratios, each against the ping run of
the same round, and their range: the machine's speed drifts by more than a tenth from
minute to minute, and interleaving spreads the drift over every operation), CPU
milliseconds per request of the load generator, of gunicorn's workers and of
PostgreSQL's backends (Linux /proc; the same 2 cores serve all three), and limit breaches counted in SQL afterwards (live bindings over a member's or holder's
limit, new bindings in this natural month over the monthly limit):
must be 0. Targets: apply >= 50 % of the floor's req/s at 10 clients, p95 < 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.pg import connect, url_for  # noqa: E402

sys.path.insert(0, str(ROOT / "scripts"))
import channel_client as kit  # noqa: E402

MARKER = "bench_channel_dataset"
CHANNEL = "bench-wechat"
POOL = 20000  # persons sampled for the random pairs


def _env(url: str, **extra) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
            "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost", "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "ERROR", **extra}


def ensure_dataset(server: str, name: str, persons: int, rebuild: bool) -> None:
    spec = json.dumps({"persons": persons, "links_per_person": 2.0, "copay_per_person": 0.1})
    with connect(server) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    url = url_for(server, name)
    if exists and not rebuild:
        with connect(url) as conn:
            if conn.execute("SELECT to_regclass(%s)", [MARKER]).fetchone()[0]:
                if conn.execute(f"SELECT spec FROM {MARKER}").fetchone()[0] == spec:
                    print(f"{name}: reusing {persons:,} persons", file=sys.stderr)
                    _migrate(url)
                    return
    print(f"{name}: building {persons:,} persons ...", file=sys.stderr)
    with connect(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    _migrate(url)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "generate_load_data",
                    "--persons", str(persons), "--links-per-person", "2",
                    "--copay-per-person", "0.1"], env=_env(url), cwd=ROOT, check=True)
    with connect(url) as conn:
        conn.execute(f"CREATE TABLE {MARKER} (spec text)")
        conn.execute(f"INSERT INTO {MARKER} VALUES (%s)", [spec])


def _migrate(url: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v", "0"],
                   env=_env(url), cwd=ROOT, check=True)


SETUP = """
import json, sys
import django
django.setup()
from channel_api.models import ChannelClient, ChannelKey
from channel_api.services import channel_client_register, channel_key_add
public_pem = sys.stdin.read()
client = ChannelClient.objects.filter(code=%(code)r).first()
if client is None:
    client = channel_client_register(actor=None, code=%(code)r, name="基准测试渠道",
        kind="wechat", reason="基准测试", rate_limit=2_000_000_000, public_key_pem=public_pem)
else:
    ChannelKey.objects.filter(client=client).update(active=False)
    channel_key_add(actor=None, client=client, public_key_pem=public_pem,
                    algorithm="ed25519", reason="基准测试")
"""


def register_channel(url: str) -> str:
    private_pem, public_pem = kit.generate_key("ed25519")
    subprocess.run([sys.executable, "-c", SETUP % {"code": CHANNEL}], input=public_pem,
                   text=True, env=_env(url), cwd=ROOT, check=True)
    return private_pem


def sample_persons(url: str) -> list[dict]:
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT id_type, id_number, name FROM families_person "
            "WHERE death_date IS NULL AND insurance_status = 'normal' "
            "AND birth_date < now() - interval '20 years' ORDER BY random() LIMIT %s",
            [POOL]).fetchall()
    return [{"id_type": t, "id_number": n, "name": m} for t, n, m in rows]


def limit_breaches(url: str, since: datetime) -> dict[str, int]:
    """Persons over a limit of the policy in force (the seeds' defaults when a region has
    none) who gained a binding since `since`: live bindings over the member's or holder's
    limit, new bindings this natural month (China time) over the monthly limit. (The
    generated data has a few members over the limit already; those are not the run's.)"""
    policy = """
        SELECT p.id AS person_id,
               COALESCE((SELECT {col} FROM families_regionpolicy r
                         WHERE r.region_id = p.insured_region_id AND r.effective_from <= now()
                         ORDER BY r.effective_from DESC LIMIT 1), {default}) AS lim
        FROM families_person p WHERE p.id IN (
            SELECT {side}_id FROM families_binding WHERE applied_at >= %(since)s)
    """
    month = ("b.applied_at >= date_trunc('month', now() AT TIME ZONE 'Asia/Shanghai') "
             "AT TIME ZONE 'Asia/Shanghai'")
    queries = {
        side_limit: f"""
            WITH pol AS ({policy.format(col=side_limit, default=default, side=side)})
            SELECT count(*) FROM (SELECT b.{side}_id AS person_id, count(*) AS n
              FROM families_binding b WHERE {where} GROUP BY b.{side}_id) c
            JOIN pol USING (person_id) WHERE c.n > pol.lim"""
        for side_limit, default, side, where in [
            ("member_limit", 6, "member", "b.status IN ('pending', 'active')"),
            ("holder_limit", 5, "holder", "b.status IN ('pending', 'active')"),
            ("monthly_limit", 6, "member",
             f"b.status IN ('pending', 'active', 'unbound') AND {month}"),
        ]
    }
    with connect(url) as conn:
        return {k: conn.execute(q, {"since": since}).fetchone()[0] for k, q in queries.items()}


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen(
        [gunicorn, "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--timeout", "60", "--no-control-socket",
         "--log-level", "warning"],
        env=_env(url, CONN_MAX_AGE="600"), cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/channels/v1/schema/", timeout=2)
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not start")


# --- CPU by part: the load generator (this process), gunicorn's workers, PostgreSQL ----------


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(parent: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == parent:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


class CpuMeter:
    """CPU seconds used by the gunicorn workers and the database's backends (Linux /proc,
    server on this host) and by this process, between two readings."""

    def __init__(self, url: str, server: subprocess.Popen) -> None:
        self.url, self.server = url, server

    def read(self) -> dict[str, float]:
        with connect(self.url) as conn:
            backends = [r[0] for r in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()").fetchall()]
        return {"client": time.process_time(),
                "app": sum(_cpu_seconds(p) for p in _children(self.server.pid)),
                "db": sum(_cpu_seconds(p) for p in backends)}


# --- load -----------------------------------------------------------------------------------


class Operation:
    def __init__(self, name: str, persons: list[dict]) -> None:
        self.name, self.persons = name, persons
        self.counter = 0
        self.lock = threading.Lock()

    def request(self, client: kit.ChannelClient, rng: random.Random):
        if self.name == "ping":
            return client.ping()
        holder, member = rng.sample(self.persons, 2)
        pair = {"holder": holder, "member": member, "relationship": "sibling"}
        if self.name == "eligibility":
            return client.binding_eligibility(pair)
        with self.lock:
            self.counter += 1
            number = f"B{os.getpid()}-{time.time_ns()}-{self.counter}"
        return client.binding_apply({
            **pair, "request_number": number, "face_verification_ref": f"F{number}",
            "face_verified_at": datetime.now(UTC).isoformat()})


EXPECTED = {"ping": {200}, "eligibility": {200}, "apply": {201, 404, 409, 422}}
OPERATIONS = tuple(EXPECTED)


def run_load(base_url: str, private_pem: str, operation: Operation, clients: int,
             seconds: float) -> dict:
    latencies: list[float] = []
    statuses: dict[str, int] = {}
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    barrier = threading.Barrier(clients)

    def worker(index: int) -> None:
        client = kit.ChannelClient(base_url, CHANNEL, private_pem)
        rng = random.Random(index * 7919 + int(time.time()))
        mine, seen = [], {}
        barrier.wait()
        while time.monotonic() < stop_at:
            started = time.perf_counter()
            try:
                status, body, _headers = operation.request(client, rng)
                key = str(status) if status not in (422, 409, 404) else f"{status} {body.get('code')}"
            except (OSError, ValueError) as exc:
                key = f"error {type(exc).__name__}"
                client.close()
            mine.append(time.perf_counter() - started)
            seen[key] = seen.get(key, 0) + 1
        client.close()
        with lock:
            latencies.extend(mine)
            for key, n in seen.items():
                statuses[key] = statuses.get(key, 0) + n

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    ok_codes = EXPECTED[operation.name]
    errors = sum(n for key, n in statuses.items() if int(key.split()[0]) not in ok_codes
                 if not key.startswith("error")) + sum(
        n for key, n in statuses.items() if key.startswith("error"))
    ms = sorted(x * 1000 for x in latencies)
    return {"operation": operation.name, "clients": clients, "requests": len(ms),
            "seconds": elapsed, "rps": len(ms) / elapsed, "latencies": ms, "errors": errors,
            "statuses": statuses}


def _percentile(ms: list[float], p: float) -> float:
    return ms[min(len(ms) - 1, int(p / 100 * len(ms)))] if ms else float("nan")


def combine(rounds: list[dict], floor_rounds: list[dict]) -> dict:
    """One row from the rounds of one operation: req/s over all of them, percentiles of
    all latencies, CPU per request, and the ratio to the floor of each round (the ping
    run just before it) with their median."""
    ms = sorted(x for r in rounds for x in r["latencies"])
    requests = sum(r["requests"] for r in rounds)
    statuses: dict[str, int] = {}
    for r in rounds:
        for key, n in r["statuses"].items():
            statuses[key] = statuses.get(key, 0) + n
    ratios = [r["rps"] / f["rps"] for r, f in zip(rounds, floor_rounds, strict=True)]
    return {"operation": rounds[0]["operation"], "clients": rounds[0]["clients"],
            "requests": requests, "rps": requests / sum(r["seconds"] for r in rounds),
            "p50": _percentile(ms, 50), "p95": _percentile(ms, 95), "p99": _percentile(ms, 99),
            "mean": statistics.fmean(ms) if ms else float("nan"),
            "errors": sum(r["errors"] for r in rounds), "statuses": statuses,
            "ratios": ratios, "ratio": statistics.median(ratios),
            "cpu_ms": {part: sum(r["cpu"][part] for r in rounds) * 1000 / max(1, requests)
                       for part in rounds[0]["cpu"]}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="i16_bench")
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--port", type=int, default=8116)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers [4]")
    parser.add_argument("--seconds", type=float, default=5,
                        help="seconds per operation and round [5]")
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds of ping, eligibility, apply in turn [3]")
    parser.add_argument("--clients", default="1,10,50")
    parser.add_argument("--report", type=Path, help="write the results as JSON")
    args = parser.parse_args()
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL=postgres://... (the server; its database is not used)")
    ensure_dataset(server_url, args.db, args.persons, args.rebuild)
    url = url_for(server_url, args.db)
    private_pem = register_channel(url)
    persons = sample_persons(url)
    run_started = datetime.now(UTC)
    server = start_server(url, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    results = []
    meter = CpuMeter(url, server)
    try:
        for clients in [int(c) for c in args.clients.split(",")]:
            rounds = {name: [] for name in OPERATIONS}
            for _round in range(args.rounds):  # interleaved: drift hits every operation
                for name in OPERATIONS:
                    before = meter.read()
                    row = run_load(base, private_pem, Operation(name, persons), clients,
                                   args.seconds)
                    row["cpu"] = {part: after - before[part]
                                  for part, after in meter.read().items()}
                    rounds[name].append(row)
            for name in OPERATIONS:
                row = combine(rounds[name], rounds["ping"])
                results.append(row)
                print(f"{name:<12} {clients:>3} clients {row['rps']:8.1f} req/s "
                      f"p50 {row['p50']:6.1f}  p95 {row['p95']:6.1f}  p99 {row['p99']:6.1f} ms  "
                      f"errors {row['errors']}  {row['statuses']}", file=sys.stderr)
    finally:
        server.terminate()
        server.wait(timeout=30)
    breaches = limit_breaches(url, run_started)
    print(f"\nchannel API over {args.persons:,} persons, gunicorn {args.workers} sync workers on "
          f"127.0.0.1:{args.port}, {args.rounds} interleaved rounds of {args.seconds:.0f} s per "
          f"row, {os.cpu_count()} CPUs")
    print(f"{'operation':<12}{'clients':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
          f"{'p99 ms':>9}{'errors':>8}{'vs floor':>10}{'(rounds)':>12}"
          "   CPU ms/request: load gen, gunicorn, db")
    for r in results:
        cpu = r["cpu_ms"]
        spread = f"{min(r['ratios']):.0%}-{max(r['ratios']):.0%}"
        print(f"{r['operation']:<12}{r['clients']:>8}{r['rps']:>9.1f}{r['p50']:>9.1f}"
              f"{r['p95']:>9.1f}{r['p99']:>9.1f}{r['errors']:>8}{r['ratio']:>9.0%}{spread:>13}"
              f"   {cpu['client']:5.2f} {cpu['app']:5.2f} {cpu['db']:5.2f}")
    print(f"limit breaches caused by this run (must be 0): {breaches}")
    apply10 = next((r for r in results if r["operation"] == "apply" and r["clients"] == 10), None)
    if apply10:
        print(f"apply at 10 clients: {apply10['ratio']:.0%} of the floor, median of "
              f"{args.rounds} rounds (target >= 50 %), p95 {apply10['p95']:.1f} ms "
              "(target < 100 ms)")
    if args.report:
        args.report.write_text(json.dumps({"results": results, "breaches": breaches}, indent=2))
    failed = any(r["errors"] for r in results) or any(breaches.values())
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
