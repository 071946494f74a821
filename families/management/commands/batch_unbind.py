"""Batch unbinds after deaths, divorces, insurance terminations and data clean-ups.

Thin: parse arguments, check the input file and the operator (exit code 2 before anything
is written), call families.services.batch.batch_unbind, write the report and a one-line
summary. Exit code 0 when everything valid was done, 1 when some input row was invalid
(reported, never stops the run), 2 on a fatal error before anything was written, 3 when
the database failed mid-run (committed chunks stay; the same command finishes the job).
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from tqdm import tqdm

from accounts.csv_input import check_file, data_rows
from accounts.csv_input import operator as find_operator
from accounts.models import Region
from families.services.batch import (
    DEFAULT_CHUNK_SIZE,
    REASONS,
    SCOPES,
    BatchResult,
    Deceased,
    InsuranceTerminated,
    Outcome,
    PairRows,
    PersonRows,
    batch_unbind,
)
from families.services.batch.report import KIND_LABELS, ReportWriter

PERSON_COLUMNS = ["id_number"]
PAIR_COLUMNS = ["holder_id_number", "member_id_number"]
PERMISSIONS = {"bindings": ["families.unbind_binding"],
               "copay": ["families.revoke_copayauthorization"],
               "all": ["families.unbind_binding", "families.revoke_copayauthorization"]}


class Command(BaseCommand):
    help = gettext_lazy("批量解除亲情账户绑定和家庭共济授权(死亡、离婚、参保终止、本人申请、数据清理)。"
                        "分块提交,中断后重新运行同一命令即可继续,不会重复解除。")

    def add_arguments(self, parser):
        what = parser.add_mutually_exclusive_group(required=True)
        what.add_argument("--csv", type=Path, metavar="FILE",
                          help=gettext_lazy("参保人清单(列:id_number,可选 id_type、name):解除其全部关系"))
        what.add_argument("--pairs", type=Path, metavar="FILE",
                          help=gettext_lazy("两人清单(列:holder_id_number,member_id_number):只解除两人之间的关系"))
        what.add_argument("--deceased", action="store_true", help=gettext_lazy("已登记死亡且仍有关系的参保人"))
        what.add_argument("--insurance-terminated", action="store_true",
                          help=gettext_lazy("参保状态为终止且仍有关系的参保人"))
        parser.add_argument("--region", metavar="CODE", help=gettext_lazy("只处理参保于该统筹区的参保人"))
        parser.add_argument("--scope", choices=SCOPES, default="all",
                            help=gettext_lazy("bindings 亲情账户、copay 家庭共济、all 两者(默认)"))
        parser.add_argument("--reason", required=True, choices=REASONS, help=gettext_lazy("解除原因(记入历史)"))
        parser.add_argument("--operator", required=True, help=gettext_lazy("经办人用户名(记入历史)"))
        parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("只统计和生成报告,不做任何修改"))
        parser.add_argument("--report", type=Path, metavar="FILE",
                            help=gettext_lazy("结果报告 CSV(UTF-8 带 BOM,可直接用 Excel 打开)"))
        parser.add_argument("--chunk-size", type=int, default=DEFAULT_CHUNK_SIZE,
                            help=gettext_lazy("每个事务处理的关系数(默认 10000)"))
        parser.add_argument("--pause", type=float, default=0.0,
                            help=gettext_lazy("每个事务后暂停的秒数(为窗口业务让出数据库)"))
        parser.add_argument("--workers", type=int, default=1,
                            help=gettext_lazy("--deceased / --insurance-terminated:同时处理事务的"
                                              "数据库连接数(仅 PostgreSQL,默认 1)"))

    def handle(self, *args, **options):
        actor = self._operator(options["operator"], options["scope"])
        region = None
        if options["region"]:
            region = Region.objects.filter(code=options["region"]).first()
            if region is None:
                raise CommandError(_("统筹区“%(code)s”不存在。") % {"code": options["region"]},
                                   returncode=2)
        if options["chunk_size"] < 1 or options["pause"] < 0 or not 1 <= options["workers"] <= 8:
            raise CommandError(_("--chunk-size 须为正整数,--pause 不能为负数,--workers 为 1 到 8。"),
                               returncode=2)
        selection = self._selection(options)
        report = _Report(options["report"]) if options["report"] else None
        bar = tqdm(desc=_("批量解除"), unit=_("条"), file=self.stderr._out, dynamic_ncols=True,
                   disable=options["verbosity"] == 0)
        try:
            result = batch_unbind(
                actor=actor, selection=selection, reason=options["reason"],
                scope=options["scope"], region=region, dry_run=options["dry_run"],
                chunk_size=options["chunk_size"], pause=options["pause"],
                report=report.write if report else None, progress=bar,
                workers=options["workers"],
            )
        except DatabaseError as exc:
            raise CommandError(
                _("数据库错误,已提交的部分有效;排除故障后重新运行同一命令即可继续:%(error)s")
                % {"error": exc}, returncode=3) from exc
        finally:
            bar.close()
            if report:
                report.close()
        if options["dry_run"] or options["verbosity"] >= 2:
            self._breakdown(result, options["reason"])
        self.stdout.write(_summary(result))
        if result.invalid_rows:
            raise CommandError(_("%(n)d 行输入有误,已写入报告,其余已处理。")
                               % {"n": result.invalid_rows}, returncode=1)

    def _operator(self, username: str, scope: str):
        return find_operator(
            username, permissions=tuple(PERMISSIONS[scope]),
            denied=_("经办人“%(name)s”没有解除绑定或撤销共济授权的权限。") % {"name": username},
        )

    def _selection(self, options):
        if options["deceased"]:
            return Deceased()
        if options["insurance_terminated"]:
            return InsuranceTerminated()
        if options["csv"]:
            path, required, kind = options["csv"], PERSON_COLUMNS, PersonRows
        else:
            path, required, kind = options["pairs"], PAIR_COLUMNS, PairRows
        total = check_file(path, required)
        return kind(rows=data_rows(path), total=total)

    def _breakdown(self, result: BatchResult, reason: str) -> None:
        title = _("试运行(未做任何修改)") if result.dry_run else _("处理结果")
        self.stdout.write(_("%(title)s,原因:%(reason)s") % {"title": title, "reason": reason})
        regions = dict(Region.objects.values_list("code", "name"))
        for (code, kind, outcome), n in sorted(result.by_region.items(),
                                               key=lambda item: tuple(map(str, item[0]))):
            where = f"{regions.get(code, '')}({code})" if code else _("(无统筹区)")
            label = _(KIND_LABELS[kind]) if kind else _("输入行")
            self.stdout.write(f"  {where} {label} {Outcome(outcome).label}:{n}")


class _Report(ReportWriter):
    def __init__(self, path: Path) -> None:
        try:
            handle = path.open("w", encoding="utf-8-sig", newline="")
        except OSError as exc:
            raise CommandError(_("无法写入报告文件:%(error)s") % {"error": exc},
                               returncode=2) from exc
        super().__init__(handle)

    def close(self) -> None:
        self.handle.close()


def _summary(result: BatchResult) -> str:
    o = result.outcomes
    rate = result.ended / result.elapsed if result.elapsed else 0
    if result.dry_run:
        return _("试运行:将解除 %(would)d,此前已结束 %(already)d,跳过 %(skipped)d"
                 "(未结算 %(pending)d,未满期限 %(early)d),无关系 %(none)d,其他统筹区 %(other)d,"
                 "无效行 %(invalid)d,未做任何修改。") % {
            "other": o[Outcome.OTHER_REGION],
            "would": o[Outcome.WOULD_END], "already": o[Outcome.ALREADY_ENDED],
            "skipped": result.skipped, "pending": o[Outcome.SKIPPED_PENDING_SETTLEMENT],
            "early": o[Outcome.SKIPPED_TOO_EARLY], "none": o[Outcome.NO_LINKS],
            "invalid": result.invalid_rows}
    return _("已解除 %(ended)d(绑定 %(bindings)d,共济 %(copays)d),此前已结束 %(already)d,"
             "跳过 %(skipped)d(未结算 %(pending)d,未满期限 %(early)d),无关系 %(none)d,"
             "其他统筹区 %(other)d,无效行 %(invalid)d;用时 %(seconds).1f 秒,%(rate)d 条/秒。"
             ) % {
        "ended": result.ended, "bindings": result.ended_by_kind["binding"],
        "copays": result.ended_by_kind["copay"], "already": o[Outcome.ALREADY_ENDED],
        "skipped": result.skipped, "pending": o[Outcome.SKIPPED_PENDING_SETTLEMENT],
        "early": o[Outcome.SKIPPED_TOO_EARLY], "none": o[Outcome.NO_LINKS],
        "other": o[Outcome.OTHER_REGION], "invalid": result.invalid_rows,
        "seconds": result.elapsed, "rate": rate}
