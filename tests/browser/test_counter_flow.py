"""The counter flow in a real headless Chromium (system browser, never downloaded):
a clerk takes an offline binding application with a scanned proof and prints the
receipt; a different supervisor finds it in the queue, looks at the scan and approves."""

import datetime
import re
from pathlib import Path

import pytest
from django.db import connections

from families.choices import ApplicationStatus, BindingStatus
from families.models import CounterApplication
from tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
PASSWORD = "Test-pass-2026"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@pytest.fixture(autouse=True)
def _orm_beside_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test
    # itself are still synchronous and safe. Scoped to these tests only.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, headless=True,
                                             args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # ORM calls made while Playwright runs its event loop get their own connection
        # (Django's connection store is context-local); close it, or PostgreSQL refuses
        # to drop the test database at the end of the session.
        connections.close_all()


@pytest.fixture(autouse=True)
def _plain_http_cookies(settings):
    # The live server speaks plain HTTP; production keeps secure cookies.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


CSP_VIOLATIONS: list[str] = []
_CSP_LISTENER = """
document.addEventListener('securitypolicyviolation', e => {
  console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI);
});
"""


def log_in(browser, live_server, username: str, next_url: str, viewport: dict | None = None):
    context = browser.new_context(locale="zh-CN", **({"viewport": viewport} if viewport else {}))
    page = context.new_page()
    page.set_default_timeout(15_000)
    # Every page runs under the production Content-Security-Policy: collect violations.
    page.add_init_script(_CSP_LISTENER)
    page.on("console", lambda m: CSP_VIOLATIONS.append(m.text)
            if "Content Security Policy" in m.text or "CSP violation" in m.text else None)
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.press("#id_password", "Enter")
    page.wait_for_url(re.compile(re.escape(next_url) + "$"))
    return page


def fill_verification(page, scan_name: str, *, sign: bool = True, size=(90, 60)):
    """Step 2 of the intake: originals seen, the household register as proof, one PNG scan
    (`size` pixels), and the signed letter unless `sign` is False."""
    page.check("#id_holder_id_seen")
    page.check("#id_member_id_seen")
    page.check("#id_proof_seen")
    page.select_option("#id_proof_type", "household_register")
    page.fill("#id_proof_number", "HK-110101-0042")
    page.set_input_files("#id_scans", files=[
        {"name": scan_name, "mimeType": "image/png", "buffer": f.png_bytes(size)}])
    if sign:
        page.check("#id_commitment_signed")


def pdf_page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_clerk_intake_then_supervisor_review_in_a_real_browser(browser, live_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    CSP_VIOLATIONS.clear()
    clerk, supervisor = f.clerk("clerk1"), f.supervisor("supervisor1")
    holder = f.person("刘建国", birth=datetime.date(1975, 3, 8))
    member = f.person("刘秀珍", birth=datetime.date(1943, 9, 1), sex="F")

    # --- the clerk, at the counter, with the keyboard
    page = log_in(browser, live_server, "clerk1", "/admin/counter/intake/")
    page.fill("#id_holder_id_number", holder.id_number)
    page.fill("#id_holder_name", holder.name)
    page.fill("#id_member_id_number", member.id_number)
    page.fill("#id_member_name", member.name)
    page.select_option("#id_relationship", "parent")
    page.press("#id_member_name", "Enter")  # the default button runs the pre-check
    page.wait_for_selector("#checks")
    assert "本月已新增被绑定 0 次,上限 6 次" in page.inner_text("#checks")
    assert page.locator("#checks tr.failed").count() == 0

    page.select_option("#id_no_face_reason", "elderly")
    fill_verification(page, "户口簿.png", size=(120, 80))
    page.click("#submit-button")
    page.wait_for_selector("#receipt")

    number = page.inner_text("#application-number").strip()
    receipt_text = page.inner_text("#receipt")
    assert re.fullmatch(r"BJ01-\d{8}-0001", number)
    assert member.masked_id_number in receipt_text and member.id_number not in receipt_text
    assert "个工作日内" in receipt_text
    page.screenshot(path=str(ARTIFACTS / "counter-receipt.png"), full_page=True)
    page.emulate_media(media="print")
    assert not page.locator("#header").is_visible()  # no admin chrome on paper
    pdf = page.pdf(format="A4", prefer_css_page_size=True, print_background=False)
    (ARTIFACTS / "counter-receipt.pdf").write_bytes(pdf)
    assert pdf_page_count(pdf) == 1
    page.context.close()

    # --- a different staff member, the supervisor
    page = log_in(browser, live_server, "supervisor1", "/admin/")
    page.click("#counter-module >> text=待审核")
    page.wait_for_selector("#queue")
    page.click(f"#queue >> text={number}")
    page.wait_for_selector("#review-form")
    image = page.locator("#scans img")
    image.wait_for()
    # Polled from here: wait_for_function evaluates its predicate with eval() inside the
    # page, which the Content-Security-Policy (no 'unsafe-eval') rightly blocks.
    for _attempt in range(150):
        if page.evaluate("document.querySelector('#scans img').naturalWidth") > 0:
            break
        page.wait_for_timeout(100)
    assert page.evaluate("document.querySelector('#scans img').naturalWidth") == 120
    with page.expect_popup() as opened:
        image.click()  # the supervisor opens the scan in its own tab
    scan_tab = opened.value
    scan_tab.wait_for_load_state()
    assert "/admin/counter/scans/" in scan_tab.url
    scan = page.context.request.get(scan_tab.url)
    assert scan.status == 200 and scan.headers["content-type"] == "image/png"
    assert scan.body() == f.png_bytes((120, 80))
    scan_tab.close()
    assert page.locator("#checks tr.failed").count() == 0
    page.screenshot(path=str(ARTIFACTS / "counter-review.png"), full_page=True)
    page.fill("#id_reason", "原件与扫描件一致,同意绑定")
    page.click("#approve-button")
    page.wait_for_url(re.compile(r"/admin/counter/queue/$"))
    assert number in page.inner_text(".messagelist")
    page.context.close()

    application = CounterApplication.objects.select_related("binding").get(number=number)
    assert application.status == ApplicationStatus.APPROVED
    binding = application.binding
    assert binding.status == BindingStatus.ACTIVE
    history = list(binding.history.order_by("history_id"))
    assert [h.history_user for h in history] == [clerk, supervisor]
    assert [h.status for h in history] == ["pending", "active"]
    assert history[-1].history_change_reason == "原件与扫描件一致,同意绑定"
    assert not CSP_VIOLATIONS, CSP_VIOLATIONS
