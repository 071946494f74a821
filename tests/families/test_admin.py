import datetime

import pytest
from django.utils import timezone

from families.models import Binding, RegionPolicy
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def family():
    holder = f.person("张建国")
    member = f.person("张伟")
    binding = f.binding(holder, member)
    return holder, member, binding


def test_clerk_finds_a_person_by_exact_id_number_and_sees_it_masked(client, family):
    holder, _member, _b = family
    client.force_login(f.clerk())
    page = client.get("/admin/families/person/", {"q": holder.id_number}).content.decode()
    assert holder.name in page
    assert holder.masked_id_number in page
    # the full number appears only where the clerk typed it (search box, sort links)
    echoed = page.replace(f'value="{holder.id_number}"', "").replace(
        f"q={holder.id_number}", "").replace(f"q%3D{holder.id_number}", "")
    assert holder.id_number not in echoed


def test_name_search_is_a_prefix_match(client, family):
    client.force_login(f.clerk())
    page = client.get("/admin/families/person/", {"q": "张建"}).content.decode()
    assert "张建国" in page and "张伟" not in page
    page = client.get("/admin/families/person/", {"q": "建国"}).content.decode()
    assert "张建国" not in page


def test_person_page_shows_bindings_with_masked_ids(client, family):
    holder, member, _b = family
    client.force_login(f.clerk())
    page = client.get(f"/admin/families/person/{holder.pk}/change/").content.decode()
    assert member.masked_id_number in page
    assert member.id_number not in page and holder.id_number not in page
    assert holder.phone not in page


def test_clerk_of_another_region_cannot_open_the_person(client, family):
    holder, _m, _b = family
    client.force_login(f.clerk("hz", "HZ01", "330100"))
    assert client.get(f"/admin/families/person/{holder.pk}/change/").status_code == 302
    page = client.get("/admin/families/person/", {"q": holder.id_number}).content.decode()
    assert holder.name not in page


def test_binding_change_form_is_read_only(client, family):
    _h, _m, binding = family
    client.force_login(f.supervisor())
    response = client.post(f"/admin/families/binding/{binding.pk}/change/",
                           {"status": "unbound"})
    assert response.status_code == 403
    binding.refresh_from_db()
    assert binding.status == "active"


def test_unbind_action_asks_for_a_reason_then_calls_the_service(client, family):
    _h, _m, binding = family
    sup = f.supervisor()
    client.force_login(sup)
    data = {"action": "unbind_selected", "_selected_action": [binding.pk]}
    page = client.post("/admin/families/binding/", data)
    assert page.status_code == 200 and "解绑原因" in page.content.decode()
    response = client.post("/admin/families/binding/",
                           {**data, "confirm": "1", "reason": "本人申请解绑"})
    assert response.status_code == 302
    binding.refresh_from_db()
    assert binding.status == "unbound"
    record = binding.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (sup, "本人申请解绑")


def test_rule_violation_in_unbind_action_is_shown_and_nothing_saved(client, family):
    _h, _m, binding = family
    f.policy("110100", min_months_before_unbind=6)
    Binding.objects.filter(pk=binding.pk).update(decided_at=timezone.now())
    client.force_login(f.supervisor())
    response = client.post("/admin/families/binding/", {
        "action": "unbind_selected", "_selected_action": [binding.pk], "confirm": "1",
        "reason": "本人申请"}, follow=True)
    assert response.status_code == 200
    assert "满 6 个月后方可解绑" in response.content.decode()
    binding.refresh_from_db()
    assert binding.status == "active"


def test_clerk_has_no_unbind_action(client, family):
    _h, _m, binding = family
    client.force_login(f.clerk())
    page = client.get("/admin/families/binding/").content.decode()
    assert "unbind_selected" not in page
    client.post("/admin/families/binding/", {"action": "unbind_selected",
                "_selected_action": [binding.pk], "confirm": "1", "reason": "x"})
    binding.refresh_from_db()
    assert binding.status == "active"


def test_region_policy_is_edited_by_sysadmin_only_and_needs_a_reason(client):
    region = f.region("110100")
    client.force_login(f.clerk())
    assert client.get("/admin/families/regionpolicy/add/").status_code == 403
    admin_user = f.sysadmin()
    client.force_login(admin_user)
    form = {
        "region": region.pk, "effective_from": "2027-01-01", "holder_limit": 5,
        "member_limit": 6, "monthly_limit": 6, "binding_relationships": ["spouse"],
        "face_verification_age": 16, "min_months_before_unbind": 0,
        "application_expiry_days": 30, "review_working_days": 3, "review_claim_minutes": 30,
        "copay_scope": "core",
        "copay_beneficiary_limit": 5,
        "copay_min_balance": "0", "copay_min_months_before_revoke": 0,
    }
    missing_reason = client.post("/admin/families/regionpolicy/add/", form)
    assert missing_reason.status_code == 200 and not RegionPolicy.objects.exists()
    client.post("/admin/families/regionpolicy/add/", {**form, "change_reason": "新政策"})
    policy = RegionPolicy.objects.get()
    assert policy.effective_from == datetime.date(2027, 1, 1)
    record = policy.history.get()
    assert (record.history_user, record.history_change_reason) == (admin_user, "新政策")


def test_calendar_overrides_are_kept_by_sysadmins_with_a_reason_in_history(client):
    from families.models import CalendarOverride

    client.force_login(f.supervisor())
    assert client.get("/admin/families/calendaroverride/add/").status_code == 403
    admin_user = f.sysadmin()
    client.force_login(admin_user)
    form = {"day": "2026-10-09", "is_working_day": "", "note": "地方假日"}
    assert client.post("/admin/families/calendaroverride/add/", form).status_code == 200
    assert not CalendarOverride.objects.exists()
    client.post("/admin/families/calendaroverride/add/", {**form, "change_reason": "市政府通知"})
    row = CalendarOverride.objects.get()
    assert (row.day, row.is_working_day) == (datetime.date(2026, 10, 9), False)
    record = row.history.get()
    assert (record.history_user, record.history_change_reason) == (admin_user, "市政府通知")


def test_person_page_links_to_the_audited_reveal_action(client, family):
    holder, _m, _b = family
    client.force_login(f.clerk())
    page = client.get(f"/admin/families/person/{holder.pk}/change/").content.decode()
    assert f"/admin/audit/persons/{holder.pk}/reveal/" in page
