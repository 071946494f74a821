"""批量处理: a registry import (the `import_persons` format) from the browser — dry run,
confirmation (four-eyes), the job on the task queue (inline here), progress, report,
resume, and who may import which region's persons. The page calls
families.services.registry.import_persons; these tests hold the page to it."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.errors import RuleViolation
from audit.models import AuditEvent
from families.models import BatchJob, Binding, Person
from families.services.batch import registry_job
from families.services.batch.jobs import batch_job_check, batch_job_confirm, batch_job_run
from tests import factories as f
from tests.families.test_import_persons import number

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("immediate_tasks")]

HEADER = "id_number,name,insurance_type,region_code,status,death_date\n"
DEATH = datetime.date(2026, 1, 5)


@pytest.fixture
def boss():
    f.region("310100")
    return f.supervisor("registry_boss")


@pytest.fixture
def known():
    """A Beijing person with a live binding, and a Shanghai person."""
    holder = f.person("王老", region_code="110100", phone="")
    member = f.person("王小", region_code="110100", phone="")
    f.binding(holder, member)
    return holder, member, f.person("沪某", region_code="310100", phone="")


def row(p_or_number, name, region="110100", status="normal", death=""):
    value = p_or_number if isinstance(p_or_number, str) else p_or_number.id_number
    return f"{value},{name},employee,{region},{status},{death}\n"


def registry_file(*rows, name="参保登记.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (HEADER + "".join(rows)).encode("utf-8-sig"), "text/csv")


def mixed_file(known):
    holder, member, shanghai = known
    return registry_file(
        row(number(1), "新甲"),                                  # 2 created
        row(number(2), "新乙"),                                  # 3 created
        row(member, member.name),                                # 4 unchanged
        row(holder, holder.name, death=DEATH.isoformat()),       # 5 death recorded
        row(number(3), "坏行", status="no-such-status"),          # 6 refused: bad value
        row(number(1), "新甲重复"),                               # 7 refused: repeated
        row(number(4), "外地新人", region="310100"),               # 8 refused for a supervisor
        row(shanghai, "沪某改名"),                                 # 9 refused: moves a Shanghai person
        row(number(5), "新丙", status="suspended"),               # 10 created
    )


def test_dry_run_changes_nothing_and_its_counts_equal_the_real_runs(boss, known):
    before = (Person.objects.count(), AuditEvent.objects.count(),
              Binding.objects.filter(status="active").count())
    job = batch_job_check(actor=boss, source="registry_csv", reason="", region=boss.hall.region,
                          upload=mixed_file(known))
    assert (Person.objects.count(), AuditEvent.objects.count() - 1,
            Binding.objects.filter(status="active").count()) == before
    assert job.dry_run_counts == {"created": 3, "unchanged": 1, "death_recorded": 1,
                                  "refused": 4}
    assert [r[0] for r in job.bad_rows] == [6, 7, 8, 9]
    assert job.reason == "参保登记导入:参保登记.csv"
    batch_job_confirm(actor=boss, job_id=job.pk)
    job.refresh_from_db()
    assert job.status == "done" and job.result_counts == job.dry_run_counts
    assert (job.done, job.total) == (9, 9)
    holder, _member, shanghai = known
    holder.refresh_from_db()
    shanghai.refresh_from_db()
    assert holder.death_date == DEATH and not Binding.objects.filter(status="active").exists()
    assert shanghai.name == "沪某" and not Person.objects.filter(id_number=number(4)).exists()
    created = Person.objects.get(id_number=number(1))
    assert created.name == "新甲" and created.history.get().history_user == boss


def test_a_registry_job_through_the_page(client, boss, known):
    client.force_login(boss)
    page = client.post(reverse("counter:batch"), {
        "source": "registry_csv", "upload": mixed_file(known)})
    job = BatchJob.objects.get()
    assert page.status_code == 302 and page.url == reverse("counter:batch_job", args=[job.pk])
    detail = client.get(page.url).content.decode()
    assert "新增" in detail and "有误未导入" in detail and "确认并开始处理" in detail
    assert "不属于本统筹区" in detail
    client.post(reverse("counter:batch_confirm", args=[job.pk]))
    progress = client.get(reverse("counter:batch_progress", args=[job.pk])).json()
    assert (progress["status"], progress["done"], progress["total"], progress["finished"]) == (
        "done", 9, 9, True)
    report = client.get(reverse("counter:batch_report", args=[job.pk]))
    text = b"".join(report.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == "行号,证件号码,结果代码,结果,说明"
    assert [line.split(",")[0] for line in lines[1:]] == [str(n) for n in range(2, 11)]
    assert number(1) not in text  # masked
    actions = list(AuditEvent.objects.filter(model="families.batchjob").order_by("pk")
                   .values_list("action", flat=True))
    assert actions == ["batch_check", "batch_confirm", "batch_start", "batch_done",
                       "batch_report"]


def test_a_registry_file_missing_columns_is_refused_at_the_dry_run(boss):
    bad = SimpleUploadedFile("x.csv", b"id_number,name\n1,2\n", "text/csv")
    with pytest.raises(RuleViolation) as exc:
        batch_job_check(actor=boss, source="registry_csv", reason="", upload=bad)
    assert exc.value.rule_code == "batch_bad_file"
    assert not BatchJob.objects.exists()


def test_an_unbind_batch_still_needs_its_reason(boss):
    with pytest.raises(RuleViolation) as exc:
        batch_job_check(actor=boss, source="deceased", reason="")
    assert exc.value.rule_code == "reason_required"


def test_a_registry_import_over_the_threshold_needs_a_second_supervisor(settings, boss, known):
    settings.BATCH_FOUR_EYES_THRESHOLD = 3  # 3 created + 1 death recorded = 4 writes
    job = batch_job_check(actor=boss, source="registry_csv", reason="", region=boss.hall.region,
                          upload=mixed_file(known))
    assert batch_job_confirm(actor=boss, job_id=job.pk).status == "awaiting_second"
    assert not Person.objects.filter(id_number=number(1)).exists()
    with pytest.raises(RuleViolation) as exc:
        batch_job_confirm(actor=boss, job_id=job.pk)
    assert exc.value.rule_code == "batch_second_confirmer_same"
    batch_job_confirm(actor=f.supervisor("registry_boss2"), job_id=job.pk)
    assert Person.objects.filter(id_number=number(1)).exists()


def test_a_registry_import_at_the_threshold_needs_one_confirmation(settings, boss, known):
    settings.BATCH_FOUR_EYES_THRESHOLD = 4
    job = batch_job_check(actor=boss, source="registry_csv", reason="", region=boss.hall.region,
                          upload=mixed_file(known))
    assert batch_job_confirm(actor=boss, job_id=job.pk).status == "queued"


def test_the_same_registry_file_is_imported_once(boss, known):
    job = batch_job_check(actor=boss, source="registry_csv", reason="", region=boss.hall.region,
                          upload=registry_file(row(number(1), "新甲")))
    batch_job_confirm(actor=boss, job_id=job.pk)
    with pytest.raises(RuleViolation) as exc:
        batch_job_check(actor=boss, source="registry_csv", reason="", region=boss.hall.region,
                        upload=registry_file(row(number(1), "新甲")))
    assert exc.value.rule_code == "batch_upload_already_confirmed"


def test_an_interrupted_registry_job_resumes_after_the_committed_rows(
        monkeypatch, settings, boss, known):
    settings.BATCH_JOB_STALE_SECONDS = 0
    job = batch_job_check(actor=boss, source="registry_csv", reason="", region=boss.hall.region,
                          upload=mixed_file(known))
    BatchJob.objects.filter(pk=job.pk).update(
        status="queued", confirmed_by=boss, confirmed_at=job.created_at)
    real_import = registry_job.import_persons

    class Killed(Exception):
        pass

    def killed_after_two_chunks(**kwargs):
        progress = kwargs["progress"]

        class Dying:
            def update(self, n=1):
                progress.update(n)
                if progress.n >= 4:
                    raise Killed  # after the second chunk committed and was counted

        return real_import(**{**kwargs, "progress": Dying()})

    monkeypatch.setattr(registry_job, "import_persons", killed_after_two_chunks)
    with pytest.raises(Killed):
        batch_job_run(job.pk, chunk_size=2)
    job.refresh_from_db()
    assert (job.status, job.done) == ("running", 4)
    monkeypatch.setattr(registry_job, "import_persons", real_import)
    assert batch_job_run(job.pk, chunk_size=2) == "done"
    job.refresh_from_db()
    assert job.result_counts == job.dry_run_counts and job.done == 9
    report = job.report.open("rb").read().decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in report[1:]] == [str(n) for n in range(2, 11)]


def test_clerks_may_not_import(client):
    client.force_login(f.clerk("registry_clerk"))
    assert client.post(reverse("counter:batch"), {
        "source": "registry_csv", "upload": registry_file(row(number(1), "新甲"))}
    ).status_code == 403
    assert not BatchJob.objects.exists()


def test_a_supervisor_imports_only_his_regions_persons(client, known):
    shanghai_boss = f.supervisor("sh_registry_boss", hall_code="SH01", region_code="310100")
    client.force_login(shanghai_boss)
    client.post(reverse("counter:batch"), {"source": "registry_csv", "upload": mixed_file(known)})
    job = BatchJob.objects.get()
    assert job.region.code == "310100"
    # Only the new Shanghai person (line 8) and the Shanghai person's rename... which moves
    # him to Beijing (line 9), so that one is refused too.
    assert job.dry_run_counts == {"created": 1, "refused": 8}


def test_a_sysadmin_imports_every_region(client, known):
    client.force_login(f.sysadmin("registry_sysadmin"))
    client.post(reverse("counter:batch"), {"source": "registry_csv", "upload": mixed_file(known)})
    job = BatchJob.objects.get()
    assert job.region is None
    assert job.dry_run_counts == {"created": 4, "updated": 1, "unchanged": 1,
                                  "death_recorded": 1, "refused": 2}


def test_the_page_asks_for_the_reason_of_an_unbind_batch(client, boss):
    client.force_login(boss)
    page = client.post(reverse("counter:batch"), {"source": "deceased", "reason": ""})
    assert page.status_code == 200 and "请填写办理原因" in page.content.decode()
    assert not BatchJob.objects.exists()
