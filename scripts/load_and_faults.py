"""Load and fault run against gunicorn on the loopback (bounded in time).

    .venv/bin/python scripts/load_and_faults.py                       # load + fault
    .venv/bin/python scripts/load_and_faults.py --sessions 30 --seconds 60 --no-fault

1. Rebuilds its own database (default `yibao_load` on the server of DATABASE_URL, or
   127.0.0.1), migrates, seeds staff (clerks and supervisors of hall BJ01) and insured
   persons, and starts gunicorn (production settings, DEBUG off) on 127.0.0.1:PORT.
2. Load phase: SESSIONS concurrent signed-in staff sessions for SECONDS: clerks search
   persons and take counter intakes (pre-check, then submit with a PNG scan), supervisors
   open the queue, review and approve, and read / filter the audit log. Reports
   requests/s, p50/p95/p99 per kind and the number of 5xx (must be 0).
3. Fault phase (unless --no-fault; needs root and a local cluster): the same load for
   FAULT_SECONDS, PostgreSQL is stopped OUTAGE seconds in the middle (`pg_ctlcluster
   --skip-systemctl-redirect 15 main stop -m fast`, then `start`). Every response during
   the outage must be the 503 page ("系统繁忙,请稍后重试", no traceback); the service must
   answer 2xx again within seconds after PostgreSQL is back.
4. Invariants afterwards (in this process, through the ORM): binding limits per holder
   and member, balances = ledger sums (settlements.selectors.ledger_mismatches), exactly
   one history row per change and one audit event per history row, every application
   complete (binding, proof, stored scans), no 5xx with a traceback.

Exit status 0 when every check passed. Never touches any other database.
"""

import argparse
import http.cookiejar
import io
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PASSWORD = "Load-test-2026"
PG_CLUSTER = ["pg_ctlcluster", "--skip-systemctl-redirect", "15", "main"]


# --- setup ---------------------------------------------------------------------------------


def setup_environment(args) -> dict:
    import environ

    base = environ.Env.db_url_config(
        os.environ.get("DATABASE_URL", "") or "postgres://postgres@127.0.0.1:5432/postgres")
    if base["ENGINE"] != "django.db.backends.postgresql":
        base = environ.Env.db_url_config("postgres://postgres@127.0.0.1:5432/postgres")
    auth = base["USER"] + (f":{base['PASSWORD']}" if base.get("PASSWORD") else "")
    host = base.get("HOST") or "127.0.0.1"
    if host not in ("127.0.0.1", "localhost", "::1"):
        sys.exit("load_and_faults: loopback only (DATABASE_URL must point at 127.0.0.1)")
    url = f"postgres://{auth}@{host}:{base.get('PORT') or 5432}/{args.database}"
    media = ROOT / "var" / "load-media"
    shutil.rmtree(media, ignore_errors=True)
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("TEST_DB_NAME",)},
        "DATABASE_URL": url, "DEBUG": "0", "SECRET_KEY": "load-" + uuid.uuid4().hex * 2,
        "SECURE_COOKIES": "0", "STATIC_MANIFEST": "1", "PRIVATE_MEDIA_ROOT": str(media),
        "AXES_ENABLED": "0", "CONN_MAX_AGE": "60", "LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    os.environ.update(env)
    return env


