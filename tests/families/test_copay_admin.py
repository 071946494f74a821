import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def authorization():
    return f.active_copay(f.person("王建华"), f.person("王小宝", insurance_type="resident"))


def test_supervisor_revokes_with_a_reason_and_history_records_it(client, authorization):
    sup = f.supervisor()
    client.force_login(sup)
    data = {"action": "revoke_selected", "_selected_action": [authorization.pk]}
    assert "办理原因" in client.post("/admin/families/copayauthorization/", data).content.decode()
    client.post("/admin/families/copayauthorization/", {**data, "confirm": "1",
                                                        "reason": "本人申请撤销"})
    authorization.refresh_from_db()
    assert authorization.status == "revoked"
    record = authorization.history.order_by("-history_id").first()
    assert (record.history_user, record.history_change_reason) == (sup, "本人申请撤销")


def test_clerk_records_a_filing_but_cannot_revoke(client, authorization):
    clerk = f.clerk()
    client.force_login(clerk)
    page = client.get("/admin/families/copayauthorization/").content.decode()
    assert "record_filing" in page and "revoke_selected" not in page
    client.post("/admin/families/copayauthorization/", {
        "action": "record_filing", "_selected_action": [authorization.pk], "confirm": "1",
        "reason": "北京备案", "filing_number": "BA-1"})
    authorization.refresh_from_db()
    assert authorization.filing_number == "BA-1" and authorization.filed_by == clerk
    client.post("/admin/families/copayauthorization/", {
        "action": "revoke_selected", "_selected_action": [authorization.pk], "confirm": "1",
        "reason": "x"})
    authorization.refresh_from_db()
    assert authorization.status == "active"


def test_rule_violation_is_a_message_and_nothing_is_saved(client):
    from django.utils import timezone

    f.policy("110100", copay_min_months_before_revoke=3)
    authorization = f.active_copay(f.person(), f.person(), decided_at=timezone.now())
    client.force_login(f.supervisor())
    response = client.post("/admin/families/copayauthorization/", {
        "action": "revoke_selected", "_selected_action": [authorization.pk], "confirm": "1",
        "reason": "本人申请"}, follow=True)
    assert response.status_code == 200
    assert "满 3 个月后方可撤销" in response.content.decode()
    authorization.refresh_from_db()
    assert authorization.status == "active"


def test_change_form_is_read_only_and_ids_masked(client, authorization):
    client.force_login(f.supervisor())
    page = client.get(f"/admin/families/copayauthorization/{authorization.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert authorization.authorizer.masked_id_number in text
    assert authorization.authorizer.id_number not in text
    response = client.post(f"/admin/families/copayauthorization/{authorization.pk}/change/",
                           {"status": "revoked"})
    assert response.status_code == 403
