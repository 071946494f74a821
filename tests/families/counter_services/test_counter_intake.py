"""Offline counter verification (DOMAIN.md) at the service level: intake, scans and the
eligibility pre-check."""

import datetime
import io
import re

import pytest
from django.utils import timezone

from accounts.errors import RuleViolation
from families.choices import ApplicationStatus, BindingStatus
from families.models import Binding, CounterApplication, KinshipProof, ProofScan
from families.services.counter import (
    application_precheck,
    application_submit,
)
from tests import factories as f
from tests.families.counter_services.helpers import code_of, stored_files

pytestmark = pytest.mark.django_db


# --- intake -----------------------------------------------------------------------------


def test_intake_creates_proof_scans_pending_binding_and_numbered_application(clerk, settings):
    holder, member = f.person(), f.person(birth=datetime.date(1940, 5, 1))
    app = f.counter_application(holder, member, actor=clerk,
                                scans=[f.scan_file("户口簿首页.png"), f.scan_file("b.png")])
    assert app.status == ApplicationStatus.PENDING
    assert app.number.startswith("BJ01-")
    binding = app.binding
    assert binding.status == BindingStatus.PENDING
    assert binding.channel == "counter" and binding.consent_method == "counter"
    assert binding.applied_by == clerk and binding.commitment_signed
    assert binding.proof.scans.count() == 2
    scan = binding.proof.scans.order_by("pk").first()
    # The client's file name never reaches the path: proof id and a random name only.
    assert re.fullmatch(rf"scans/{binding.proof_id}/[0-9a-f]{{32}}\.png", scan.file.name)
    assert scan.original_name == "户口簿首页.png"
    assert scan.content_type == "image/png" and len(scan.sha256) == 64
    assert len(stored_files(settings)) == 2
    assert app.history.get().history_user == clerk


def test_minor_member_is_served_by_the_guardian(clerk):
    holder = f.person()
    member = f.person(birth=timezone.localdate() - datetime.timedelta(days=365 * 8))
    app = f.counter_application(holder, member, actor=clerk, proof_type="birth_certificate",
                                no_face_reason="minor")
    assert app.binding.consent_method == "guardian"


def test_minor_cannot_be_bound_by_a_sibling_at_the_counter(clerk):
    holder = f.person()
    member = f.person(birth=timezone.localdate() - datetime.timedelta(days=365 * 8))
    assert code_of(lambda: f.counter_application(holder, member, actor=clerk,
                                                 relationship="sibling",
                                                 no_face_reason="minor")) == (
        "verification_required")


def test_rule_violation_at_intake_saves_nothing_and_leaves_no_file(clerk, settings):
    holder, member = f.person(), f.person()
    for _ in range(6):
        f.binding(f.person(), member, status="unbound")
    assert code_of(lambda: f.counter_application(holder, member, actor=clerk)) == (
        "monthly_limit")
    assert not CounterApplication.objects.exists()
    assert not KinshipProof.objects.exists() and not ProofScan.objects.exists()
    assert not Binding.objects.filter(holder=holder).exists()
    assert stored_files(settings) == []


def test_failure_after_files_were_written_deletes_them(clerk, settings, monkeypatch):
    from families.services.counter import operations as counter

    def broken(*args, **kwargs):
        raise RuleViolation("boom", "测试")

    monkeypatch.setattr(counter, "next_application_number", broken)
    with pytest.raises(RuleViolation):
        f.counter_application(actor=clerk)
    assert not ProofScan.objects.exists()
    assert stored_files(settings) == []


@pytest.mark.parametrize("overrides, code", [
    ({"holder_id_seen": False}, "originals_not_seen"),
    ({"proof_seen": False}, "originals_not_seen"),
    ({"no_face_reason": "other", "no_face_reason_other": "  "}, "no_face_reason_required"),
    ({"proof_number": ""}, "proof_number_required"),
    ({"commitment_signed": False}, "commitment_required"),
    ({"proof_type": "marriage_certificate"}, "proof_mismatch"),
    ({"kind": "unknown"}, "kind_not_available"),
])
def test_incomplete_verification_record_is_refused(clerk, overrides, code):
    assert code_of(lambda: f.counter_application(actor=clerk, **overrides)) == code
    assert not CounterApplication.objects.exists()


