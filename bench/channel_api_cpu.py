"""CPU per channel API request, in process: no HTTP server, no load generator (issue 16).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/i16_bench SECRET_KEY=bench \\
        .venv/bin/python bench/channel_api_cpu.py [--requests 300] [--rounds 5] [--profile apply]

Runs against the benchmark's database (bench/channel_api.py builds it) through Django's
WSGI handler with signed requests (the client kit signs them outside the timed part) and
prints, per operation, milliseconds per request of wall time, of this process's CPU and
of its PostgreSQL backend's CPU (/proc, when the server runs on this host), and statements
per request: the best of ``--rounds`` rounds (as timeit does; other load on the machine only
ever adds time), and the HTTP statuses of all rounds' timed requests. ``--profile OP`` prints the cProfile of that operation (process CPU time, top 45).
The apply rows it writes are bench bindings like the benchmark's. ``--round-trips`` also
prints what a bare round trip (SELECT 1) and an empty transaction with one savepoint
(BEGIN, SAVEPOINT, RELEASE, COMMIT) cost Django and PostgreSQL: the unit of apply's extra
statements.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("CONN_MAX_AGE", "600")

import channel_client as kit  # noqa: E402

CHANNEL = "bench-cpu"


def setup_channel() -> kit.Signer:
    from channel_api.models import ChannelClient, ChannelKey
    from channel_api.services import channel_client_register, channel_key_add

    private_pem, public_pem = kit.generate_key("ed25519")
    client = ChannelClient.objects.filter(code=CHANNEL).first()
    if client is None:
        channel_client_register(actor=None, code=CHANNEL, name="基准测试渠道(进程内)",
                                kind="wechat", reason="基准测试", rate_limit=2_000_000_000,
                                public_key_pem=public_pem)
    else:
        ChannelKey.objects.filter(client=client).update(active=False)
        channel_key_add(actor=None, client=client, public_key_pem=public_pem,
                        algorithm="ed25519", reason="基准测试")
    return kit.Signer(CHANNEL, private_pem)


def persons(n: int) -> list[dict]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id_type, id_number, name FROM families_person WHERE death_date IS NULL "
            "AND insurance_status = 'normal' AND birth_date < now() - interval '20 years' "
            "ORDER BY random() LIMIT %s", [n])
        return [{"id_type": t, "id_number": i, "name": m} for t, i, m in cursor.fetchall()]


def payload(operation: str, pool: list[dict], rng: random.Random, n: int):
    if operation == "ping":
        return "/api/channels/v1/ping/", {}
    holder, member = rng.sample(pool, 2)
    pair = {"holder": holder, "member": member, "relationship": "sibling"}
    if operation == "eligibility":
        return "/api/channels/v1/bindings/eligibility/", pair
    number = f"C{os.getpid()}-{time.time_ns()}-{n}"
    return "/api/channels/v1/bindings/", {
        **pair, "request_number": number, "face_verification_ref": f"F{number}",
        "face_verified_at": datetime.now(UTC).isoformat()}


def environ_for(signer: kit.Signer, path: str, body: bytes) -> dict:
    headers = signer.headers("POST", path, body)
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": path, "SCRIPT_NAME": "", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8116", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": "127.0.0.1:8116", "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": headers.pop("Content-Type"), "wsgi.errors": sys.stderr,
        "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }
    for name, value in headers.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    return environ


def count_statement(counted: list[int], execute, sql, params, many, context):
    counted[0] += 1
    return execute(sql, params, many, context)


def backend_cpu(pid: int) -> float:
    """Seconds of CPU the PostgreSQL backend `pid` has used (Linux /proc; the server on
    this host), or NaN."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def best_of(rounds: int, call) -> tuple:
    """Each figure's minimum over `rounds` calls (as timeit does: other load on the
    machine only ever adds time)."""
    best = call()
    for _round in range(rounds - 1):
        best = tuple(map(min, zip(best, call(), strict=True)))
    return best


def measure(app, statuses: dict, signer, pool, rng, operation: str, requests: int,
            backend: int, profiler=None) -> tuple[float, float, float, int]:
    """(wall s, CPU s, backend CPU s, statements) of `requests` signed requests of
    `operation` after 20 for warm-up (connection, caches, imports); the timed requests'
    HTTP statuses are counted into `statuses`."""
    from django.db import connection

    def start_response(status, headers, exc_info=None):
        statuses[status[:3]] = statuses.get(status[:3], 0) + 1

    prepared = []
    for n in range(requests + 20):
        path, data = payload(operation, pool, rng, n)
        prepared.append(environ_for(signer, path, kit.encode_body(data)))
    for environ in prepared[:20]:
        b"".join(app(environ, lambda *args: None))
    counted = [0]
    with connection.execute_wrapper(functools.partial(count_statement, counted)):
        wall, cpu, db_cpu = time.perf_counter(), time.process_time(), backend_cpu(backend)
        if profiler:
            profiler.enable()
        for environ in prepared[20:]:
            b"".join(app(environ, start_response))
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        db_cpu = backend_cpu(backend) - db_cpu
    return wall, cpu, db_cpu, counted[0]


def round_trip_costs(backend: int, n: int = 2000) -> None:
    """CPU ms (this process, its backend) of a bare statement and of an empty transaction
    with one savepoint, best of 5."""
    from django.db import connection, transaction

    def select_one():
        with connection.cursor() as cursor:
            cursor.execute("SELECT %s", [1])
            cursor.fetchone()

    def savepoint_only():
        with transaction.atomic(), transaction.atomic():
            pass

    def timed(call) -> tuple[float, float]:
        cpu, db_cpu = time.process_time(), backend_cpu(backend)
        for _ in range(n):
            call()
        return time.process_time() - cpu, backend_cpu(backend) - db_cpu

    for label, call in [("round trip (SELECT 1)", select_one),
                        ("transaction + savepoint, no statement", savepoint_only)]:
        best = best_of(5, functools.partial(timed, call))
        print(f"{label:<40}{best[0] / n * 1000:>9.3f} ms Django {best[1] / n * 1000:>7.3f} ms db")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--operations", default="ping,eligibility,apply")
    parser.add_argument("--profile", help="cProfile this operation")
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--round-trips", action="store_true",
                        help="also print the CPU of a round trip and of a savepoint")
    args = parser.parse_args()

    import django
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection

    django.setup()
    app = WSGIHandler()
    signer = setup_channel()
    pool = persons(20000)
    rng = random.Random(16)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    print(f"{'operation':<12}{'requests':>9}{'wall ms':>9}{'cpu ms':>9}{'db cpu':>8}{'stmts':>7}"
          "  statuses")
    for current in args.operations.split(","):
        statuses: dict[str, int] = {}  # over every round's timed requests
        wall, cpu, db_cpu, statements = best_of(args.rounds, functools.partial(
            measure, app, statuses, signer, pool, rng, current, args.requests, backend))
        n = args.requests
        print(f"{current:<12}{n:>9}{wall / n * 1000:>9.2f}{cpu / n * 1000:>9.2f}"
              f"{db_cpu / n * 1000:>8.2f}{statements / n:>7.1f}  {statuses}")
        if args.profile == current:
            profiler = cProfile.Profile(time.process_time)
            measure(app, {}, signer, pool, rng, current, args.requests, backend, profiler)
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(45)
            print(out.getvalue())
    if args.round_trips:
        round_trip_costs(backend)
    return 0


if __name__ == "__main__":
    sys.exit(main())
