"""Hostile input: random and malformed values in every form, both CSV importers and the
uploads. Always a clear answer (a form error, a redirect, a CommandError), never a 500,
never a half-saved object; exported CSV cells that a spreadsheet would run as a formula
are neutralized."""

import datetime
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from families.choices import ApplicationStatus, BindingStatus
from families.models import Binding, CounterApplication, Person, ProofScan, RegionPolicy
from settlements.models import LedgerEntry, PersonalAccount
from tests import factories as f

pytestmark = pytest.mark.django_db

FAST = hsettings(max_examples=20, deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])

# Text a counter PC, a pasted spreadsheet or an attacker might send.
NASTY = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=190, max_size=400),
    st.sampled_from([
        "", " ", "\x00", "张\x00三", "=HYPERLINK(\"http://evil.example/\",\"点我\")",
        "+cmd|' /C calc'!A0", "-1+1", "@SUM(A1)", "'; DROP TABLE families_person; --",
        "<script>alert(1)</script>", "../../etc/passwd", "\u202e\u0000\ufeff",
        "9" * 5000, "11010119800101001X" * 3, "１１０１０１", "\ud7ff", "𠀀𠀁" * 60,
    ]),
)


def _no_server_error(response) -> None:
    assert response.status_code < 500, response.content[:300]


@pytest.fixture
def clerk_client():
    client = Client()
    client.force_login(f.clerk("x_clerk"))
    return client


@pytest.fixture
def supervisor_client():
    client = Client()
    client.force_login(f.supervisor("x_supervisor"))
    return client


def _parties(holder, member, **overrides):
    data = {"kind": "binding", "holder_id_type": "resident_id",
            "holder_id_number": holder.id_number, "holder_name": holder.name,
            "member_id_type": "resident_id", "member_id_number": member.id_number,
            "member_name": member.name, "relationship": "parent"}
    data.update(overrides)
    return data


def _verification(**overrides):
    data = {"no_face_reason": "elderly", "holder_id_seen": "on", "member_id_seen": "on",
            "proof_seen": "on", "proof_type": "household_register", "proof_number": "HK0001",
            "commitment_signed": "on"}
    data.update(overrides)
    return data


def _nothing_saved(before: dict) -> None:
    assert CounterApplication.objects.count() == before["applications"]
    assert Binding.objects.count() == before["bindings"]
    assert ProofScan.objects.count() == before["scans"]


def _counts() -> dict:
    return {"applications": CounterApplication.objects.count(),
            "bindings": Binding.objects.count(), "scans": ProofScan.objects.count()}


# --- counter forms ---------------------------------------------------------------------------


@FAST
@given(field=st.sampled_from(["kind", "holder_id_type", "holder_id_number", "holder_name",
                              "member_id_type", "member_id_number", "member_name",
                              "relationship", "action"]),
       value=NASTY)
def test_intake_step_one_with_hostile_values_never_fails_or_saves(clerk_client, field, value):
    holder, member = _pair()
    before = _counts()
    response = clerk_client.post("/admin/counter/intake/",
                                 {**_parties(holder, member), field: value,
                                  "action": "precheck" if field != "action" else value})
    _no_server_error(response)
    _nothing_saved(before)


@FAST
@given(field=st.sampled_from(["no_face_reason", "no_face_reason_other", "proof_type",
                              "proof_number", "holder_id_seen", "commitment_signed"]),
       value=NASTY, content=st.binary(max_size=2048))
