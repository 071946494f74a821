"""批量处理 in a real headless Chromium: a supervisor uploads a death list (or a registry
file), reads the dry run, confirms, watches the progress (polled by the static script, no
CSP violation) and downloads the Excel-safe report."""

import csv
import datetime
import io
import re

import pytest

from families.idnumbers import make_resident_id
from families.models import BatchJob, Binding, Person
from families.services.batch.jobs import batch_job_run
from tests import factories as f
from tests.browser import test_counter_flow as counter_flow
from tests.browser.test_counter_flow import CSP_VIOLATIONS, log_in
from tests.families.batch_unbind.helpers import DEAD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# The counter flow's fixtures: the system Chromium, plain-HTTP cookies, ORM beside Playwright.
browser = counter_flow.browser
_orm_beside_playwright = counter_flow._orm_beside_playwright
_plain_http_cookies = counter_flow._plain_http_cookies


@pytest.fixture(autouse=True)
def _queue_without_worker(settings):
    # The job waits in the queue until the test runs it (as a worker would), so the page
    # shows it queued and then polls its progress to the end.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.BATCH_JOB_WORKERS = 1


def test_supervisor_applies_a_death_list_from_the_browser(browser, live_server, tmp_path):
    f.supervisor("batch_sup")
    dead = f.person("王死者", death_date=DEAD)
    links = [f.binding(dead, f.person("王子")), f.binding(dead, f.person("王女"))]
    upload = tmp_path / "死亡名单.csv"
    with upload.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["id_number", "name"], [dead.id_number, dead.name],
                          ["110101190001010000", "坏号码"]])
    CSP_VIOLATIONS.clear()

    page = log_in(browser, live_server, "batch_sup", "/admin/")
    page.click("text=批量处理(解除名单、参保登记导入)")
    page.select_option("#id_source", "persons_csv")
    page.set_input_files("#id_upload", str(upload))
    page.select_option("#id_reason", "死亡")
    page.click("#batch-form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/counter/batch/\d+/$"))
    counts = page.inner_text("#dry-run-counts")
    assert re.search(r"将解除\(试运行\)\s+2", counts) and re.search(r"证件号码无效\s+1", counts)
    assert "3" in page.inner_text("#bad-rows")  # the bad row's line number
    assert all(link.status == "active" for link in Binding.objects.all())

    page.click("#confirm-form button")
    page.wait_for_selector("#batch-progress[data-active='1']")
    job = BatchJob.objects.get()
    assert job.status == "queued"
    assert batch_job_run(job.pk) == "done"  # the worker's part
    page.wait_for_selector("#report-link", timeout=20_000)  # the script saw the end
    assert page.inner_text("#batch-done") == page.inner_text("#batch-total") == "2"  # rows
    assert re.search(r"已解除\s+2", page.inner_text("#result-counts"))
    with page.expect_download() as download:
        page.click("#report-link")
    body = download.value.path().read_bytes()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert sorted(r["结果代码"] for r in rows) == ["ended", "ended", "invalid_id"]
    assert all(link.status == "unbound" for link in Binding.objects.all()) and len(links) == 2
    assert not CSP_VIOLATIONS, CSP_VIOLATIONS


def test_supervisor_imports_a_registry_file_from_the_browser(browser, live_server, tmp_path):
    f.supervisor("registry_sup")
    dying = f.person("王将逝", phone="")
    binding = f.binding(dying, f.person("王子"))
    upload = tmp_path / "参保登记.csv"
    new_number = make_resident_id("110101", datetime.date(1970, 1, 1), 1, "M")
    with upload.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([
            ["id_number", "name", "insurance_type", "region_code", "status", "death_date"],
            [new_number, "新参保", "employee", "110100", "normal", ""],
            [dying.id_number, dying.name, "employee", "110100", "normal", "2026-01-05"],
            [new_number, "重复行", "employee", "110100", "normal", ""]])
    CSP_VIOLATIONS.clear()

    page = log_in(browser, live_server, "registry_sup", "/admin/")
    page.click("text=批量处理(解除名单、参保登记导入)")
    page.select_option("#id_source", "registry_csv")
    page.set_input_files("#id_upload", str(upload))
    page.click("#batch-form button[type=submit]")
    page.wait_for_url(re.compile(r"/admin/counter/batch/\d+/$"))
    counts = page.inner_text("#dry-run-counts")
    assert re.search(r"新增\s+1", counts) and re.search(r"登记死亡\s+1", counts)
    assert re.search(r"有误未导入\s+1", counts) and "4" in page.inner_text("#bad-rows")
    assert not Person.objects.filter(id_number=new_number).exists()

    page.click("#confirm-form button")
    page.wait_for_selector("#batch-progress[data-active='1']")
    assert batch_job_run(BatchJob.objects.get().pk) == "done"  # the worker's part
    page.wait_for_selector("#report-link", timeout=20_000)
    assert page.inner_text("#batch-done") == page.inner_text("#batch-total") == "3"
    with page.expect_download() as download:
        page.click("#report-link")
    rows = list(csv.DictReader(io.StringIO(
        download.value.path().read_bytes().decode("utf-8-sig"))))
    assert [r["结果代码"] for r in rows] == ["created", "death_recorded", "refused"]
    binding.refresh_from_db()
    assert binding.status == "unbound" and Person.objects.get(id_number=new_number)
    assert not CSP_VIOLATIONS, CSP_VIOLATIONS
