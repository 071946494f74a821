"""Benchmark: do the admin pages cost the same over a million persons as over a thousand?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/admin_pages.py
    make bench-admin [PERSONS=1000000]
    .venv/bin/python bench/admin_pages.py --explain "supervisor dashboard"   # query plans

PostgreSQL only. DATABASE_URL names the server (its database is never touched). The
benchmark keeps two databases of its own, ``<--db>_small`` (``--small`` persons, 1,000)
and ``<--db>_large`` (``--persons``, 1,000,000), each migrated and filled with
``manage.py generate_load_data`` (2 bindings and 0.1 co-pay authorizations per person,
history rows and audit events: about 5 history rows per person). A database that
already holds a dataset of the asked size is reused (``--rebuild`` forces a new one).

Each dataset is measured in its own child process (Django bound to that database,
DEBUG off, persistent connections as in production): a clerk and a supervisor of the
most populous region are signed in with ``Client.force_login``; every page gets ``--warmup`` requests, then ``--requests`` timed ones (median and worst, in
ms), then one more inside CaptureQueriesContext for the number of queries. The table
shows both datasets and the large/small ratio of the medians; targets (issue 8):
ratio <= 1.5, <= 15 queries, ID number search median < 50 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bench.pg import connect, url_for  # noqa: E402

MARKER = "bench_admin_dataset"
EXPORT_ROWS = 1000
BENCH_REGION_RANK = 0  # the most populous region: the worst case for region scoping


# --- parent: databases ---------------------------------------------------------------------


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
            "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0",
            "ALLOWED_HOSTS": "testserver", "SECURE_SSL_REDIRECT": "0", "LOG_LEVEL": "ERROR"}


def _dataset_spec(persons: int, links: float, copay: float) -> str:
    return json.dumps({"persons": persons, "links_per_person": links, "copay_per_person": copay})


def _existing_spec(server: str, name: str) -> str | None:
    with connect(server) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return None
    with connect(url_for(server, name)) as conn:
        if not conn.execute("SELECT to_regclass(%s)", [MARKER]).fetchone()[0]:
            return None
        row = conn.execute(f"SELECT spec FROM {MARKER}").fetchone()
        return row[0] if row else None


def ensure_dataset(server: str, name: str, persons: int, links: float, copay: float,
                   rebuild: bool) -> None:
    spec = _dataset_spec(persons, links, copay)
    if not rebuild and _existing_spec(server, name) == spec:
        print(f"{name}: reusing {persons:,} persons", file=sys.stderr)
        return
    print(f"{name}: building {persons:,} persons ...", file=sys.stderr)
    with connect(server) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = url_for(server, name)
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=_env(url), cwd=ROOT,
                   check=True)
    started = time.monotonic()
    subprocess.run([*manage, "generate_load_data", "--persons", str(persons),
                    "--links-per-person", str(links), "--copay-per-person", str(copay)],
                   env=_env(url), cwd=ROOT, check=True)
    print(f"{name}: generated in {time.monotonic() - started:.0f} s", file=sys.stderr)
    with connect(url) as conn:
        conn.execute(f"CREATE TABLE {MARKER} (spec text)")
        conn.execute(f"INSERT INTO {MARKER} VALUES (%s)", [spec])


def measure(server: str, name: str, requests: int, warmup: int) -> dict:
    url = url_for(server, name)
    out = subprocess.run(
        [sys.executable, __file__, "--child", "--requests", str(requests), "--warmup",
         str(warmup)], env=_env(url), cwd=ROOT, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_interleaved(server: str, names: dict, requests: int, warmup: int,
                        rounds: int) -> dict:
    """Small and large are measured in alternating rounds (a fresh process each), so
    that load from other work on the machine hits both alike."""
    per_round = max(1, -(-requests // rounds))
    merged: dict[str, dict] = {}
    for _ in range(rounds):
        for key, name in names.items():
            result = measure(server, name, per_round, warmup)
            into = merged.setdefault(key, {"persons": result["persons"], "pages": {}})
            for row in result["results"]:
                page = into["pages"].setdefault(row["page"], {**row, "times": []})
                page["times"].extend(row["times"])
                page["queries"] = row["queries"]
    out = {}
    for key, data in merged.items():
        results = []
        for row in data["pages"].values():
            times = row.pop("times")
            results.append({**row, "median": statistics.median(times), "worst": max(times),
                            "requests": len(times)})
        out[key] = {"persons": data["persons"], "results": results}
    return out


# --- child: one database, in-process requests ------------------------------------------------


def _child(requests: int, warmup: int, explain: str | None = None) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    setup_test_environment()  # response.context, testserver host
    targets = _targets()
    clients = {}
    for role, user in (("clerk", targets["clerk"]), ("supervisor", targets["supervisor"])):
        client = Client()
        client.force_login(user)
        clients[role] = client
    if explain:
        _explain(clients, [p for p in _pages(targets) if p[0] == explain])
        return
    results = []
    for label, role, path, params in _pages(targets):
        client = clients[role]

        def get(client=client, path=path, params=params, label=label):
            response = client.get(path, params)
            if response.status_code != 200:
                raise SystemExit(f"{label}: HTTP {response.status_code} for {path} {params}")
            if response.streaming:
                b"".join(response.streaming_content)
            return response

        for _ in range(warmup):
            get()
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            get()
            times.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            response = get()
        extra = ""
        if label.startswith("CSV"):
            extra = f"{response.content.decode('utf-8-sig').count(chr(10)) - 1} rows"
        elif response.context and "cl" in response.context:
            extra = f"{len(response.context['cl'].result_list)} rows"
        elif response.context and "rows" in response.context:
            extra = f"{len(response.context['rows'])} rows"
        results.append({"page": label, "median": statistics.median(times), "worst": max(times),
                        "times": times, "queries": len(ctx.captured_queries), "note": extra})
    print(json.dumps({"results": results, "persons": targets["persons"]}))


def _explain(clients: dict, pages: list) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of every SELECT the page runs (after one warm-up)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if not pages:
        raise SystemExit("--explain: no such page (see the table's first column)")
    label, role, path, params = pages[0]
    clients[role].get(path, params)
    with CaptureQueriesContext(connection) as ctx:
        clients[role].get(path, params)
    with connection.cursor() as cursor:
        for number, query in enumerate(ctx.captured_queries, 1):
            sql = query["sql"]
            print(f"\n-- {label} #{number}: {sql[:150]}")
            if sql.lstrip("(").startswith("SELECT"):
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
                print("\n".join(f"   {line}" for (line,) in cursor.fetchall()))


def _targets() -> dict:
    """Bench users and sample rows, found (or made) the same way on every dataset."""
    import datetime
    import random

    from django.contrib.auth.models import Group
    from django.db.models import Count
    from django.utils import timezone

    from accounts import roles
    from accounts.models import Region, ServiceHall, User
    from audit.models import AuditEvent
    from families.models import Binding, Person

    rng = random.Random(8)
    # the most populous region (largest planner estimate is enough; count is exact here)
    region_id = (Person.objects.values("insured_region").annotate(n=Count("id"))
                 .order_by("-n").values_list("insured_region", flat=True)[BENCH_REGION_RANK])
    region = Region.objects.get(pk=region_id)
    hall = ServiceHall.objects.filter(region=region).order_by("code").first()

    def user(username: str, role: str) -> User:
        found = User.objects.filter(username=username).first()
        if found is None:
            found = User(username=username, is_staff=True, hall=hall)
            found.set_unusable_password()
            found.save()
            found.groups.add(Group.objects.get(name=role))
        return found

    clerk = user("bench_clerk", roles.CLERK)
    supervisor = user("bench_supervisor", roles.SUPERVISOR)
    # a person of the region who holds and is held by live bindings (a counter family)
    binding = (Binding.objects.filter(holder__insured_region=region, status="active",
                                      holder__bindings_as_member__status="active")
               .order_by("id").select_related("holder").first())
    person = binding.holder
    # a full queue page on every dataset (a small registry has hardly any pending
    # applications): the pages compared show the same number of rows
    from families.models import CounterApplication
    from families.views.review import QUEUE_PAGE_SIZE

    pending = CounterApplication.objects.filter(status="pending", hall__region=region).count()
    if pending < QUEUE_PAGE_SIZE:
        from tests import factories

        for _ in range(QUEUE_PAGE_SIZE - pending):
            factories.counter_application(factories.person(region_code=region.code),
                                          factories.person(region_code=region.code),
                                          actor=clerk)
    exporter = User.objects.filter(username="bench_export").first()
    if exporter is None:
        exporter = User(username="bench_export", is_staff=True, hall=hall)
        exporter.set_unusable_password()
        exporter.save()
        # exactly EXPORT_ROWS audit events by one staff member: the export's row count is
        # the same on every dataset
        links = list(Binding.objects.filter(holder__insured_region=region)
                     .order_by("id").values_list("id", "holder_id", "member_id")[:EXPORT_ROWS])
        now = timezone.now()
        AuditEvent.objects.bulk_create([
            AuditEvent(
                occurred_at=now - datetime.timedelta(minutes=rng.randrange(525_600)),
                actor=exporter, actor_username=exporter.username, hall=hall, region=region,
                action="binding_approve", model="families.binding", object_id=str(link[0]),
                object_repr=f"亲情账户绑定 #{link[0]}", person_id=link[1],
                other_person_id=link[2], reason="原件核验无误",
                changes=[{"field": "status", "verbose_name": "状态", "old": "待审核",
                          "new": "已绑定"}],
            )
            for k in range(EXPORT_ROWS) for link in [links[k % len(links)]]
        ], batch_size=1000)
    return {"clerk": clerk, "supervisor": supervisor, "person": person,
            # what a clerk types: the citizen's name (a prefix: 张建国 also finds 张建国华)
            "prefix": person.name[:3], "exporter": exporter,
            "persons": Person.objects.order_by("-id").values_list("id", flat=True).first()}


def _pages(t: dict) -> list[tuple[str, str, str, dict]]:
    person = t["person"]
    return [
        ("person changelist", "clerk", "/admin/families/person/", {}),
        ("search: exact ID number", "clerk", "/admin/families/person/", {"q": person.id_number}),
        ("search: name prefix", "clerk", "/admin/families/person/", {"q": t["prefix"]}),
        ("bindings, status=active", "clerk", "/admin/families/binding/",
         {"status__exact": "active"}),
        ("review queue", "supervisor", "/admin/counter/queue/", {}),
        ("supervisor dashboard", "supervisor", "/admin/counter/dashboard/", {}),
        ("audit log, first page", "supervisor", "/admin/audit/auditevent/", {}),
        ("audit log, by ID number", "supervisor", "/admin/audit/auditevent/",
         {"id_number": person.id_number}),
        ("person page + bindings", "clerk", f"/admin/families/person/{person.pk}/change/", {}),
        (f"CSV export ({EXPORT_ROWS:,} rows)", "supervisor", "/admin/audit/auditevent/export/",
         {"actor": str(t["exporter"].pk)}),
    ]


# --- report ------------------------------------------------------------------------------------


def table(small: dict, large: dict) -> str:
    lines = [
        f"| page | {small['persons']:,} persons: median / worst ms (queries) rows | "
        f"{large['persons']:,} persons: median / worst ms (queries) rows | ratio |",
        "|---|---|---|---|",
    ]
    for s, g in zip(small["results"], large["results"], strict=True):
        ratio = g["median"] / s["median"] if s["median"] else float("inf")
        lines.append(
            f"| {s['page']} | {s['median']:.1f} / {s['worst']:.1f} ({s['queries']}) "
            f"{s['note']} | {g['median']:.1f} / {g['worst']:.1f} ({g['queries']}) {g['note']} "
            f"| {ratio:.2f}× |")
    return "\n".join(lines)


def check(small: dict, large: dict) -> list[str]:
    failures = []
    for s, g in zip(small["results"], large["results"], strict=True):
        if g["median"] > 1.5 * s["median"]:
            failures.append(f"{g['page']}: median {g['median']:.1f} ms > 1.5 × {s['median']:.1f}")
        if max(s["queries"], g["queries"]) > 15:
            failures.append(f"{g['page']}: {max(s['queries'], g['queries'])} queries > 15")
        if g["page"].startswith("search: exact") and g["median"] >= 50:
            failures.append(f"{g['page']}: median {g['median']:.1f} ms >= 50")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--links-per-person", type=float, default=2.0)
    parser.add_argument("--copay-per-person", type=float, default=0.1)
    parser.add_argument("--db", default="bench_admin", help="prefix of the two databases")
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternate small/large this many times (requests split)")
    parser.add_argument("--rebuild", action="store_true", help="regenerate both datasets")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--json", type=Path, help="write the raw results here")
    parser.add_argument("--explain", metavar="PAGE",
                        help="print EXPLAIN ANALYZE of each query of PAGE (e.g. 'supervisor "
                             "dashboard') on the large dataset instead of timing")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.requests, args.warmup, args.explain)
        return 0
    server = os.environ.get("DATABASE_URL", "")
    if not server.startswith("postgres"):
        print("DATABASE_URL=postgres://user@host:port/db is required (the server to use).",
              file=sys.stderr)
        return 2
    names = {"small": f"{args.db}_small", "large": f"{args.db}_large"}
    sizes = {"small": args.small, "large": args.persons}
    for key in ("small", "large"):
        ensure_dataset(server, names[key], sizes[key], args.links_per_person,
                       args.copay_per_person, args.rebuild)
    if args.build_only:
        return 0
    if args.explain:
        subprocess.run([sys.executable, __file__, "--child", "--explain", args.explain],
                       env=_env(url_for(server, names["large"])), cwd=ROOT, check=True)
        return 0
    results = measure_interleaved(server, names, args.requests, args.warmup, args.rounds)
    print(table(results["small"], results["large"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    failures = check(results["small"], results["large"])
    for failure in failures:
        print(f"target missed: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
