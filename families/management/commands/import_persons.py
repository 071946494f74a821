"""The registry feed: upsert insured persons from a CSV file, all-or-nothing by default."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.csv_input import operator as find_operator
from accounts.csv_input import report_row_errors, validate_file
from accounts.models import Region
from families.services import person_upsert, validate_person_row

REQUIRED = ["id_number", "name", "insurance_type", "region_code", "status"]
OPTIONAL = ["id_type", "sex", "birth_date", "phone", "death_date", "birth_region_code"]


class Command(BaseCommand):
    help = gettext_lazy("导入参保人登记信息(CSV,UTF-8,可带BOM)。默认任何一行有误则全部不写入。")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--operator", required=True, help=gettext_lazy("经办人用户名(记入历史)"))
        parser.add_argument("--skip-invalid", action="store_true",
                            help=gettext_lazy("跳过有误的行,写入其余行"))

    def handle(self, *args, file: Path, operator: str, skip_invalid: bool, **options):
        actor = find_operator(operator)
        regions = {r.code: r for r in Region.objects.all()}
        codes = set(regions)
        rows, errors = validate_file(
            file, REQUIRED, lambda row: validate_person_row(row, codes),
            key=lambda data: (data.id_type, data.id_number),
        )
        report_row_errors(self, errors, skip_invalid=skip_invalid)
        counts = {"created": 0, "updated": 0, "unchanged": 0, "death_recorded": 0}
        reason = _("参保登记导入:%(file)s") % {"file": file.name}
        with transaction.atomic():
            for _line, data in rows:
                counts[person_upsert(actor=actor, data=data, reason=reason, regions=regions)] += 1
        self.stdout.write(_("新增 %(created)s,更新 %(updated)s,登记死亡 %(death_recorded)s,"
                            "未变 %(unchanged)s,有误跳过 %(errors)s。")
                          % {**counts, "errors": len(errors)})
        if errors:
            raise CommandError(_("部分行有误已跳过。"), returncode=1)
