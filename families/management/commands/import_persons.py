"""The registry feed: upsert insured persons from a CSV file, all-or-nothing by default."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.csv_input import validate_file
from accounts.models import Region
from families.services import person_upsert, validate_person_row

REQUIRED = ["id_number", "name", "insurance_type", "region_code", "status"]
OPTIONAL = ["id_type", "sex", "birth_date", "phone", "death_date", "birth_region_code"]


class Command(BaseCommand):
    help = "导入参保人登记信息(CSV,UTF-8,可带BOM)。默认任何一行有误则全部不写入。"

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--operator", required=True, help="经办人用户名(记入历史)")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="跳过有误的行,写入其余行")

    def handle(self, *args, file: Path, operator: str, skip_invalid: bool, **options):
        actor = get_user_model().objects.filter(username=operator, is_active=True).first()
        if actor is None:
            raise CommandError(f"经办人“{operator}”不存在或已停用。", returncode=2)
        regions = {r.code: r for r in Region.objects.all()}
        codes = set(regions)
        rows, errors = validate_file(
            file, REQUIRED, lambda row: validate_person_row(row, codes),
            key=lambda data: (data.id_type, data.id_number),
        )
        valid = [data for _line, data in rows]
        for line, message in errors:
            self.stderr.write(f"第 {line} 行:{message}")
        if errors and not skip_invalid:
            raise CommandError(
                f"{len(errors)} 行有误,未写入任何数据(可用 --skip-invalid 只写入正确的行)。",
                returncode=1,
            )
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        reason = f"参保登记导入:{file.name}"
        with transaction.atomic():
            for data in valid:
                counts[person_upsert(actor=actor, data=data, reason=reason, regions=regions)] += 1
        self.stdout.write(
            f"新增 {counts['created']},更新 {counts['updated']},未变 {counts['unchanged']},"
            f"有误跳过 {len(errors)}。"
        )
        if errors:
            raise CommandError("部分行有误已跳过。", returncode=1)
