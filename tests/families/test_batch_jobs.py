"""批量处理 from the browser: dry run, confirmation (four-eyes), the job on the task queue,
progress, report, permissions and region scope (SQLite and PostgreSQL; the task runs
inline on the immediate backend here, on the real database backend in
test_batch_jobs_worker.py)."""

import csv
import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.errors import RuleViolation
from audit.models import AuditEvent
from families.idnumbers import make_resident_id
from families.models import BatchJob, Binding, CoPayAuthorization
from families.services.batch.jobs import batch_job_check, batch_job_confirm
from tests import factories as f
from tests.families.batch_unbind.helpers import DEAD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]


@pytest.fixture
def boss():
    return f.supervisor("batch_boss")


@pytest.fixture
def family():
    dead = f.person("王死者", death_date=DEAD)
    child, spouse = f.person("王子"), f.person("李配偶")
    links = [f.binding(dead, child), f.binding(dead, spouse, relationship="spouse",
                                                  status="unbound"),
             f.active_copay(dead, child, relationship="child")]
    return dead, child, spouse, links


def death_list(*rows) -> SimpleUploadedFile:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["id_number", "name"])
    writer.writerows(rows)
    return SimpleUploadedFile("死亡名单.csv", out.getvalue().encode("utf-8-sig"), "text/csv")


def live_links() -> int:
    return (Binding.objects.filter(status="active").count()
            + CoPayAuthorization.objects.filter(status="active").count())


def link_events() -> int:
    return AuditEvent.objects.filter(
        model__in=["families.binding", "families.copayauthorization"]).count()


def test_dry_run_changes_nothing_and_its_counts_equal_the_real_runs(boss, family):
    dead, child, _spouse, _links = family
    upload = death_list([dead.id_number, dead.name], [child.id_number, "别人"],
                        [make_resident_id("110105", datetime.date(1950, 1, 1), 7, "M"), "查无此人"], ["not-an-id", "x"])
    before = (live_links(), link_events())
    job = batch_job_check(actor=boss, source="persons_csv", reason="死亡", upload=upload,
                          region=boss.hall.region)
    assert (live_links(), link_events()) == before
    assert job.dry_run_counts == {"would_end": 2, "already_ended": 1, "name_mismatch": 1,
                                  "not_found": 1, "invalid_id": 1}
    assert [row[0] for row in job.bad_rows] == [3, 4, 5]
    batch_job_confirm(actor=boss, job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done" and live_links() == 0
    expected = {("ended" if k == "would_end" else k): v for k, v in job.dry_run_counts.items()}
    assert job.result_counts == expected


def test_job_through_the_page_dry_run_confirm_progress_report(client, boss, family):
    client.force_login(boss)
    page = client.post(reverse("counter:batch"), {"source": "deceased", "reason": "死亡"})
    job = BatchJob.objects.get()
    assert page.status_code == 302 and page.url == reverse("counter:batch_job", args=[job.pk])
    detail = client.get(page.url)
    assert "确认并开始处理" in detail.content.decode()
    assert live_links() == 2 and job.region == boss.hall.region
    client.post(reverse("counter:batch_confirm", args=[job.pk]))
    progress = client.get(reverse("counter:batch_progress", args=[job.pk])).json()
    assert (progress["status"], progress["done"], progress["total"], progress["finished"]) == (
        "done", 2, 2, True)
    assert live_links() == 0
    report = client.get(reverse("counter:batch_report", args=[job.pk]))
    body = b"".join(report.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf") and "已解除" in body.decode("utf-8-sig")
    actions = list(AuditEvent.objects.filter(model="families.batchjob").order_by("pk")
                   .values_list("action", flat=True))
    assert actions == ["batch_check", "batch_confirm", "batch_start", "batch_done",
                       "batch_report"]
    assert job.history.count() == 4


def test_the_same_job_confirmed_twice_is_refused(boss, family):
    job = batch_job_check(actor=boss, source="deceased", reason="死亡", region=None)
    batch_job_confirm(actor=boss, job_id=job.pk)
    with pytest.raises(RuleViolation) as exc:
        batch_job_confirm(actor=f.supervisor("other_boss"), job_id=job.pk)
    assert exc.value.rule_code == "batch_already_confirmed"


def test_the_same_upload_is_confirmed_once(boss, family):
    dead = family[0]
    first = batch_job_check(actor=boss, source="persons_csv", reason="死亡",
                            upload=death_list([dead.id_number, dead.name]))
    second = batch_job_check(actor=boss, source="persons_csv", reason="死亡",
                             upload=death_list([dead.id_number, dead.name]))
    batch_job_confirm(actor=boss, job_id=first.pk)
    with pytest.raises(RuleViolation) as exc:
        batch_job_confirm(actor=boss, job_id=second.pk)
    assert exc.value.rule_code == "batch_upload_already_confirmed"
    with pytest.raises(RuleViolation) as exc:
        batch_job_check(actor=boss, source="persons_csv", reason="死亡",
                        upload=death_list([dead.id_number, dead.name]))
    assert exc.value.rule_code == "batch_upload_already_confirmed"


def test_a_batch_over_the_threshold_needs_a_second_supervisor(settings, boss, family):
    settings.BATCH_FOUR_EYES_THRESHOLD = 1
    job = batch_job_check(actor=boss, source="deceased", reason="死亡")
    assert batch_job_confirm(actor=boss, job_id=job.pk).status == "awaiting_second"
    with pytest.raises(RuleViolation) as exc:
        batch_job_confirm(actor=boss, job_id=job.pk)
    assert exc.value.rule_code == "batch_second_confirmer_same"
    assert live_links() == 2
    second = f.supervisor("second_boss")
    assert batch_job_confirm(actor=second, job_id=job.pk).status == "queued"
    job.refresh_from_db()
    assert job.status == "done" and job.second_confirmed_by == second and live_links() == 0


def test_a_batch_at_the_threshold_needs_one_confirmation(settings, boss, family):
    settings.BATCH_FOUR_EYES_THRESHOLD = 2
    job = batch_job_check(actor=boss, source="deceased", reason="死亡")
    assert batch_job_confirm(actor=boss, job_id=job.pk).status == "queued"


def test_clerks_may_not_open_the_batch_page(client):
    client.force_login(f.clerk("batch_clerk"))
    assert client.get(reverse("counter:batch")).status_code == 403


def test_a_supervisor_sees_only_his_regions_jobs_and_batches_only_his_region(
        client, boss, family):
    elsewhere = f.supervisor("sh_boss", hall_code="SH01", region_code="310100")
    job = batch_job_check(actor=elsewhere, source="deceased", reason="死亡",
                          region=elsewhere.hall.region)
    assert job.dry_run_counts == {}  # the Beijing family is not Shanghai's
    client.force_login(boss)
    for name in ("counter:batch_job", "counter:batch_progress", "counter:batch_report"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert client.post(reverse("counter:batch_confirm", args=[job.pk])).status_code == 404
    page = client.get(reverse("counter:batch")).content.decode()
    assert "全部统筹区" not in page  # no region choice: his own region only


def test_a_sysadmin_may_batch_every_region(client, family):
    admin = f.sysadmin("batch_sysadmin")
    client.force_login(admin)
    assert "全部统筹区" in client.get(reverse("counter:batch")).content.decode()
    client.post(reverse("counter:batch"), {"source": "deceased", "reason": "死亡"})
    job = BatchJob.objects.get()
    assert job.region is None and job.dry_run_counts == {"would_end": 2}
