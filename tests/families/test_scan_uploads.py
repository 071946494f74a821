"""Uploads: a scan is a picture of a paper document. PDFs with active content (scripts,
actions, launches, attachments, forms) and markup behind a PDF header are refused; PDFs are
never rendered inline from our origin; stored files are readable by the service only."""

import stat
import zlib

import pytest
from django.urls import reverse

from accounts.errors import RuleViolation
from families.models import ProofScan
from tests import factories as f

pytestmark = pytest.mark.django_db

CLEAN = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _pdf(body: bytes) -> bytes:
    return b"%PDF-1.7\n" + body + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _flate_object_stream(inner: bytes) -> bytes:
    data = zlib.compress(inner)
    return (b"5 0 obj<</Type/ObjStm/N 1/First 4/Filter/FlateDecode/Length %d>>stream\n" % len(data)
            + data + b"\nendstream\nendobj")


def _code(content: bytes) -> str | None:
    try:
        f.counter_application(actor=f.clerk("upload_clerk"),
                              scans=[f.scan_file("证明.pdf", content, "application/pdf")])
    except RuleViolation as exc:
        return exc.rule_code
    return None


def test_a_plain_scanned_pdf_is_accepted():
    assert _code(CLEAN) is None


@pytest.mark.parametrize("body", [
    b"1 0 obj<</Type/Catalog/OpenAction 2 0 R>>endobj 2 0 obj<</S/JavaScript/JS(app.alert(1))>>endobj",
    b"1 0 obj<</Type/Catalog/AA<</O 2 0 R>>>>endobj",
    b"1 0 obj<</Type/Action/S/Launch/F(cmd.exe)>>endobj",
    b"1 0 obj<</Type/Catalog/Names<</EmbeddedFiles 3 0 R>>>>endobj",
    b"1 0 obj<</Type/Catalog/AcroForm<</XFA 4 0 R>>>>endobj",
    b"1 0 obj<</S/J#61vaScript/J#53(x)>>endobj",
], ids=["javascript", "additional-actions", "launch", "embedded-file", "xfa", "hex-escaped"])
def test_a_pdf_with_active_content_is_refused(body):
    assert _code(_pdf(body)) == "scan_pdf_active_content"
    assert not ProofScan.objects.exists()


def test_active_content_hidden_in_a_compressed_object_stream_is_refused():
    hidden = _flate_object_stream(b"6 0 <</S/JavaScript/JS(app.alert(1))>>")
    assert _code(_pdf(hidden)) == "scan_pdf_active_content"


@pytest.mark.parametrize("content", [
    b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n%%EOF",
    b"%PDF-1.4\n<!DOCTYPE html><svg onload=alert(1)>",
    b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n",  # no trailer: not a complete PDF
], ids=["html", "svg-no-trailer", "truncated"])
def test_markup_or_a_truncated_file_behind_a_pdf_header_is_refused(content):
    assert _code(content) == "scan_type_not_allowed"


def test_a_pdf_scan_is_always_downloaded_never_shown_inline(client):
    clerk = f.clerk("pdf_clerk")
    application = f.counter_application(actor=clerk, scans=[
        f.scan_file("证明.pdf", CLEAN, "application/pdf")])
    scan = application.binding.proof.scans.get()
    client.force_login(clerk)
    response = client.get(reverse("counter:scan", args=[scan.pk]))
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_stored_scans_are_0600_in_0700_folders(settings):
    application = f.counter_application(actor=f.clerk("perm_clerk"))
    scan = application.binding.proof.scans.get()
    path = settings.PRIVATE_MEDIA_ROOT / scan.file.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    folder = path.parent
    while folder != settings.PRIVATE_MEDIA_ROOT:
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        folder = folder.parent


# --- intake: a refused step 2 keeps the scans ------------------------------------------


def _intake_post(client, holder, member, **overrides):
    data = {
        "kind": "binding", "holder_id_type": "resident_id", "holder_id_number": holder.id_number,
        "holder_name": holder.name, "member_id_type": "resident_id",
        "member_id_number": member.id_number, "member_name": member.name,
        "relationship": "child", "reserve": "0", "action": "submit",
        "no_face_reason": "elderly", "holder_id_seen": "on", "member_id_seen": "on",
        "proof_seen": "on", "proof_type": "household_register", "proof_number": "HK-9",
        "commitment_signed": "on",
    }
    data.update(overrides)
    return client.post(reverse("counter:intake"), {k: v for k, v in data.items() if v is not None})


def test_scans_survive_a_refused_step_two_and_are_submitted_without_reselecting(client, settings):
    clerk = f.clerk("staging_clerk")
    holder, member = f.person("钱国强"), f.person("钱小妹")
    client.force_login(clerk)
    refused = _intake_post(client, holder, member, commitment_signed=None,
                           scans=f.scan_file("户口簿.png"))
    html = refused.content.decode()
    assert refused.status_code == 200 and "户口簿.png" in html and 'name="staged"' in html
    staged = list(client.session["intake_staged_scans"])
    staged_files = list((settings.PRIVATE_MEDIA_ROOT / "staging").rglob("*"))
    assert [p for p in staged_files if p.is_file()]
    assert all(stat.S_IMODE(p.stat().st_mode) in (0o600, 0o700) for p in staged_files)
    accepted = _intake_post(client, holder, member, staged=staged)
    assert accepted.status_code == 302, accepted.content.decode()[:3000]
    scan = ProofScan.objects.get()
    assert scan.original_name == "户口簿.png" and scan.size == len(f.png_bytes())
    assert not [p for p in (settings.PRIVATE_MEDIA_ROOT / "staging").rglob("*") if p.is_file()]


def test_staged_scans_of_another_clerk_cannot_be_claimed(client):
    owner, thief = f.clerk("staging_owner"), f.clerk("staging_thief")
    holder, member = f.person("孙国强"), f.person("孙小妹")
    client.force_login(owner)
    _intake_post(client, holder, member, commitment_signed=None, scans=f.scan_file())
    token = next(iter(client.session["intake_staged_scans"]))
    client.force_login(thief)
    response = _intake_post(client, holder, member, staged=[token])
    assert response.status_code == 200 and not ProofScan.objects.exists()


def test_a_new_intake_discards_the_staged_scans(client, settings):
    clerk = f.clerk("staging_clerk2")
    client.force_login(clerk)
    _intake_post(client, f.person("周甲"), f.person("周乙"), commitment_signed=None,
                 scans=f.scan_file())
    client.get(reverse("counter:intake"))
    assert not [p for p in (settings.PRIVATE_MEDIA_ROOT / "staging").rglob("*") if p.is_file()]
    assert "intake_staged_scans" not in client.session
