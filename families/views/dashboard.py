"""监管看板: a supervisor's (or system administrator's) view of his region's halls. The
numbers come from families.dashboard; charts are drawn by a static script from the
json_script data, each with its table and an Excel-safe CSV export."""

from __future__ import annotations

import csv

from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from accounts.excel import excel_text
from accounts.models import Region, ServiceHall
from accounts.scoping import sees_all_regions
from families.chinatime import china_date
from families.dashboard import Dashboard, build_dashboard
from families.views.common import render_admin, require_perm

VIEW_DASHBOARD = "families.view_dashboard"


def _region(request) -> tuple[Region, list[Region], list[ServiceHall]]:
    """The region shown, the regions to choose from (system administrators) and the
    region's halls. A supervisor's halls and region come in one query from his hall id."""
    if sees_all_regions(request.user):
        regions = list(Region.objects.order_by("code"))
        chosen = next((r for r in regions if r.code == request.GET.get("region")), None)
        if chosen is None and regions:
            chosen = regions[0]
        if chosen is None:
            raise Http404
        return chosen, regions, list(ServiceHall.objects.filter(region=chosen).order_by("code"))
    if request.user.hall_id is None:
        raise Http404
    halls = list(ServiceHall.objects.filter(region__halls=request.user.hall_id)
                 .select_related("region").order_by("code"))
    return halls[0].region, [], halls


def tables(board: Dashboard) -> dict[str, dict]:
    """Every chart's data as a table: title, column headers, rows (also the CSV)."""
    def number(value):
        return "" if value is None else value

    metrics = [("intakes", _("受理")), ("approvals", _("审核通过")), ("rejections", _("驳回")),
               ("withdrawals", _("撤回")), ("expiries", _("过期"))]
    halls_header = [_("受理网点")] + [f"{label}{_('(今日)')}" for _m, label in metrics] + [
        f"{label}{_('(近30天)')}" for _m, label in metrics] + [
        _("待审核"), _("逾期"), _("审核用时中位数(小时)"), _("审核用时P90(小时)")]
    halls_rows = [[r.hall.name] + [r.today[m] for m, _l in metrics]
                  + [r.month[m] for m, _l in metrics]
                  + [r.pending, r.overdue, number(r.median_hours), number(r.p90_hours)]
                  for r in board.halls]
    return {
        "halls": {"title": _("各网点业务量"), "header": halls_header, "rows": halls_rows},
        "daily": {"title": _("近30天每日业务量"),
                  "header": [_("日期")] + [label for _m, label in metrics],
                  "rows": [[d.isoformat()] + [board.daily[m][i] for m, _l in metrics]
                           for i, d in enumerate(board.days)]},
        "ages": {"title": _("待审核申请已等待工作日数"), "header": [_("已等待(工作日)"), _("件数")],
                 "rows": [list(x) for x in board.pending_ages]},
        "reasons": {"title": _("驳回原因(近30天)"), "header": [_("驳回原因"), _("件数")],
                    "rows": [list(x) for x in board.reject_reasons]},
        "refusals": {"title": _("预检未通过(按规则代码,近30天)"),
                     "header": [_("规则代码"), _("次数")],
                     "rows": [list(x) for x in board.refusals]},
    }


def charts(board: Dashboard, data: dict[str, dict]) -> list[dict]:
    daily = data["daily"]
    return [
        {"id": "daily", "kind": "line", "title": daily["title"],
         "categories": [row[0][5:] for row in daily["rows"]],
         "series": [{"name": name, "data": [row[i + 1] for row in daily["rows"]]}
                    for i, name in enumerate(daily["header"][1:])]},
        {"id": "ages", "kind": "bar", "title": data["ages"]["title"],
         "categories": [row[0] for row in data["ages"]["rows"]],
         "series": [{"name": _("件数"), "data": [row[1] for row in data["ages"]["rows"]]}]},
        {"id": "reasons", "kind": "bar", "title": data["reasons"]["title"],
         "categories": [row[0] for row in data["reasons"]["rows"]],
         "series": [{"name": _("件数"), "data": [row[1] for row in data["reasons"]["rows"]]}]},
        {"id": "refusals", "kind": "bar", "title": data["refusals"]["title"],
         "categories": [row[0] for row in data["refusals"]["rows"]],
         "series": [{"name": _("次数"), "data": [row[1] for row in data["refusals"]["rows"]]}]},
    ]


def _csv(name: str, table: dict, region: Region) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="dashboard-{region.code}-{name}.csv"')
    response.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese correctly
    writer = csv.writer(response)
    writer.writerow([excel_text(h) for h in table["header"]])
    for row in table["rows"]:
        writer.writerow([v if isinstance(v, int | float) else excel_text(v) for v in row])
    return response


@require_perm(VIEW_DASHBOARD)
def dashboard(request):
    region, regions, halls = _region(request)
    board = build_dashboard(region_id=region.pk, today=china_date(), halls=halls)
    data = tables(board)
    export = request.GET.get("export")
    if export:
        if export not in data:
            raise Http404
        return _csv(export, data[export], region)
    return render_admin(request, "counter/dashboard.html", _("监管看板"), {
        "board": board, "region": region, "regions": regions, "tables": data,
        "chart_data": {"charts": charts(board, data)},
    })