def test_intake_needs_at_least_one_scan(clerk):
    assert code_of(lambda: f.counter_application(actor=clerk, scans=[])) == "scan_required"


def test_a_hall_serves_only_pairs_with_a_party_insured_in_its_region(clerk):
    holder, member = f.person(region_code="330100"), f.person(region_code="330100")
    assert code_of(lambda: f.counter_application(holder, member, actor=clerk)) == (
        "other_region")
    local_holder = f.person()
    assert f.counter_application(local_holder, member, actor=clerk).pk


def test_staff_without_intake_permission_cannot_submit():
    admin = f.sysadmin()
    assert code_of(lambda: application_submit(
        actor=admin, data=f.intake_data(f.person(), f.person()), scans=[f.scan_file()])) == (
        "permission_denied")


# --- scans ------------------------------------------------------------------------------


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (10, 10), "white").save(out, format="JPEG")
    return out.getvalue()


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.mark.parametrize("name, content, content_type", [
    ("proof.jpg", _jpeg(), "image/jpeg"),
    ("proof.pdf", PDF, "application/pdf"),
    ("no-extension", None, "application/octet-stream"),
])
def test_pdf_jpeg_and_png_are_accepted_by_content(clerk, name, content, content_type):
    app = f.counter_application(actor=clerk, scans=[f.scan_file(name, content)])
    assert app.binding.proof.scans.get().content_type in {"image/jpeg", "application/pdf",
                                                          "image/png"}


@pytest.mark.parametrize("content, code", [
    (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200,
     "scan_type_not_allowed"),
    (b"just some text pretending to be a pdf", "scan_type_not_allowed"),
    (b"", "scan_empty"),
    (f.png_bytes()[:40], "scan_invalid"),
])
def test_bad_scans_are_refused_and_nothing_is_saved(clerk, settings, content, code):
    upload = f.scan_file("证明.pdf", content, "application/pdf")
    assert code_of(lambda: f.counter_application(actor=clerk, scans=[upload])) == code
    assert not ProofScan.objects.exists() and not Binding.objects.exists()
    assert stored_files(settings) == []


def test_scan_over_the_size_limit_is_refused(clerk, settings):
    settings.SCAN_MAX_BYTES = 1000
    upload = f.scan_file(content=f.png_bytes((200, 200)) + b"\x00" * 1000)
    with pytest.raises(RuleViolation) as exc:
        f.counter_application(actor=clerk, scans=[upload])
    assert exc.value.rule_code == "scan_too_large"
    assert exc.value.figures["limit"] == 1000


def test_image_over_the_pixel_limit_is_refused(clerk, monkeypatch):
    from PIL import Image

    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    upload = f.scan_file(content=f.png_bytes((40, 40)))  # 1600 pixels: warning level
    assert code_of(lambda: f.counter_application(actor=clerk, scans=[upload])) == (
        "scan_invalid")


# --- pre-check ----------------------------------------------------------------------------


def test_precheck_shows_every_rule_with_figures_before_the_verification_record():
    holder, member = f.person(), f.person()
    for _ in range(6):
        f.binding(f.person(), member, status="unbound")
    checks = application_precheck(kind="binding", holder=f.ref(holder), member=f.ref(member),
                                  relationship="child")
    by_code = {c.code: c for c in checks}
    assert by_code["monthly_limit"].message == "本月已新增被绑定 6 次,上限 6 次"
    assert not by_code["monthly_limit"].passed
    assert by_code["verification_required"].passed  # adult: counter verification
    assert not {"proof_required", "commitment_required"} & set(by_code)


def test_precheck_name_mismatch_names_the_field_not_the_registry_value():
    holder, member = f.person("王大明"), f.person("王秀兰")
    checks = application_precheck(kind="binding", holder=f.ref(holder),
                                  member=f.ref(member, name="王秀芝"), relationship="parent")
    failed = [c for c in checks if not c.passed]
    assert [c.code for c in failed] == ["identity_mismatch"]
    assert "姓名" in failed[0].message and "王秀兰" not in failed[0].message
