"""Monthly personal-account credits (划入) from a CSV file, all-or-nothing by default.

Columns: id_number, period (YYYYMM), amount (yuan, at most two decimals). UTF-8 with or
without BOM. Every row is validated first; re-running a file credits nothing twice.
"""

import sys
from decimal import Decimal
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from accounts.csv_input import operator as find_operator
from accounts.csv_input import report_row_errors, validate_file
from accounts.errors import RuleViolation
from settlements.services import allocation_post, allocation_row_validate

REQUIRED = ["id_number", "period", "amount"]


class Command(BaseCommand):
    help = gettext_lazy("批量划入个人账户(CSV:id_number, period, amount;UTF-8,可带BOM)。默认任何一行有误则全部不写入。")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--operator", required=True, help=gettext_lazy("经办人用户名(记入账户明细和历史)"))
        parser.add_argument("--skip-invalid", action="store_true",
                            help=gettext_lazy("跳过有误的行,写入其余行"))
        parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("只校验,不写入"))
        parser.add_argument("--reason", default="", help=gettext_lazy("办理原因(默认:个人账户划入:文件名)"))

    def handle(self, *args, file: Path, operator: str, skip_invalid: bool, dry_run: bool,
               reason: str, **options):
        actor = find_operator(operator)
        valid, errors = validate_file(
            file, REQUIRED,
            lambda row: allocation_row_validate(id_number=row["id_number"],
                                                period=row["period"], amount=row["amount"]),
            key=lambda data: (data.person.pk, data.period),
        )
        report_row_errors(self, errors, skip_invalid=skip_invalid)
        new = [row for _line, row in valid if not row.already]
        total = sum((row.amount for row in new), Decimal("0.00"))
        if not dry_run:
            reason = reason.strip() or _("个人账户划入:%(file)s") % {"file": file.name}
            with transaction.atomic():
                for line, row in tqdm(valid, desc=_("划入"), unit=_("行"), file=sys.stderr,
                                      disable=None):
                    try:
                        allocation_post(actor=actor, person=row.person, period=row.period,
                                        amount=row.amount, reason=reason)
                    except RuleViolation as exc:
                        # Changed since validation (a concurrent run): nothing written.
                        raise CommandError(
                            _("第 %(line)s 行:%(message)s 未写入任何数据。")
                            % {"line": line, "message": exc.text}, returncode=1) from exc
        prefix = _("校验通过(未写入):") if dry_run else ""
        self.stdout.write(prefix + _(
            "划入 %(new)s 笔,合计 %(total)s 元;已划入未重复 %(repeat)s 笔;有误跳过 %(errors)s 行。"
        ) % {"new": len(new), "total": total, "repeat": len(valid) - len(new),
             "errors": len(errors)})
        if errors:
            raise CommandError(_("部分行有误已跳过。"), returncode=1)
