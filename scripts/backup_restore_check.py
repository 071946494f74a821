"""Back up a PostgreSQL database with pg_dump, restore it into a new database with
pg_restore and compare the row count of every table. Exit 0 when every table matches.

    .venv/bin/python scripts/backup_restore_check.py                   # DATABASE_URL
    .venv/bin/python scripts/backup_restore_check.py --url postgres://postgres@127.0.0.1/yibao \\
        --dump var/backups/yibao.dump --target yibao_restore_check --keep

The dump is pg_dump's custom format (-Fc: compressed, restorable table by table). The
restore runs with --exit-on-error into a database created for it (dropped first when it
exists, and dropped after a successful check unless --keep). The history and audit tables
have append-only triggers (UPDATE/DELETE rejected): pg_restore loads the data with COPY
(inserts) before it creates the triggers, so they need no special handling; the check
proves it and also verifies the triggers exist and still reject an UPDATE after restore.
"""

import argparse
import datetime
import os
import subprocess
import sys
from pathlib import Path

import environ
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent


def _conninfo(config: dict, dbname: str) -> dict:
    params = {"host": config.get("HOST") or None, "port": config.get("PORT") or None,
              "user": config.get("USER") or None, "password": config.get("PASSWORD") or None,
              "dbname": dbname}
    return {k: v for k, v in params.items() if v is not None}


def _pg_env(config: dict) -> tuple[list[str], dict]:
    args = []
    if config.get("HOST"):
        args += ["-h", str(config["HOST"])]
    if config.get("PORT"):
        args += ["-p", str(config["PORT"])]
    if config.get("USER"):
        args += ["-U", str(config["USER"])]
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    return args, env


def table_counts(conninfo: dict) -> dict[str, int]:
    with psycopg.connect(**conninfo) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]
        return {
            t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t)))
            .fetchone()[0]
            for t in tables
        }


def append_only_triggers(conninfo: dict) -> set[tuple[str, str]]:
    with psycopg.connect(**conninfo) as conn:
        return {
            (r[0], r[1]) for r in conn.execute(
                "SELECT c.relname, t.tgname FROM pg_trigger t "
                "JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT t.tgisinternal AND n.nspname = 'public'")
        }


# The SQLSTATE the append-only trigger raises (accounts/triggers.py: restrict_violation).
TRIGGER_SQLSTATE = "23001"


def update_is_rejected(conninfo: dict, table: str) -> bool:
    """True when the append-only trigger itself refuses an UPDATE of `table` (its own
    SQLSTATE); any other database error means the check cannot vouch for the table."""
    with psycopg.connect(**conninfo) as conn:
        try:
            with conn.transaction():
                conn.execute(sql.SQL("UPDATE {} SET id = id WHERE id IN "
                                     "(SELECT id FROM {} LIMIT 1)")
                             .format(sql.Identifier(table), sql.Identifier(table)))
                rows = conn.execute(sql.SQL("SELECT count(*) FROM {}")
                                    .format(sql.Identifier(table))).fetchone()[0]
        except psycopg.Error as exc:
            if exc.sqlstate == TRIGGER_SQLSTATE:
                return True
            print(f"{table}: UPDATE 失败,但不是只追加触发器的拒绝({exc.sqlstate}):{exc}",
                  file=sys.stderr)
            return False
        return rows == 0  # nothing to update: not provable, not a failure


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=os.environ.get("DATABASE_URL", ""),
                        help="source database (default: DATABASE_URL)")
    parser.add_argument("--dump", type=Path, help="dump file (default: var/backups/...)")
    parser.add_argument("--target", help="database to restore into (default: <name>_restore_check)")
    parser.add_argument("--keep", action="store_true", help="keep the restored database")
    args = parser.parse_args(argv)
    config = environ.Env.db_url_config(args.url) if args.url else {}
    if config.get("ENGINE") != "django.db.backends.postgresql":
        print("需要 PostgreSQL 的 DATABASE_URL(或 --url)。", file=sys.stderr)
        return 2
    source = config["NAME"]
    target = args.target or f"{source}_restore_check"
    if target == source:
        print("目标数据库不能与源数据库相同。", file=sys.stderr)
        return 2
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    dump = args.dump or ROOT / "var" / "backups" / f"{source}-{stamp}.dump"
    dump.parent.mkdir(parents=True, exist_ok=True)
    pg_args, env = _pg_env(config)

    subprocess.run(["pg_dump", *pg_args, "-Fc", "--no-owner", "-f", str(dump), source],
                   check=True, env=env)
    with psycopg.connect(**_conninfo(config, "postgres"), autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(target)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(target)))
    subprocess.run(["pg_restore", *pg_args, "--no-owner", "--exit-on-error",
                    "-d", target, str(dump)], check=True, env=env)

    before = table_counts(_conninfo(config, source))
    after = table_counts(_conninfo(config, target))
    mismatched = sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))
    print(f"{'table':<48} {'source':>10} {'restored':>10}")
    for table in sorted(before.keys() | after.keys()):
        mark = "  <-- differs" if table in mismatched else ""
        print(f"{table:<48} {before.get(table, '-'):>10} {after.get(table, '-'):>10}{mark}")
    triggers_before = append_only_triggers(_conninfo(config, source))
    triggers_after = append_only_triggers(_conninfo(config, target))
    missing_triggers = sorted(triggers_before - triggers_after)
    guarded = sorted({t for t, _name in triggers_after if t == "accounts_auditevent"
                      or "_historical" in t})
    unguarded = [t for t in guarded if not update_is_rejected(_conninfo(config, target), t)]
    ok = not mismatched and not missing_triggers and not unguarded
    print(f"{len(before)} 张表,{sum(before.values())} 行;不一致 {len(mismatched)} 张;"
          f"触发器缺失 {len(missing_triggers)} 个;恢复后仍可改写的只追加表 {len(unguarded)} 张。")
    print(f"备份文件:{dump}({dump.stat().st_size} 字节)")
    if not args.keep and ok:
        with psycopg.connect(**_conninfo(config, "postgres"), autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(target)))
    if missing_triggers:
        print(f"缺失的触发器:{missing_triggers}", file=sys.stderr)
    if unguarded:
        print(f"恢复后仍可 UPDATE 的表:{unguarded}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