def test_intake_step_two_with_hostile_values_and_bytes_never_fails_or_saves(
        clerk_client, field, value, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    holder, member = _pair()
    before = _counts()
    upload = SimpleUploadedFile("scan.png", content, content_type="image/png")
    data = {**_parties(holder, member), **_verification(**{field: value}), "action": "submit",
            "scans": [upload]}
    response = clerk_client.post("/admin/counter/intake/", data)
    _no_server_error(response)
    # random bytes are never a valid PDF/JPEG/PNG: nothing may be saved
    _nothing_saved(before)


def _pair():
    """A fresh holder/member pair of Beijing persons (parent relationship, member 80)."""
    holder = f.person(birth=datetime.date(1975, 1, 1))
    member = f.person(birth=datetime.date(1945, 1, 1), sex="F")
    return holder, member


@FAST
@given(decision=st.one_of(st.sampled_from(["approve", "reject", "", "APPROVE", "\x00"]),
                          st.text(max_size=20)),
       reason=st.one_of(st.sampled_from(["\x00", "a" * 201, "审\x00核"]), st.text(min_size=201)))
def test_review_with_hostile_decisions_and_reasons_changes_nothing(
        supervisor_client, decision, reason):
    application = _application()
    response = supervisor_client.post(f"/admin/counter/applications/{application.pk}/review/",
                                      {"decision": decision, "reason": reason})
    _no_server_error(response)
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


@FAST
@given(reason=st.one_of(st.sampled_from(["", " ", "\x00", "撤\x00回", "a" * 201]),
                        st.text(min_size=201, max_size=2000)))
def test_withdraw_with_hostile_reasons_changes_nothing(clerk_client, reason):
    application = _application()
    response = clerk_client.post(f"/admin/counter/applications/{application.pk}/withdraw/",
                                 {"reason": reason})
    _no_server_error(response)
    assert response.status_code in (200, 400)  # form error, or NUL refused outright
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


@FAST
@given(reason=st.one_of(st.sampled_from(["", " ", "\x00", "a" * 201]),
                        st.text(min_size=201, max_size=1000)),
       ids=st.lists(st.one_of(st.integers(min_value=-5, max_value=10**12),
                              st.sampled_from(["x", "\x00", "1 OR 1=1", ""])), max_size=3))
def test_unbind_action_with_hostile_reasons_and_ids_unbinds_nothing(
        supervisor_client, reason, ids):
    binding = _active_binding()
    response = supervisor_client.post("/admin/families/binding/", {
        "action": "unbind_selected", "_selected_action": [binding.pk, *ids],
        "confirm": "1", "reason": reason})
    _no_server_error(response)
    binding.refresh_from_db()
    assert binding.status == BindingStatus.ACTIVE


@FAST
@given(field=st.sampled_from(["holder_limit", "member_limit", "monthly_limit",
                              "effective_from", "region", "copay_scope", "change_reason"]),
       value=NASTY)
def test_policy_admin_with_hostile_values_never_fails(field, value):
    client = Client()
    client.force_login(_sysadmin())
    before = RegionPolicy.objects.count()
    form = {"region": f.region("110100").pk, "effective_from": "2030-01-01",
            "holder_limit": "5", "member_limit": "6", "monthly_limit": "6",
            "change_reason": "", field: value}
    response = client.post("/admin/families/regionpolicy/add/", form)
    _no_server_error(response)
    if response.status_code == 200:  # the form came back with errors
        assert RegionPolicy.objects.count() == before


def _sysadmin():
    from accounts.models import User

    return User.objects.filter(username="x_sysadmin").first() or f.sysadmin("x_sysadmin")


_AUDIT_PARAMS = ["date_from", "date_to", "actor", "hall", "region", "action", "model",
                 "id_number", "number", "q", "o", "p", "all", "e"]


@FAST
@given(params=st.dictionaries(st.sampled_from(_AUDIT_PARAMS), NASTY, max_size=4))
def test_audit_log_filters_and_export_with_hostile_values_never_fail(supervisor_client, params):
    for url in ("/admin/audit/auditevent/", "/admin/audit/auditevent/export/"):
        _no_server_error(supervisor_client.get(url, params))


@FAST
@given(params=st.dictionaries(st.sampled_from(["date_from", "date_to", "kind", "q",
                                               "account__id__exact", "p"]),
                              NASTY, max_size=3))
def test_ledger_date_filter_and_statement_with_hostile_values_never_fail(
        supervisor_client, params):
    _no_server_error(supervisor_client.get("/admin/settlements/ledgerentry/", params))
    account = _account()
    _no_server_error(supervisor_client.get(
        f"/admin/settlements/personalaccount/{account.pk}/statement.csv", params))


@FAST
@given(params=st.dictionaries(st.sampled_from(["q", "number", "hall", "page", "download"]),
                              NASTY, max_size=2))
def test_search_lookup_and_queue_with_hostile_values_never_fail(supervisor_client, params):
    for url in ("/admin/families/person/", "/admin/families/binding/",
                "/admin/counter/lookup/", "/admin/counter/queue/",
                "/admin/settlements/settlement/"):
        _no_server_error(supervisor_client.get(url, params))


def _application():
    clerk = f.clerk("x_intake_clerk") if not _user("x_intake_clerk") else _user("x_intake_clerk")
    holder, member = _pair()
    return f.counter_application(holder, member, actor=clerk, relationship="parent")


def _active_binding():
    holder, member = _pair()
    return f.binding(holder, member, relationship="parent")


def _account():
    found = LedgerEntry.objects.select_related("account").first()
    return found.account if found else f.account(f.person(), 100)


def _user(username):
    from accounts.models import User

    return User.objects.filter(username=username).first()


# --- CSV importers -----------------------------------------------------------------------------


PERSON_HEADER = "id_number,name,insurance_type,region_code,status\n"


def _run(command: str, path: Path, *extra: str) -> int:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(command, str(path), "--operator", "x_operator", *extra,
                     stdout=out, stderr=err)
    except CommandError as exc:
        assert str(exc).strip(), "a CommandError must say what is wrong"
        return exc.returncode
    return 0


@pytest.fixture
def operator():
    return f.supervisor("x_operator")


@FAST
@given(raw=st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda t: (PERSON_HEADER + t).encode("utf-8")),
    st.sampled_from([
        (PERSON_HEADER + "110101198001010011,张三,employee,110100,normal\n").encode("gbk"),
        (PERSON_HEADER + "110101198001010011,张\x00三,employee,110100,normal\n").encode(),
        (PERSON_HEADER + "110101198001010011," + "长" * 200_000 + ",employee,110100,normal\n")
        .encode(),
        (PERSON_HEADER + "110101198001010011,\"=HYPERLINK(\"\"http://x\"\")\",employee,"
         "110100,normal\n").encode(),
        b"\xef\xbb\xbf" + PERSON_HEADER.encode() + b"\x00\x00\x00\n",
        PERSON_HEADER.encode() + b"\"unterminated,1,2,3\n",
        "id_number;name;insurance_type\n1;2;3\n".encode("utf-16"),
    ]),
))
def test_import_persons_with_hostile_files_fails_cleanly_and_all_or_nothing(
        tmp_path_factory, operator, raw):
    f.region("110100")
    path = tmp_path_factory.mktemp("csv") / "persons.csv"
    path.write_bytes(raw)
    before = Person.objects.count()
    code = _run("import_persons", path)
    if code:
        assert Person.objects.count() == before
    else:
        assert all("\x00" not in p.name for p in Person.objects.all())


