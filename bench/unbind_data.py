"""The data set of the batch-unbind benchmark (bench/batch_unbind.py): scratch databases
on the server of DATABASE_URL, the template filled with COPY, and the checks after a run.

N/2 deceased holders, each with one active binding and one active co-pay authorization
to his own relative (N links to end, every one with its "+" history row), plus N/10 live
links of living persons that must stay. Persons carry valid resident ID numbers
(families.idnumbers.make_resident_id).
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from pathlib import Path

from bench.pg import connect, url_for  # noqa: F401 (re-exported to the bench scripts)

ROOT = Path(__file__).resolve().parents[1]
REGION_CODE = "110100"
OPERATOR = "bench"
REASON = "死亡"


# --- database plumbing ----------------------------------------------------------------------


def recreate(admin_url: str, name: str, template: str | None = None) -> None:
    with connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        # Copying a template writes the whole database to the WAL; flush it now so the
        # checkpoint does not land in the middle of the measured run.
        conn.execute("CHECKPOINT")


def drop(admin_url: str, name: str) -> None:
    with connect(admin_url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def child_env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "SECRET_KEY": os.environ.get("SECRET_KEY", "bench"),
            "DJANGO_SETTINGS_MODULE": "config.settings", "DEBUG": "0"}


def manage(url: str, *args: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "manage.py"), *args], env=child_env(url), check=True,
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

    manage(url, "migrate", "--noinput", "-v", "0")
    manage(url, "shell", "-c", SETUP)
    pairs, extra = links // 2, max(1, links // 20)
    persons = 2 * (pairs + extra)
    now = datetime.datetime.now(datetime.UTC)
    decided = now - datetime.timedelta(days=400)
    with connect(url) as conn:
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



# --- checks after a run ---------------------------------------------------------------------


def verify(url: str, expected: int, untouched: int) -> str:
    with connect(url) as conn:
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
    with connect(server) as conn:
        return conn.execute("SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter"
                            ).fetchone()[0]
