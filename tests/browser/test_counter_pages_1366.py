"""A counter PC (1366×768) in the system Chromium: a clerk takes an application of each
kind (binding, co-pay) and prints the letter that kind needs; a refused step 2 keeps the
scans; the pre-check hands the keyboard to step 2; a supervisor reviews; the audit log;
and every page clerks and supervisors reach from the home page fits the screen (no
horizontal scrolling, no name broken one character per line) and shows no English
outside data. Screenshots: var/screenshots/ (path printed)."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import User
from audit.models import AuditEvent
from audit.services import save_audited
from families.models import CounterApplication
from families.services.counter import application_approve
from tests import factories as f
from tests.browser import test_counter_flow as counter_flow
from tests.browser.test_counter_flow import CSP_VIOLATIONS, fill_verification, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
browser = counter_flow.browser
_orm_beside_playwright = counter_flow._orm_beside_playwright
_plain_http_cookies = counter_flow._plain_http_cookies

SCREEN = {"width": 1366, "height": 768}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
BINDING_WORDS = "添加至本人医保电子凭证亲情账户"
COPAY_WORDS = "使用本人职工医保个人账户余额支付"

# Latin words that are data or names of formats, never interface text: the brand suffix
# of channel names (国家医保服务平台APP), file formats, the column names of the batch
# page's CSV files (id_number, name, status ...: any word with "_" is such a name).
ALLOWED_WORDS = {"APP", "CSV", "PDF", "UTF", "BOM", "Excel", "IP", "name", "status"}
# hall codes, application and proof numbers (BJ01, BJ01-20260101-0001, HK000042), the
# extension of an uploaded file's name (户口簿.png)
DATA_PATTERNS = re.compile(r"(?<![A-Za-z])[A-Z]{1,4}-?\d[\d-]*|\.(?:png|jpe?g|pdf)(?![A-Za-z])")

FIT_JS = r"""() => {
  const doc = document.documentElement;
  const content = document.querySelector('#content-main') || document.querySelector('#content');
  const wide = [...document.querySelectorAll('#content .results, #content table')]
    .filter(el => el.scrollWidth > el.clientWidth + 1)
    .map(el => (el.id || el.className || el.tagName) + ' ' + el.scrollWidth + '>' + el.clientWidth);
  // A word broken over lines: a cell of two or more characters whose lines hold fewer
  // than 2.5 characters each (Chinese names printed one character per line).
  const narrow = [...document.querySelectorAll('#content tbody td, #content tbody th')]
    .filter(td => {
      const chars = td.innerText.replace(/\s/g, '').length;
      if (chars < 2 || td.querySelector('input, img, select, textarea')) return false;
      const range = document.createRange();
      range.selectNodeContents(td);
      const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
      return tops.size >= 2 && chars / tops.size < 2.5;
    })
    .map(td => td.innerText.trim());
  return {page: [doc.scrollWidth, doc.clientWidth],
          content: [content.scrollWidth, content.clientWidth], wide, narrow};
}"""

# The audit log's old → new values are data (file names and types of a scan ...).
TEXT_JS = """() => {
  const root = document.querySelector('#container') || document.body;
  let text = root.innerText;
  root.querySelectorAll('td.field-changes_short').forEach(td => {
    text = text.replace(td.innerText, ' ');
  });
  const texts = [document.title, text];
  for (const el of root.querySelectorAll('[title],[placeholder],[aria-label]')) {
    for (const a of ['title', 'placeholder', 'aria-label']) {
      if (el.getAttribute(a)) texts.push(el.getAttribute(a));
    }
  }
  for (const el of root.querySelectorAll('input[type=submit], input[type=button], option')) {
    texts.push(el.value && el.tagName === 'INPUT' ? el.value : el.textContent);
  }
  return texts.join('\\n');
}"""


def shoot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def assert_fits(page, where: str) -> None:
    found = page.evaluate(FIT_JS)
    assert found["page"][0] <= found["page"][1], (where, "page scrolls sideways", found)
    assert found["content"][0] <= found["content"][1], (where, "content overflows", found)
    assert not found["wide"], (where, "table wider than its box", found["wide"])
    assert not found["narrow"], (where, "text squeezed to one character a line",
                                 found["narrow"][:5])


def english_words(page) -> set[str]:
    usernames = set(User.objects.values_list("username", flat=True))
    text = DATA_PATTERNS.sub(" ", page.evaluate(TEXT_JS))
    for username in usernames:  # the header prints a name-less user's login in capitals
        text = re.sub(re.escape(username), " ", text, flags=re.IGNORECASE)
    return {w for w in re.findall(r"[A-Za-z][A-Za-z_]+", text)
            if w not in ALLOWED_WORDS and "_" not in w}


def wait_for_focus(page, element_id: str) -> None:
    for _attempt in range(50):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"focus on {page.evaluate('document.activeElement.outerHTML')}")


def fill_parties(page, kind: str, holder, member, relationship: str, reserve: str = ""):
    page.select_option("#id_kind", kind)
    page.fill("#id_holder_id_number", holder.id_number)
    page.fill("#id_holder_name", holder.name)
    page.fill("#id_member_id_number", member.id_number)
    page.fill("#id_member_name", member.name)
    page.select_option("#id_relationship", relationship)
    if reserve:
        page.fill("#id_reserve", reserve)
    page.press("#id_member_name", "Enter")  # the default button: the pre-check
    page.wait_for_selector("#checks")
    assert page.locator("#checks tr.failed").count() == 0, page.inner_text("#checks")
    # The keyboard is in step 2 at once, not on <body>.
    wait_for_focus(page, "id_no_face_reason")


def letter_text(page) -> str:
    with page.expect_popup() as opened:
        page.click("button[value=letter]")
    letter = opened.value
    letter.wait_for_selector("#commitment-letter")
    text = letter.inner_text("#commitment-letter")
    letter.close()
    return text


def test_clerk_takes_each_kind_with_its_own_letter_and_keeps_scans_after_an_error(
        browser, live_server):
    CSP_VIOLATIONS.clear()
    f.clerk("clerk1")
    holder = f.person("欧阳建国", birth=datetime.date(1975, 3, 8))
    elder = f.person("欧阳秀珍", birth=datetime.date(1943, 9, 1), sex="F")
    page = log_in(browser, live_server, "clerk1", "/admin/counter/intake/", viewport=SCREEN)

    # --- binding: the binding letter; step 2 refused (no signed letter) keeps the scan
    fill_parties(page, "binding", holder, elder, "parent")
    text = letter_text(page)
    assert BINDING_WORDS in text and "不转移资金" in text and COPAY_WORDS not in text
    page.select_option("#id_no_face_reason", "elderly")
    fill_verification(page, "户口簿-绑定.png", sign=False)
    page.click("#submit-button")
    page.wait_for_selector("#staged-scans")
    assert "户口簿-绑定.png" in page.inner_text("#staged-scans")
    assert page.is_checked("#staged-scans input[name=staged]")
    wait_for_focus(page, "id_commitment_signed")  # the first error has the keyboard
    shoot(page, "intake-binding-step2-error")
    page.check("#id_commitment_signed")
    page.click("#submit-button")  # nothing re-attached: the staged scan goes in
    page.wait_for_selector("#receipt")
    number = page.inner_text("#application-number").strip()
    binding_app = CounterApplication.objects.get(number=number)
    assert binding_app.kind == "binding"
    assert [s.original_name for s in binding_app.binding.proof.scans.all()] == [
        "户口簿-绑定.png"]
    shoot(page, "intake-binding-receipt")

    # --- co-pay: its own letter (money moves), 未成年人 preselected for a child
    from settlements.services import allocation_post

    parent = f.person("司马建华", birth=datetime.date(1980, 5, 2))
    child = f.person("司马小宝", birth=datetime.date(2018, 6, 1), insurance_type="resident")
    allocation_post(actor=f.supervisor("allocator"), person=parent, period="202611",
                    amount=Decimal("800.00"), reason="划入")
    page.goto(f"{live_server.url}/admin/counter/intake/")
    fill_parties(page, "copay", parent, child, "child", reserve="300")
    assert page.input_value("#id_no_face_reason") == "minor"
    text = letter_text(page)
    assert COPAY_WORDS in text and BINDING_WORDS not in text and "不转移资金" not in text
    fill_verification(page, "出生证明-共济.png")
    shoot(page, "intake-copay-step2")
    page.click("#submit-button")
    page.wait_for_selector("#receipt")
    copay_app = CounterApplication.objects.get(
        number=page.inner_text("#application-number").strip())
    assert copay_app.kind == "copay" and copay_app.copay.reserve == Decimal("300.00")
    shoot(page, "intake-copay-receipt")
    page.context.close()
    assert not CSP_VIOLATIONS, CSP_VIOLATIONS


def _world():
    """Enough rows with long names and labels for every list to have something to lay
    out, as a busy hall would."""
    from settlements.services import allocation_post

    clerk, supervisor = f.clerk("clerk1"), f.supervisor("supervisor1")
    for user, (last, first) in ((clerk, ("王", "小明")), (supervisor, ("张", "审核"))):
        user.last_name, user.first_name = last, first
        save_audited(user, actor=None, reason="姓名", action="changed")
    hall = clerk.hall
    hall.name = "北京市东城区医疗保障事务中心经办大厅"
    save_audited(hall, actor=None, reason="全称", action="changed")
    f.policy()
    holder = f.person("欧阳建国", birth=datetime.date(1975, 3, 8))
    member = f.person("欧阳秀珍", birth=datetime.date(1943, 9, 1), sex="F")
    application = f.counter_application(holder, member, actor=clerk, relationship="parent",
                                        no_face_reason="elderly")
    for i in range(3):
        f.binding(f.person(f"诸葛明{i}"), f.person(f"诸葛亮{i}"), channel="national_app")
    parent, child = f.person("司马建华"), f.person("司马小宝", insurance_type="resident")
    allocation_post(actor=supervisor, person=parent, period="202611",
                    amount=Decimal("800.00"), reason="划入")
    f.active_copay(parent, child, reserve="100")
    decided = f.counter_application(f.person("慕容复"), f.person("慕容博"), actor=clerk,
                                    relationship="child")
    application_approve(actor=f.supervisor("supervisor2"), application=decided,
                        reason="材料齐全")
    return application


def _pages_from_home(page, live_server) -> list[str]:
    page.goto(f"{live_server.url}/admin/")
    hrefs = page.eval_on_selector_all("#content a", "els => els.map(e => e.getAttribute('href'))")
    return ["/admin/", *sorted({h for h in hrefs if h and h.startswith("/admin/")
                                and not h.endswith("/add/")})]


def _walk(page, live_server, role: str, extra: dict[str, str]) -> None:
    """Every page linked from the home page, then `extra` (screenshot name -> URL)."""
    pages = {re.sub(r"\W+", "-", url.strip("/")): url
             for url in _pages_from_home(page, live_server)}
    problems = []
    for name, url in {**pages, **extra}.items():
        page.goto(f"{live_server.url}{url}")
        name = f"{role}-{name}"
        try:
            assert_fits(page, url)
        except AssertionError as exc:
            problems.append(str(exc))
        words = english_words(page)
        if words:
            text = page.evaluate(TEXT_JS)
            where = [text[max(0, m.start() - 30):m.end() + 10]
                     for w in words for m in [re.search(re.escape(w), text)] if m]
            problems.append(f"{url}: English {sorted(words)} in {where}")
        shoot(page, name)
    assert not problems, "\n".join(problems)


def test_supervisor_reviews_and_every_page_fits_the_counter_screen_in_chinese(
        browser, live_server):
    CSP_VIOLATIONS.clear()
    application = _world()
    extra = {"application-detail": f"/admin/counter/applications/{application.pk}/",
             "application-lookup": f"/admin/counter/lookup/?number={application.number}"}

    page = log_in(browser, live_server, "clerk1", "/admin/", viewport=SCREEN)
    _walk(page, live_server, "clerk", extra)
    page.context.close()

    page = log_in(browser, live_server, "supervisor1", "/admin/", viewport=SCREEN)
    page.click("#counter-module >> text=待审核")
    page.wait_for_selector("#queue")
    assert_fits(page, "queue")
    page.click(f"#queue >> text={application.number}")
    page.wait_for_selector("#review-form")
    page.locator("#scans img").wait_for()
    assert_fits(page, "review")
    shoot(page, "supervisor-review")
    # One view event for the page, none per thumbnail; the approval is audited.
    assert AuditEvent.objects.filter(action="scan_view").count() == 1
    assert not AuditEvent.objects.filter(action="scan_download").exists()
    page.fill("#id_reason", "原件与扫描件一致,同意绑定")
    page.click("#approve-button")
    page.wait_for_url(re.compile(r"/admin/counter/queue/$"))
    assert application.number in page.inner_text(".messagelist")
    assert "已已" not in page.inner_text(".messagelist")

    # The audit log: exact searches above the action list, one entry per action label.
    page.goto(f"{live_server.url}/admin/audit/auditevent/")
    titles = page.eval_on_selector_all("#changelist-filter details summary",
                                       "els => els.map(e => e.innerText.trim())")
    assert titles.index("参保人证件号码(精确)") < titles.index("操作")
    labels = page.eval_on_selector_all("select[name=action] option",
                                       "els => els.map(e => e.textContent.trim())")
    assert len(labels) == len(set(labels)) and "审核通过" in labels
    page.select_option("select[name=action]", label="审核通过")
    page.click("form.audit-select-filter input[type=submit]")
    page.wait_for_selector("#result_list")
    assert "原件与扫描件一致,同意绑定" in page.inner_text("#result_list")
    assert_fits(page, "audit log filtered")
    shoot(page, "supervisor-audit-log")
    event = AuditEvent.objects.get(action="application_approve",
                                   reason="原件与扫描件一致,同意绑定")
    extra |= {"audit-event": f"/admin/audit/auditevent/{event.pk}/change/",
              "binding-history": f"/admin/families/binding/{application.binding_id}/history/"}
    _walk(page, live_server, "supervisor", extra)
    page.context.close()
    assert not CSP_VIOLATIONS, CSP_VIOLATIONS
