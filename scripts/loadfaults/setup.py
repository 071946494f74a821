"""Setup of the load and fault run: environment, its own database, seed, gunicorn."""

import itertools
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
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
