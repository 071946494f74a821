"""End pending counter applications that waited longer than their region's policy
(`application_expiry_days`, default 30, counted in official working days: the State
Council schedule with its make-up days plus the calendar override table). Each one is expired through
`application_expire`, so the application and its binding get history rows with the
operator and the reason. Re-running after a crash simply finds fewer pending rows."""

import json

from django.core.management.base import BaseCommand
from django.utils import timezone
from tqdm import tqdm

from accounts.csv_input import operator as find_operator
from accounts.errors import RuleViolation
from accounts.models import Region
from families.choices import ApplicationStatus
from families.models import CounterApplication
from families.services.counter import application_expire
from families.services.deadlines import expiry_cutoff


class Command(BaseCommand):
    help = "将超过统筹区政策规定工作日数仍未审核的窗口受理申请置为已过期(保留历史)。"

    def add_arguments(self, parser):
        parser.add_argument("--operator", required=True, help="执行操作的工作人员登录名")
        parser.add_argument("--dry-run", action="store_true", help="只列出将过期的申请,不修改")
        parser.add_argument("--report", help="逐条结果写入此 JSON Lines 文件")

    def handle(self, *args, operator: str, dry_run: bool, report: str | None, **options):
        actor = find_operator(operator)
        now = timezone.now()
        due = []
        for region in Region.objects.order_by("code"):
            days, cutoff = expiry_cutoff(region.pk, now)
            rows = (
                CounterApplication.objects.filter(
                    status=ApplicationStatus.PENDING, hall__region=region,
                    submitted_at__lt=cutoff,
                )
                .select_related("hall")
                .order_by("submitted_at", "pk")
            )
            due.extend((application, days) for application in rows)

        results = []
        for application, days in tqdm(due, disable=dry_run or not due, unit="件"):
            reason = f"超过 {days} 个工作日未审核,自动过期"
            outcome = "would_expire" if dry_run else "expired"
            if not dry_run:
                try:
                    application_expire(actor=actor, application=application, reason=reason)
                except RuleViolation as exc:  # e.g. reviewed meanwhile: leave it alone
                    outcome = f"skipped:{exc.rule_code}"
            results.append({"number": application.number, "hall": application.hall.code,
                             "submitted_at": application.submitted_at.isoformat(),
                             "outcome": outcome, "reason": reason})
            if dry_run:
                self.stdout.write(f"{application.number} {reason}")

        if report:
            with open(report, "w", encoding="utf-8") as out:
                for row in results:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        expired = sum(1 for r in results if r["outcome"] == "expired")
        skipped = sum(1 for r in results if r["outcome"].startswith("skipped"))
        if dry_run:
            self.stdout.write(f"试运行:{len(results)} 件申请将过期,未做任何修改。")
        else:
            self.stdout.write(f"已过期 {expired} 件,跳过 {skipped} 件。")
