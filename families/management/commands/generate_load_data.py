"""Load data for scale tests: persons, bindings, co-pay authorizations, counter
applications, their history rows and audit events, written with COPY (families/loadgen/).

    python manage.py generate_load_data --persons 1000000 --links-per-person 2

PostgreSQL only. Meant for scratch databases (bench/admin_pages.py builds its own); on a
database that already holds data the new rows are added after the existing ids.
"""

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from tqdm import tqdm

from families.loadgen import LoadError, LoadGenerator, LoadOptions


class Command(BaseCommand):
    help = "生成负载测试数据(参保人、绑定、共济授权、窗口受理、历史记录与审计日志),仅限 PostgreSQL。"

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, required=True, help="参保人数")
        parser.add_argument("--links-per-person", type=float, default=2.0,
                            help="每名参保人作为绑定人的平均绑定数 [2.0]")
        parser.add_argument("--copay-per-person", type=float, default=0.1,
                            help="每名参保人作为授权人的平均共济授权数 [0.1]")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-audit", action="store_true", help="不写审计日志")
        parser.add_argument("--keep-indexes", action="store_true",
                            help="装载期间保留索引(默认:装载量大于现有数据时先删后建)")
        parser.add_argument("--report", type=Path, help="写出 JSON 报告(行数、各阶段耗时)")

    def handle(self, *args, persons, links_per_person, copay_per_person, seed, no_audit,
               keep_indexes, report, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "generate_load_data 只支持 PostgreSQL(COPY);当前数据库是 "
                f"{connection.vendor}。请设置 DATABASE_URL=postgres://...", returncode=2)
        if persons < 2 or links_per_person < 0 or copay_per_person < 0:
            raise CommandError("--persons 至少为 2,比例不能为负。", returncode=2)

        def progress(label: str, total: int):
            return tqdm(total=total, desc=label, unit="行", file=sys.stderr, mininterval=2,
                        disable=options.get("verbosity", 1) == 0)

        opts = LoadOptions(persons=persons, links_per_person=links_per_person,
                           copay_per_person=copay_per_person, seed=seed, audit=not no_audit,
                           rebuild_indexes=False if keep_indexes else None)
        try:
            result = LoadGenerator(opts, progress).run()
        except LoadError as exc:
            raise CommandError(str(exc), returncode=2) from exc
        if report:
            report.write_text(json.dumps(
                {"rows": dict(result.rows), "seconds": result.seconds}, indent=2))
        self.stdout.write(result.summary())
