"""Monthly personal-account credits (划入) from a CSV file, all-or-nothing by default.

Columns: id_number, period (YYYYMM), amount (yuan, at most two decimals). UTF-8 with or
without BOM. Every row is validated first; re-running a file credits nothing twice.
"""

import sys
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from accounts.csv_input import validate_file
from accounts.errors import RuleViolation
from settlements.services import allocation_post, allocation_row_validate

REQUIRED = ["id_number", "period", "amount"]


class Command(BaseCommand):
    help = "批量划入个人账户(CSV:id_number, period, amount;UTF-8,可带BOM)。默认任何一行有误则全部不写入。"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--operator", required=True, help="经办人用户名(记入账户明细和历史)")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="跳过有误的行,写入其余行")
        parser.add_argument("--dry-run", action="store_true", help="只校验,不写入")
        parser.add_argument("--reason", default="", help="办理原因(默认:个人账户划入:文件名)")

    def handle(self, *args, file: Path, operator: str, skip_invalid: bool, dry_run: bool,
               reason: str, **options):
        actor = get_user_model().objects.filter(username=operator, is_active=True).first()
        if actor is None:
            raise CommandError(f"经办人“{operator}”不存在或已停用。", returncode=2)
        valid, errors = validate_file(
            file, REQUIRED,
            lambda row: allocation_row_validate(id_number=row["id_number"],
                                                period=row["period"], amount=row["amount"]),
            key=lambda data: (data.person.pk, data.period),
        )
        for line, message in errors:
            self.stderr.write(f"第 {line} 行:{message}")
        if errors and not skip_invalid:
            raise CommandError(
                f"{len(errors)} 行有误,未写入任何数据(可用 --skip-invalid 只写入正确的行)。",
                returncode=1,
            )
        new = [row for _line, row in valid if not row.already]
        total = sum((row.amount for row in new), Decimal("0.00"))
        if not dry_run:
            reason = reason.strip() or f"个人账户划入:{file.name}"
            with transaction.atomic():
                for line, row in tqdm(valid, desc="划入", unit="行", file=sys.stderr,
                                      disable=None):
                    try:
                        allocation_post(actor=actor, person=row.person, period=row.period,
                                        amount=row.amount, reason=reason)
                    except RuleViolation as exc:
                        # Changed since validation (a concurrent run): nothing written.
                        raise CommandError(f"第 {line} 行:{exc.text} 未写入任何数据。",
                                           returncode=1) from exc
        prefix = "校验通过(未写入):" if dry_run else ""
        self.stdout.write(
            f"{prefix}划入 {len(new)} 笔,合计 {total} 元;已划入未重复 {len(valid) - len(new)} 笔;"
            f"有误跳过 {len(errors)} 行。"
        )
        if errors:
            raise CommandError("部分行有误已跳过。", returncode=1)
