"""Uploads refused by content (wrong type, empty, oversized, decompression bombs), file
names never choose the stored path; exported CSV cells starting with = + - @ are text."""

import csv
import datetime
import io
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from families.models import CounterApplication, ProofScan
from tests import factories as f

pytestmark = pytest.mark.django_db


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (a decompression bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b""))


def _submit(client, upload):
    holder = f.person(birth=datetime.date(1975, 1, 1))
    member = f.person(birth=datetime.date(1945, 1, 1), sex="F")
    return client.post("/admin/counter/intake/", {
        "kind": "binding", "holder_id_type": "resident_id", "holder_id_number": holder.id_number,
        "holder_name": holder.name, "member_id_type": "resident_id",
        "member_id_number": member.id_number, "member_name": member.name,
        "relationship": "parent", "no_face_reason": "elderly", "holder_id_seen": "on",
        "member_id_seen": "on", "proof_seen": "on", "proof_type": "household_register",
        "proof_number": "HK0001", "commitment_signed": "on", "action": "submit",
        "scans": [upload]})


@pytest.fixture
def clerk_client():
    client = Client()
    client.force_login(f.clerk("u_clerk"))
    return client


@pytest.mark.parametrize("name,content,ctype", [
    ("户口簿.png", b"MZ\x90\x00" + b"\x00" * 200, "image/png"),          # an .exe named .png
    ("证明.pdf", b"<html><script>alert(1)</script></html>", "application/pdf"),
    ("scan.jpg", b"GIF89a" + b"\x00" * 100, "image/jpeg"),              # GIF, not allowed
    ("empty.png", b"", "image/png"),
    ("bomb.png", _png_header_only(60_000, 60_000), "image/png"),       # 3.6 G pixels
    ("half.png", f.png_bytes()[:40], "image/png"),                      # truncated
])
def test_bad_scans_are_refused_with_a_message_and_nothing_is_saved(
        clerk_client, settings, name, content, ctype):
    before = (CounterApplication.objects.count(), ProofScan.objects.count())
    response = _submit(clerk_client, SimpleUploadedFile(name, content, content_type=ctype))
    assert response.status_code == 200
    assert response.context["verification"].errors.get("scans"), name
    assert (CounterApplication.objects.count(), ProofScan.objects.count()) == before
    root = settings.PRIVATE_MEDIA_ROOT
    assert not root.exists() or not [p for p in root.rglob("*") if p.is_file()]


def test_an_oversized_scan_is_refused(clerk_client, settings):
    settings.SCAN_MAX_BYTES = 1024
    response = _submit(clerk_client, SimpleUploadedFile("big.png", f.png_bytes((400, 400)),
                                                        content_type="image/png"))
    assert response.status_code == 200
    assert "超过上限" in str(response.context["verification"].errors["scans"])
    assert not CounterApplication.objects.exists()


@pytest.mark.parametrize("name", ["../../etc/passwd.png", "..\\..\\windows\\win.ini.png",
                                  "/etc/shadow.png", "a\x00b.png", "....//....//x.png", "扫描件.png"])
def test_file_names_never_choose_the_stored_path(clerk_client, settings, name):
    response = _submit(clerk_client, SimpleUploadedFile(name, f.png_bytes(),
                                                        content_type="image/png"))
    assert response.status_code in (200, 302)
    for scan in ProofScan.objects.all():
        assert ".." not in scan.file.name and not scan.file.name.startswith("/")
        assert "/" not in scan.original_name and "\\" not in scan.original_name
        stored = (settings.PRIVATE_MEDIA_ROOT / scan.file.name).resolve()
        assert stored.is_relative_to(settings.PRIVATE_MEDIA_ROOT.resolve())


FORMULAS = ["=HYPERLINK(\"http://evil.example/\",\"点我\")", "+cmd|' /C calc'!A0",
            "-2+3", "@SUM(A1:A9)"]


def _cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def test_audit_log_export_neutralizes_formula_cells(client):
    supervisor = f.supervisor("u_supervisor")
    for formula in FORMULAS:
        f.person(formula)
    client.force_login(supervisor)
    response = client.get("/admin/audit/auditevent/export/")
    assert response.status_code == 200
    cells = _cells(response.content)
    assert any(formula in cell for formula in FORMULAS for cell in cells)
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")]


def test_statement_export_neutralizes_formula_cells(client):
    from settlements.services import settlement_post

    supervisor = f.supervisor("u_supervisor2")
    holder = f.person("=HYPERLINK(\"http://x\")")
    account = f.account(holder, 500)
    for i, formula in enumerate(FORMULAS):
        settlement_post(actor=supervisor, beneficiary=holder, institution_name=formula,
                        institution_code="H1", category="outpatient", amount=f.yuan(1),
                        reference=f"{formula}-{i}", reason="定点机构结算")
    client.force_login(supervisor)
    response = client.get(f"/admin/settlements/personalaccount/{account.pk}/statement.csv")
    assert response.status_code == 200
    text_cells = [c for c in _cells(response.content)
                  if not c.replace("-", "", 1).replace(".", "", 1).isdigit()]
    assert any("HYPERLINK" in c for c in text_cells)
    assert not [c for c in text_cells if c[:1] in ("=", "+", "-", "@")]
