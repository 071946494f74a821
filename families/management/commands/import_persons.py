"""The registry feed: upsert insured persons from a CSV file (families.services.registry).

Every row is checked first (streamed; a bad row stops the import before anything is
written unless --skip-invalid), then imported in committed chunks with a progress bar on
stderr, an optional report file with one row per input row, and a one-line summary.
Re-running the same file after a crash finishes it (rows already in are `unchanged`);
--start-line skips what an interrupted run already committed. Exit codes: 0 done, 1 bad
rows (reported), 2 fatal before anything was written, 3 database error mid-run."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from accounts.csv_input import check_file, data_rows, report_row_errors
from accounts.csv_input import operator as find_operator
from accounts.errors import RuleViolation
from accounts.models import Region
from families.idnumbers import mask_id_number
from families.services.batch.report import ImportReportWriter
from families.services.registry import (
    DEFAULT_CHUNK_SIZE,
    REQUIRED_COLUMNS,
    ImportOutcome,
    ImportResult,
    ImportRow,
    check_row,
    import_persons,
)


class Command(BaseCommand):
    help = gettext_lazy("导入参保人登记信息(CSV,UTF-8,可带BOM)。默认任何一行有误则全部不写入。")

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--operator", required=True, help=gettext_lazy("经办人用户名(记入历史)"))
        parser.add_argument("--skip-invalid", action="store_true",
                            help=gettext_lazy("跳过有误的行,写入其余行"))
        parser.add_argument("--dry-run", action="store_true",
                            help=gettext_lazy("只检查并报告每行将如何处理,不写入"))
        parser.add_argument("--report", type=Path, metavar="FILE",
                            help=gettext_lazy("每个输入行一行结果的报告(CSV)"))
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                            help=gettext_lazy("每个事务提交的行数"))
        parser.add_argument("--start-line", type=int, default=0, metavar="LINE",
                            help=gettext_lazy("从该行号继续(中断后续跑)"))

    def handle(self, *args, file: Path, operator: str, skip_invalid: bool, dry_run: bool,
               report: Path | None, chunk_size: int, start_line: int, **options):
        actor = find_operator(operator)
        if chunk_size < 1 or start_line < 0:
            raise CommandError(_("--chunk-size 须为正整数,--start-line 不能为负数。"),
                               returncode=2)
        total = check_file(file, REQUIRED_COLUMNS)
        errors = _first_pass(file, start_line)
        report_row_errors(self, errors, skip_invalid=skip_invalid or dry_run)
        bad = dict(errors)
        writer = _Report(report) if report else None
        bar = tqdm(total=total, desc=_("参保登记导入"), unit=_("行"), file=self.stderr._out,
                   dynamic_ncols=True, disable=options["verbosity"] == 0)
        try:
            result = import_persons(
                actor=actor, rows=_good_rows(file, bad, writer), dry_run=dry_run,
                reason=_("参保登记导入:%(file)s") % {"file": file.name}, start_line=start_line,
                chunk_size=chunk_size, report=writer.write if writer else None, progress=bar,
            )
        except DatabaseError as exc:
            raise CommandError(
                _("数据库错误,已提交 %(n)s 行(见报告的最后一行);排除故障后重新运行同一命令,"
                  "或用 --start-line 从报告最后一行的下一行续跑:%(error)s")
                % {"n": bar.n, "error": exc}, returncode=3) from exc
        finally:
            bar.close()
            if writer:
                writer.flush_refused(upto=None)
                writer.close()
        result.outcomes[ImportOutcome.REFUSED] += len(errors)
        self.stdout.write(_summary(result))
        if errors:
            raise CommandError(_("部分行有误已跳过。"), returncode=1)


def _first_pass(file: Path, start_line: int) -> list[tuple[int, str]]:
    """Every row checked before anything is written, streamed: errors with line numbers,
    a repeated ID number found by a hash of it (memory stays small at a million rows)."""
    codes = set(Region.objects.values_list("code", flat=True))
    errors: list[tuple[int, str]] = []
    seen: dict[int, int] = {}
    for line, row in data_rows(file):
        if line < start_line:
            continue
        try:
            data = check_row(row, codes)
        except RuleViolation as exc:
            errors.append((line, exc.text))
            continue
        key = hash((data.id_type, data.id_number))
        if key in seen:
            errors.append((line, _("与第 %(line)s 行重复。") % {"line": seen[key]}))
            continue
        seen[key] = line
    return errors


def _good_rows(file: Path, bad: dict[int, str], writer):
    for line, row in data_rows(file):
        if line in bad:
            if writer:
                writer.pending[line] = (row.get("id_number") or "", bad[line])
            continue
        yield line, row


class _Report(ImportReportWriter):
    """One CSV row per input row (UTF-8 with BOM, formula-safe), in line order: rows the
    first pass refused are written where they belong among the imported ones."""

    def __init__(self, path: Path) -> None:
        try:
            handle = path.open("w", encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise CommandError(_("无法写入报告文件:%(error)s") % {"error": exc},
                               returncode=2) from exc
        super().__init__(handle)
        self.pending: dict[int, tuple[str, str]] = {}

    def write(self, row: ImportRow) -> None:
        self.flush_refused(upto=row.line)
        super().write(row)

    def flush_refused(self, *, upto: int | None) -> None:
        for line in sorted(n for n in self.pending if upto is None or n < upto):
            number, message = self.pending.pop(line)
            self.write_values(line, mask_id_number(number.strip()), ImportOutcome.REFUSED,
                              message)

    def close(self) -> None:
        self.handle.close()


def _summary(result: ImportResult) -> str:
    o = result.outcomes
    text = _("新增 %(created)s,更新 %(updated)s,登记死亡 %(death_recorded)s,"
             "未变 %(unchanged)s,有误跳过 %(errors)s。") % {
        "created": o[ImportOutcome.CREATED], "updated": o[ImportOutcome.UPDATED],
        "death_recorded": o[ImportOutcome.DEATH_RECORDED],
        "unchanged": o[ImportOutcome.UNCHANGED], "errors": o[ImportOutcome.REFUSED]}
    return (_("试运行(未写入):") + text) if result.dry_run else text