ALLOC_HEADER = "id_number,period,amount\n"


@FAST
@given(raw=st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda t: (ALLOC_HEADER + t).encode("utf-8")),
    st.sampled_from([
        (ALLOC_HEADER + "{id},202401,100.00\n{id},202402,=1+1\n").encode(),
        (ALLOC_HEADER + "{id},202401,1e9999\n").encode(),
        (ALLOC_HEADER + "{id},202401,NaN\n").encode(),
        (ALLOC_HEADER + "{id},202401,-5\n").encode(),
        (ALLOC_HEADER + "{id}\x00,202401,5\n").encode(),
        (ALLOC_HEADER + "{id},2024\x0001,5\n").encode(),
        (ALLOC_HEADER + "{id},202401," + "9" * 100_000 + "\n").encode(),
        (ALLOC_HEADER + "{id},202401,100\n").encode("utf-16"),
    ]),
))
def test_post_allocations_with_hostile_files_fails_cleanly_and_all_or_nothing(
        tmp_path_factory, operator, raw):
    person = Person.objects.filter(name="划入甲").first() or f.person("划入甲")
    if not PersonalAccount.objects.filter(person=person).exists():
        f.account(person)
    raw = raw.replace(b"{id}", person.id_number.encode())
    path = tmp_path_factory.mktemp("csv") / "alloc.csv"
    path.write_bytes(raw)
    before = LedgerEntry.objects.count()
    code = _run("post_allocations", path)
    if code:
        assert LedgerEntry.objects.count() == before
