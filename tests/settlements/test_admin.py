"""Supervisor pages: read-only accounts, ledger and settlements; reversal as an action
with a reason; a statement CSV that opens correctly in Excel."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from settlements.models import LedgerEntry, PersonalAccount, Settlement, SettlementStatus
from settlements.services import settlement_reverse
from tests import factories
from tests.factories import yuan

pytestmark = pytest.mark.django_db

ACCOUNTS = "/admin/settlements/personalaccount/"
LEDGER = "/admin/settlements/ledgerentry/"
SETTLEMENTS = "/admin/settlements/settlement/"


@pytest.fixture
def family(post):
    """A Beijing father paying by co-pay for his daughter, who has no account."""
    father = factories.person("张伟")
    daughter = factories.person("张子涵", insurance_type="resident")
    factories.account(father, 1000)
    factories.active_copay(father, daughter, reserve=100)
    settlement = post(daughter, "250.50", reference="HIS-0001")
    return father, daughter, settlement


@pytest.fixture
def supervisor_client(client):
    client.force_login(factories.supervisor("bj_sup"))
    return client


def test_supervisor_reads_the_account_list_with_masked_ids(supervisor_client, family):
    father, *_ = family
    page = supervisor_client.get(ACCOUNTS).content.decode()
    assert "张伟" in page and father.masked_id_number in page
    assert father.id_number not in page
    assert "¥749.50" in page


def test_account_list_is_region_scoped(supervisor_client, family):
    hangzhou = factories.person("王建华", region_code="330100")
    factories.account(hangzhou, 50)
    page = supervisor_client.get(ACCOUNTS).content.decode()
    assert "张伟" in page and "王建华" not in page
    account = PersonalAccount.objects.get(person=hangzhou)
    assert supervisor_client.get(f"{ACCOUNTS}{account.pk}/change/").status_code == 302
    assert supervisor_client.get(f"{ACCOUNTS}{account.pk}/statement.csv").status_code == 404


def test_account_page_shows_recent_entries_and_links(supervisor_client, family):
    father, daughter, _ = family
    account = father.personal_account
    page = supervisor_client.get(f"{ACCOUNTS}{account.pk}/change/").content.decode()
    assert "共济支付" in page and "张子涵" in page
    assert "statement.csv" in page and f"account__id__exact={account.pk}" in page


def test_ledger_list_filters_by_account_and_china_date_range(supervisor_client, family):
    father, *_ = family
    other = factories.person("王芳")
    factories.account(other, 10)
    url = f"{LEDGER}?account__id__exact={father.personal_account.pk}"
    page = supervisor_client.get(url).content.decode()
    assert "张伟" in page and "王芳" not in page
    today = timezone.localdate()
    in_range = supervisor_client.get(url + f"&date_from={today}&date_to={today}")
    assert in_range.status_code == 200 and "-¥250.50" in in_range.content.decode()
    yesterday = today - datetime.timedelta(days=1)
    empty = supervisor_client.get(url + f"&date_from={yesterday}&date_to={yesterday}")
    assert empty.status_code == 200 and "-¥250.50" not in empty.content.decode()
    bad = supervisor_client.get(url + f"&date_from={today}&date_to={yesterday}")
    assert bad.status_code in (200, 302)  # admin's "invalid filter" redirect, never a 500


@pytest.mark.parametrize("url", [ACCOUNTS, LEDGER, SETTLEMENTS])
def test_nothing_can_be_added(supervisor_client, family, url):
    assert supervisor_client.get(url + "add/").status_code == 403


def test_ledger_entry_and_settlement_cannot_be_changed_or_deleted(supervisor_client, family):
    _father, _daughter, settlement = family
    entry = LedgerEntry.objects.filter(settlement=settlement).first()
    page = supervisor_client.get(f"{LEDGER}{entry.pk}/change/").content.decode()
    assert 'name="_save"' not in page
    response = supervisor_client.post(f"{SETTLEMENTS}{settlement.pk}/change/",
                                      {"status": "reversed", "amount": "1"})
    assert response.status_code == 403
    assert supervisor_client.post(f"{LEDGER}{entry.pk}/delete/").status_code == 403
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.SETTLED


def test_settlement_page_shows_its_lines(supervisor_client, family):
    _father, _daughter, settlement = family
    page = supervisor_client.get(f"{SETTLEMENTS}{settlement.pk}/change/").content.decode()
    assert "家庭共济" in page and "¥250.50" in page
    assert 'name="lines-0-amount"' not in page  # read-only inline


def test_clerk_cannot_see_settlements(client, family):
    client.force_login(factories.clerk("bj_clerk"))
    assert client.get(SETTLEMENTS).status_code == 403
    assert client.get(ACCOUNTS).status_code == 403


def _action(client, action, settlement, **extra):
    data = {"action": action, "_selected_action": [settlement.pk], **extra}
    return client.post(SETTLEMENTS, data)


def test_reverse_action_asks_for_a_reason_then_reverses(supervisor_client, family):
    father, _daughter, settlement = family
    confirm = _action(supervisor_client, "reverse_selected", settlement)
    assert confirm.status_code == 200
    assert "冲正结算" in confirm.content.decode() and "HIS-0001" in confirm.content.decode()
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.SETTLED

    done = _action(supervisor_client, "reverse_selected", settlement, confirm="1",
                   reason="机构退费")
    assert done.status_code == 302
    settlement.refresh_from_db()
    assert settlement.status == SettlementStatus.REVERSED
    assert settlement.reverse_reason == "机构退费"
    assert settlement.reversed_by.username == "bj_sup"
    assert PersonalAccount.objects.get(person=father).balance == yuan(1000)


def test_reversing_twice_shows_the_rule_as_an_error_message(supervisor_client, family, operator):
    _father, _daughter, settlement = family
    settlement_reverse(actor=operator, settlement=settlement, reason="退费")
    response = _action(supervisor_client, "reverse_selected", settlement, confirm="1",
                       reason="再次退费")
    assert response.status_code == 302
    page = supervisor_client.get(SETTLEMENTS).content.decode()
    assert "不能重复冲正" in page


def test_finalize_action_settles_a_pending_stay(supervisor_client, post):
    patient = factories.person()
    factories.account(patient, 100)
    pending = post(patient, 50, category="inpatient", pending=True)
    response = _action(supervisor_client, "finalize_selected", pending, confirm="1",
                       reason="出院")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == SettlementStatus.SETTLED


def test_clerk_has_no_reverse_action(client, family):
    _father, _daughter, settlement = family
    client.force_login(factories.clerk("bj_clerk"))
    response = _action(client, "reverse_selected", settlement, confirm="1", reason="x")
    assert response.status_code == 403
    assert Settlement.objects.get(pk=settlement.pk).status == SettlementStatus.SETTLED


def _csv(response):
    body = response.content
    assert body.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_statement_csv_opens_in_excel_with_bom_and_plain_numbers(supervisor_client, family):
    father, daughter, _ = family
    url = f"{ACCOUNTS}{father.personal_account.pk}/statement.csv"
    response = supervisor_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert b"\r\n" in response.content
    rows = _csv(response)
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "记账时间")
    entries = rows[header_at + 1:]
    assert [(r[1], r[2], r[3]) for r in entries] == [
        ("划入", "1000.00", "1000.00"),
        ("共济支付", "-250.50", "749.50"),
    ]
    copay = entries[1]
    assert copay[5] == "张子涵" and copay[6] == daughter.masked_id_number
    assert daughter.id_number not in response.content.decode("utf-8-sig")
    assert AuditEvent.objects.filter(action="export", object_id=str(father.personal_account.pk)
                                     ).exists()


def test_statement_csv_neutralizes_formula_cells(supervisor_client, post):
    father = factories.person("=HYPERLINK(\"http://x\")")
    factories.account(father, 10)
    post(father, 1, institution_name="+SUM(A1)", reference="@cmd")
    response = supervisor_client.get(f"{ACCOUNTS}{father.personal_account.pk}/statement.csv")
    rows = _csv(response)
    cells = [cell for row in rows for cell in row]
    assert "'=HYPERLINK(\"http://x\")" in cells
    assert "'+SUM(A1)" in cells and "'@cmd" in cells
    assert "-1.00" in cells  # amounts stay numbers


def test_statement_csv_date_range(supervisor_client, family):
    father, *_ = family
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    url = f"{ACCOUNTS}{father.personal_account.pk}/statement.csv?date_from={yesterday}&date_to={yesterday}"
    rows = _csv(supervisor_client.get(url))
    header_at = next(i for i, row in enumerate(rows) if row and row[0] == "记账时间")
    assert rows[header_at + 1:] == []


def test_clerk_cannot_export_a_statement(client, family):
    father, *_ = family
    client.force_login(factories.clerk("bj_clerk"))
    url = f"{ACCOUNTS}{father.personal_account.pk}/statement.csv"
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("url", [ACCOUNTS, LEDGER, SETTLEMENTS])
def test_list_pages_use_a_constant_number_of_queries(
    supervisor_client, post, url, django_assert_max_num_queries
):
    for _ in range(5):
        patient = factories.person(insurance_type="resident")
        payer = factories.person()
        factories.account(payer, 100)
        factories.active_copay(payer, patient)
        post(patient, 10)
    # 13: on PostgreSQL the estimated-count paginator asks the planner for the row count.
    with django_assert_max_num_queries(13):
        assert supervisor_client.get(url).status_code == 200
