"""个人账户对账单 as CSV that opens correctly in Excel: UTF-8 with BOM, CRLF, amounts as
plain numbers, text cells that Excel would read as a formula neutralized."""

import csv
import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.excel import excel_number, excel_text
from audit.access import record_access_event
from audit.actions import AuditAction
from families.chinatime import CHINA
from settlements.models import PersonalAccount
from settlements.selectors import statement_entries


def statement_rows(
    account: PersonalAccount,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
):
    """The statement as rows of cells (the first rows describe the account)."""
    person = account.person
    yield [_("个人账户对账单")]
    yield [_("账户持有人"), excel_text(person.name), excel_text(person.masked_id_number)]
    yield [
        _("期间"),
        date_from.isoformat() if date_from else _("开户起"),
        date_to.isoformat() if date_to else _("至今"),
    ]
    yield [_("当前余额(元)"), excel_number(account.balance)]
    yield []
    yield [
        _("记账时间"), _("类型"), _("发生额(元)"), _("变动后余额(元)"), _("所属期"),
        _("就医人姓名"), _("就医人证件号码"), _("定点机构"), _("费用类别"),
        _("机构结算流水号"), _("摘要"), _("经办人"),
    ]
    for entry in statement_entries(account, date_from=date_from, date_to=date_to):
        settlement = entry.settlement
        patient = settlement.beneficiary if settlement else None
        yield [
            timezone.localtime(entry.created_at, CHINA).strftime("%Y-%m-%d %H:%M:%S"),
            str(entry.get_kind_display()),
            excel_number(entry.amount),
            excel_number(entry.balance_after),
            entry.period,
            excel_text(patient.name if patient else ""),
            excel_text(patient.masked_id_number if patient else ""),
            excel_text(settlement.institution_name if settlement else ""),
            str(settlement.get_category_display()) if settlement else "",
            excel_text(settlement.reference if settlement else ""),
            excel_text(entry.memo),
            excel_text(entry.created_by.get_username()),
        ]


def statement_response(
    request,
    account: PersonalAccount,
    *,
    date_from: datetime.date | None = None,
    date_to: datetime.date | None = None,
) -> HttpResponse:
    """The CSV download; the export itself is an audit event."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    today = timezone.localdate(timezone=CHINA)
    response["Content-Disposition"] = (
        f'attachment; filename="statement-{account.pk}-{today:%Y%m%d}.csv"'
    )
    response.write("\ufeff")
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerows(statement_rows(account, date_from=date_from, date_to=date_to))
    record_access_event(
        request.user, AuditAction.EXPORT, account, request=request,
        reason=_("导出个人账户对账单"),
        details={
            "date_from": date_from.isoformat() if date_from else "",
            "date_to": date_to.isoformat() if date_to else "",
        },
    )
    return response