def rebuild_database(env: dict, database: str) -> None:
    import environ
    import psycopg
    from psycopg import sql

    config = environ.Env.db_url_config(env["DATABASE_URL"])
    params = {k: v for k, v in {"host": config.get("HOST"), "port": config.get("PORT"),
                                "user": config.get("USER"),
                                "password": config.get("PASSWORD")}.items() if v}
    with psycopg.connect(**params, dbname="postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(database)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    py = sys.executable
    subprocess.run([py, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env,
                   check=True)
    subprocess.run([py, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=ROOT,
                   env=env, check=True)


def seed(clerks: int, supervisors: int, pairs: int) -> dict:
    import django

    django.setup()
    import datetime

    from django.contrib.auth.models import Group
    from django.db import connections

    from accounts import roles
    from accounts.models import Region, ServiceHall, User
    from audit.services import save_audited
    from families.idnumbers import make_resident_id
    from families.models import Person, RegionPolicy

    region = Region(code="110100", name="北京市")
    save_audited(region, actor=None, reason="压力测试数据", action="created")
    hall = ServiceHall(code="BJ01", name="北京市东城区医保经办大厅", region=region)
    save_audited(hall, actor=None, reason="压力测试数据", action="created")
    save_audited(RegionPolicy(region=region, effective_from=datetime.date(2020, 1, 1)),
                 actor=None, reason="压力测试数据", action="created")
    names = {"clerk": [], "supervisor": []}
    for role, count, group in (("clerk", clerks, roles.CLERK),
                               ("supervisor", supervisors, roles.SUPERVISOR)):
        for i in range(count):
            user = User(username=f"load_{role}{i:02d}", is_staff=True, hall=hall)
            user.set_password(PASSWORD)
            save_audited(user, actor=None, reason="压力测试数据", action="created")
            user.groups.add(Group.objects.get(name=group))
            names[role].append(user.username)
    people = []
    seq = itertools.count(1)
    for i in range(pairs):
        pair = []
        for birth, sex in ((datetime.date(1972, 1, 1) + datetime.timedelta(days=i % 3000), "M"),
                           (datetime.date(1940, 1, 1) + datetime.timedelta(days=i % 3000), "F")):
            n = next(seq)
            number = make_resident_id("110101", birth, n % 999, sex)
            person = Person(id_number=number, name=f"压测{n}", sex=sex, birth_date=birth,
                            phone="13900001111", insurance_type="employee",
                            insured_region=region, insurance_status="normal",
                            evoucher_activated_at=datetime.datetime(2024, 1, 1,
                                                                    tzinfo=datetime.UTC))
            save_audited(person, actor=None, reason="压力测试数据", action="created")
            pair.append((number, person.name))
        people.append(pair)
    connections.close_all()
    return {"users": names, "pairs": people}


def start_gunicorn(env: dict, port: int, workers: int) -> subprocess.Popen:
    log = open(ROOT / "var" / "load-gunicorn.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi:application",
         "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--timeout", "30",
         "--no-control-socket", "--graceful-timeout", "5"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=2)
            return proc
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    proc.kill()
    sys.exit("gunicorn did not start; see var/load-gunicorn.log")


# --- HTTP sessions -------------------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples: list[tuple[float, str, int, float]] = []  # (t, kind, status, seconds)
        self.bad_bodies: list[str] = []

    def add(self, kind: str, status: int, seconds: float, body: bytes) -> None:
        with self.lock:
            self.samples.append((time.monotonic(), kind, status, seconds))
            if status >= 500:
                text = body.decode("utf-8", "replace")
                if "Traceback" in text or status != 503 or "系统繁忙" not in text:
                    self.bad_bodies.append(f"{kind} {status}: {text[:200]}")


class Session:
    def __init__(self, base: str, recorder: Recorder):
        self.base = base
        self.recorder = recorder
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def csrf(self) -> str:
        return next((c.value for c in self.jar if c.name == "csrftoken"), "")

    def request(self, kind: str, path: str, data=None, files=None):
        url = self.base + path
        headers = {"Referer": self.base + "/admin/"}
        body = None
        if files is not None:
            body, ctype = _multipart({**(data or {}), "csrfmiddlewaretoken": self.csrf()},
                                     files)
            headers["Content-Type"] = ctype
        elif data is not None:
            body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": self.csrf()},
                                          doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.monotonic()
        try:
            with self.opener.open(urllib.request.Request(url, body, headers), timeout=30) as r:
                status, content, location = r.status, r.read(), r.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            status, content, location = exc.code, exc.read(), exc.headers.get("Location", "")
        except (urllib.error.URLError, OSError, TimeoutError):
            status, content, location = 0, b"", ""
        self.recorder.add(kind, status, time.monotonic() - started, content)
        return status, content.decode("utf-8", "replace"), location

    def login(self, username: str) -> bool:
        self.request("login", "/admin/login/")
        status, _body, _loc = self.request("login", "/admin/login/?next=/admin/", {
            "username": username, "password": PASSWORD, "next": "/admin/"})
        return status == 302


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _multipart(fields: dict, files: dict) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    out = io.BytesIO()
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                      f"{item}\r\n".encode())
    for name, (filename, content, ctype) in files.items():
        out.write(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                  f'filename="{filename}"\r\nContent-Type: {ctype}\r\n\r\n'.encode())
        out.write(content + b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


PNG = None


def clerk_loop(session: Session, pairs, stop: threading.Event, outcomes: Counter) -> None:
    while not stop.is_set():
        if random.random() < 0.5:
            term = random.choice(["压测1", "压测2", "110101"])
            session.request("search", "/admin/families/person/?" + urllib.parse.urlencode(
                {"q": term}))
            continue
        try:
            (holder_id, holder_name), (member_id, member_name) = pairs.pop()
        except IndexError:
            time.sleep(0.2)
            continue
        parties = {"kind": "binding", "holder_id_type": "resident_id",
                   "holder_id_number": holder_id, "holder_name": holder_name,
                   "member_id_type": "resident_id", "member_id_number": member_id,
                   "member_name": member_name, "relationship": "parent", "reserve": ""}
        session.request("intake", "/admin/counter/intake/")
        status, body, _ = session.request("precheck", "/admin/counter/intake/",
                                          {**parties, "action": "precheck"})
        if status != 200 or 'value="submit"' not in body:
            outcomes["precheck_refused" if status == 200 else f"precheck_{status}"] += 1
            continue
        status, _body, location = session.request(
            "submit", "/admin/counter/intake/",
            {**parties, "action": "submit", "no_face_reason": "elderly",
             "holder_id_seen": "on", "member_id_seen": "on", "proof_seen": "on",
             "proof_type": "household_register", "proof_number": f"HK{uuid.uuid4().hex[:8]}",
             "commitment_signed": "on"},
            files={"scans": ("户口簿.png", PNG, "image/png")})
        outcomes["submitted" if status == 302 else f"submit_{status}"] += 1
        if status == 302 and location:
            session.request("receipt", urllib.parse.urlparse(location).path)


def supervisor_loop(session: Session, stop: threading.Event, outcomes: Counter) -> None:
    while not stop.is_set():
        roll = random.random()
        if roll < 0.4:
            query = random.choice(["", "?action=binding_apply", "?model=families.binding",
                                   "?date_from=2020-01-01&date_to=2030-12-31"])
            session.request("audit_log", "/admin/audit/auditevent/" + query)
            continue
        status, body, _ = session.request("queue", "/admin/counter/queue/")
        ids = re.findall(r"/admin/counter/applications/(\d+)/review/", body)
        if not ids:
            time.sleep(0.2)
            continue
        pk = random.choice(ids[:10])
        status, body, _ = session.request("review", f"/admin/counter/applications/{pk}/review/")
        if status != 200 or "approve-button" not in body:
            continue
        status, _body, _ = session.request("approve", f"/admin/counter/applications/{pk}/review/",
                                           {"decision": "approve", "reason": "原件核验无误"})
        outcomes["approved" if status == 302 else f"approve_{status}"] += 1


def run_phase(base: str, seeded: dict, sessions: int, seconds: float, fault=None) -> dict:
    recorder, stop, outcomes = Recorder(), threading.Event(), Counter()
    clerks = seeded["users"]["clerk"]
    supervisors = seeded["users"]["supervisor"]
    threads = []
    for i in range(sessions):
        session = Session(base, recorder)
        is_clerk = i % 3 != 2  # two clerks for each supervisor
        username = clerks[i % len(clerks)] if is_clerk else supervisors[i % len(supervisors)]
        if not session.login(username):
            sys.exit(f"login failed for {username}")
        target = (clerk_loop, (session, seeded["pairs"], stop, outcomes)) if is_clerk else (
            supervisor_loop, (session, stop, outcomes))
        threads.append(threading.Thread(target=target[0], args=target[1], daemon=True))
    recorder.samples.clear()
    started = time.monotonic()
    for thread in threads:
        thread.start()
    fault_info = fault(started) if fault else None
    remaining = seconds - (time.monotonic() - started)
    if remaining > 0:
        time.sleep(remaining)
    stop.set()
    for thread in threads:
        thread.join(timeout=35)
    elapsed = time.monotonic() - started
    return {"recorder": recorder, "elapsed": elapsed, "outcomes": outcomes,
            "fault": fault_info, "started": started}


def summarize(result: dict, title: str) -> dict:
    samples = [s for s in result["recorder"].samples if s[1] != "login"]
    times = sorted(s[3] for s in samples)
    statuses = Counter(s[2] for s in samples)

    def pct(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else 0.0

    by_kind = defaultdict(list)
    for s in samples:
        by_kind[s[1]].append(s[3])
    print(f"\n== {title}: {len(samples)} requests in {result['elapsed']:.1f} s = "
          f"{len(samples) / result['elapsed']:.1f} req/s; p50 {pct(times, .5):.0f} ms, "
          f"p95 {pct(times, .95):.0f} ms, p99 {pct(times, .99):.0f} ms")
    print("   status: " + ", ".join(f"{k}: {v}" for k, v in sorted(statuses.items())))
    print("   outcomes: " + ", ".join(f"{k}: {v}" for k, v in sorted(result["outcomes"].items())))
    for kind, values in sorted(by_kind.items()):
        values.sort()
        print(f"   {kind:<10} n={len(values):>6}  p50 {pct(values, .5):>6.0f} ms  "
              f"p95 {pct(values, .95):>6.0f} ms  p99 {pct(values, .99):>6.0f} ms")
    return {"requests": len(samples), "rps": len(samples) / result["elapsed"],
            "p50": pct(times, .5), "p95": pct(times, .95), "p99": pct(times, .99),
            "statuses": dict(statuses), "outcomes": dict(result["outcomes"]),
            "bad_5xx": result["recorder"].bad_bodies[:5],
            "count_5xx": sum(v for k, v in statuses.items() if k >= 500)}


def make_fault(outage: float, after: float, base: str):
    def fault(started: float) -> dict:
        time.sleep(after)
        t_stop = time.monotonic()
        subprocess.run([*PG_CLUSTER, "stop", "-m", "fast"], check=True)
        time.sleep(outage)
        subprocess.run([*PG_CLUSTER, "start"], check=True)
        t_up = time.monotonic()
        probe = Session(base, Recorder())
        # recovery = first 2xx page that needs the database (login page + session save)
        recovered = None
        while time.monotonic() - t_up < 60:
            status, _body, _ = probe.request("probe", "/admin/login/")
            if status == 200:
                recovered = time.monotonic()
                break
            time.sleep(0.1)
        return {"stop": t_stop - started, "up": t_up - started,
                "recovered_after_start_s": None if recovered is None else recovered - t_up}
    return fault


# --- invariants ----------------------------------------------------------------------------


def check_invariants(media: Path) -> list[str]:
    from django.db import connections
    from django.db.models import Count, Q

    from audit.models import AuditEvent
    from families.models import Binding, CounterApplication, ProofScan
    from settlements.selectors import ledger_mismatches

    connections.close_all()
    problems = []
    live = Q(status__in=["pending", "active"])
    holder_max = Binding.objects.filter(live).values("holder").annotate(n=Count("id")) \
        .order_by("-n").values_list("n", flat=True).first() or 0
    member_max = Binding.objects.filter(live).values("member").annotate(n=Count("id")) \
        .order_by("-n").values_list("n", flat=True).first() or 0
    if holder_max > 5 or member_max > 6:
        problems.append(f"binding limits broken: holder {holder_max}, member {member_max}")
    if ledger_mismatches():
        problems.append(f"ledger mismatches: {ledger_mismatches()[:3]}")
    for application in CounterApplication.objects.select_related("binding__proof"):
        binding = application.binding
        expected = {"pending": 1, "approved": 2}.get(application.status)
        if binding is None or binding.proof is None:
            problems.append(f"application {application.number} incomplete")
            continue
        rows = binding.history.count()
        app_rows = application.history.count()
        if expected and (rows != expected or app_rows != expected):
            problems.append(f"{application.number}: {rows} binding / {app_rows} application "
                            f"history rows for status {application.status}")
        scans = list(ProofScan.objects.filter(proof=binding.proof))
        if not scans or not all((media / s.file.name).is_file() for s in scans):
            problems.append(f"{application.number}: scan missing")
    duplicated = AuditEvent.objects.exclude(history_id=None).values(
        "history_model", "history_id").annotate(n=Count("id")).filter(n__gt=1).count()
    if duplicated:
        problems.append(f"{duplicated} history rows with more than one audit event")
    for model in (Binding, CounterApplication):
        history = model.history.model
        label = history._meta.label_lower
        events = set(AuditEvent.objects.filter(history_model=label)
                     .values_list("history_id", flat=True))
        missing = history.objects.exclude(history_id__in=events).count()
        if missing:
            problems.append(f"{missing} {label} rows without an audit event")
    stray = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    stored = {str(media / s.file.name) for s in ProofScan.objects.all()}
    orphans = [p for p in stray if str(p) not in stored]
    if orphans:
        problems.append(f"{len(orphans)} scan files without a database row (partial write)")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--fault-seconds", type=float, default=40)
    parser.add_argument("--outage", type=float, default=3.0)
    parser.add_argument("--no-fault", action="store_true")
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", 4)))
    parser.add_argument("--database", default="yibao_load")
    parser.add_argument("--pairs", type=int, default=2500)
    parser.add_argument("--report", type=Path, default=ROOT / "var" / "load-report.json")
    args = parser.parse_args()
    if not args.database.startswith("yibao_load"):
        sys.exit("the load run only uses its own database (yibao_load*)")
    global PNG
    PNG = _png()
    env = setup_environment(args)
    print(f"rebuilding {args.database} ...", flush=True)
    rebuild_database(env, args.database)
    seeded = seed(clerks=20, supervisors=10, pairs=args.pairs)
    proc = start_gunicorn(env, args.port, args.workers)
    base = f"http://127.0.0.1:{args.port}"
    report = {"sessions": args.sessions, "workers": args.workers}
    try:
        load = run_phase(base, seeded, args.sessions, args.seconds)
        report["load"] = summarize(load, f"load: {args.sessions} sessions, {args.workers} workers")
        if not args.no_fault:
            fault = make_fault(args.outage, after=args.fault_seconds / 3, base=base)
            faulted = run_phase(base, seeded, args.sessions, args.fault_seconds, fault)
            report["fault"] = summarize(faulted, f"fault: PostgreSQL stopped for "
                                                 f"{args.outage:.0f} s")
            info = faulted["fault"]
            report["fault"]["timeline"] = info
            during = [s for s in faulted["recorder"].samples
                      if faulted["started"] + info["stop"] <= s[0]
                      <= faulted["started"] + info["up"] + 1]
            report["fault"]["during_outage"] = dict(Counter(s[2] for s in during))
            print(f"   outage: stop at {info['stop']:.1f} s, up at {info['up']:.1f} s, "
                  f"answering again {info['recovered_after_start_s']} s after start; "
                  f"responses during outage: {report['fault']['during_outage']}")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
    ready = subprocess.run(["pg_isready", "-h", "127.0.0.1"], capture_output=True, text=True)
    print(f"pg_isready: {ready.stdout.strip()}")
    problems = check_invariants(ROOT / "var" / "load-media")
    report["invariants"] = problems or "ok"
    print("invariants: " + ("ok" if not problems else "\n  ".join(["BROKEN", *problems])))
    failures = []
    if report["load"]["count_5xx"]:
        failures.append("5xx under load")
    if "fault" in report:
        if report["fault"]["bad_5xx"]:
            failures.append(f"5xx other than the 503 page: {report['fault']['bad_5xx']}")
        if report["fault"]["timeline"]["recovered_after_start_s"] is None:
            failures.append("no recovery")
    if problems:
        failures.append("invariants")
    report["failures"] = failures
    args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    print("result: " + ("PASS" if not failures else "FAIL " + "; ".join(failures)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
