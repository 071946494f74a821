"""Review claims (审核中): one supervisor at a time reviews an application; the claim ends
on decision, release or after the region's claim time; a stale claim can be taken over
(audited); the page and the queue show who holds it."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.errors import RuleViolation
from families.choices import ApplicationStatus
from families.services.claims import application_claim, application_release
from families.services.counter import (
    application_approve,
    application_reject,
    application_withdraw,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    return f.clerk("clerk_bj")


@pytest.fixture
def app(clerk):
    return f.counter_application(actor=clerk)


@pytest.fixture
def first():
    return f.supervisor("supervisor_a")


@pytest.fixture
def second():
    return f.supervisor("supervisor_b")


def code_of(call) -> str:
    with pytest.raises(RuleViolation) as caught:
        call()
    return caught.value.rule_code


def age_claim(app, minutes: int) -> None:
    type(app).objects.filter(pk=app.pk).update(
        claimed_at=timezone.now() - datetime.timedelta(minutes=minutes))


def test_a_claim_records_who_and_since_with_history(app, first):
    claimed = application_claim(actor=first, application=app)
    assert claimed.claimed_by == first and claimed.claimed_at is not None
    row = claimed.history.order_by("history_id").last()
    assert (row.history_user, row.history_change_reason) == (first, "领取审核")


def test_another_supervisor_cannot_claim_or_decide_a_held_application(app, first, second):
    application_claim(actor=first, application=app)
    assert code_of(lambda: application_claim(actor=second, application=app)) == "claim_held"
    assert code_of(lambda: application_approve(actor=second, application=app)) == "claim_held"
    assert code_of(lambda: application_reject(actor=second, application=app,
                                              reason="材料不清")) == "claim_held"
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING


def test_the_holder_decides_and_the_decision_ends_the_claim(app, first):
    application_claim(actor=first, application=app)
    decided = application_approve(actor=first, application=app)
    assert decided.status == ApplicationStatus.APPROVED and decided.claimed_by is None


def test_an_unclaimed_application_can_still_be_decided(app, first):
    assert application_approve(actor=first, application=app).status == "approved"


def test_release_lets_another_supervisor_claim(app, first, second):
    application_claim(actor=first, application=app)
    application_release(actor=first, application=app)
    assert application_claim(actor=second, application=app).claimed_by == second


def test_a_fresh_claim_cannot_be_released_by_someone_else(app, first, second):
    application_claim(actor=first, application=app)
    assert code_of(lambda: application_release(actor=second, application=app)) == "claim_held"


def test_a_stale_claim_is_taken_over_with_the_previous_holder_in_history(app, first, second):
    f.policy("110100", review_claim_minutes=30)
    application_claim(actor=first, application=app)
    age_claim(app, 29)
    assert code_of(lambda: application_claim(actor=second, application=app)) == "claim_held"
    age_claim(app, 31)
    taken = application_claim(actor=second, application=app)
    assert taken.claimed_by == second
    row = taken.history.order_by("history_id").last()
    assert row.history_user == second and "supervisor_a" in row.history_change_reason
    assert application_approve(actor=second, application=taken).status == "approved"


def test_a_sysadmin_may_end_a_stale_claim_but_not_a_live_one(app, first):
    admin_user = f.sysadmin()
    application_claim(actor=first, application=app)
    assert code_of(lambda: application_release(actor=admin_user, application=app)) == (
        "claim_held")
    age_claim(app, 31)
    assert application_release(actor=admin_user, application=app).claimed_by is None


def test_a_supervisor_of_another_region_cannot_claim(app):
    hz = f.supervisor("supervisor_hz", hall_code="HZ01", region_code="330100")
    assert code_of(lambda: application_claim(actor=hz, application=app)) == "permission_denied"


def test_the_submitter_and_clerks_cannot_claim(app, clerk):
    assert code_of(lambda: application_claim(actor=clerk, application=app)) == (
        "permission_denied")


def test_a_withdrawal_ends_the_claim(app, clerk, first):
    application_claim(actor=first, application=app)
    assert application_withdraw(actor=clerk, application=app,
                                reason="本人撤回").claimed_by is None


def test_claiming_a_decided_application_is_refused(app, first, second):
    application_approve(actor=first, application=app)
    assert code_of(lambda: application_claim(actor=second, application=app)) == (
        "invalid_state")


def test_the_review_page_and_the_queue_show_the_claim(client, app, first, second):
    client.force_login(first)
    url = reverse("counter:review", args=[app.pk])
    client.post(url, {"decision": "claim"})
    client.force_login(second)
    page = client.get(url).content.decode()
    assert "审核中:supervisor_a" in page and 'id="approve-button"' not in page
    queue = client.get(reverse("counter:queue")).content.decode()
    assert "supervisor_a" in queue
    client.post(url, {"decision": "approve", "reason": ""})
    app.refresh_from_db()
    assert app.status == ApplicationStatus.PENDING
    client.force_login(first)
    client.post(url, {"decision": "release"})
    app.refresh_from_db()
    assert app.claimed_by is None


def test_claims_and_take_overs_are_in_the_audit_log_with_their_own_actions(app, first, second):
    from audit.models import AuditEvent
    from families.audit import FamiliesAuditAction

    application_claim(actor=first, application=app)
    age_claim(app, 31)
    application_claim(actor=second, application=app)
    application_release(actor=second, application=app)
    actions = list(AuditEvent.objects.filter(application_number=app.number)
                   .order_by("pk").values_list("action", flat=True))
    assert actions[-3:] == ["application_claim", "application_claim_takeover",
                            "application_release"]
    assert FamiliesAuditAction("application_claim_takeover").label == "接手超时审核"


def test_the_audit_log_names_claim_actions_in_chinese_in_its_filter_and_detail(
        client, app, first, second):
    """操作 filter and the event page show 领取审核 / 接手超时审核 / 释放审核, never the codes."""
    from audit.models import AuditEvent

    application_claim(actor=first, application=app)
    age_claim(app, 31)
    application_claim(actor=second, application=app)
    application_release(actor=second, application=app)
    client.force_login(first)
    listing = client.get("/admin/audit/auditevent/").content.decode()
    labels = {"application_claim": "领取审核", "application_claim_takeover": "接手超时审核",
              "application_release": "释放审核"}
    for code, label in labels.items():  # the 操作 filter's choices
        assert f'<option value="{code}">{label}</option>' in listing
    for code, label in labels.items():
        filtered = client.get("/admin/audit/auditevent/", {"action": code}).content.decode()
        assert filtered.count('field-action_display">') == 1  # the one event, by label
        assert f'field-action_display">{label}<' in filtered
        event = AuditEvent.objects.filter(application_number=app.number, action=code).get()
        detail = client.get(f"/admin/audit/auditevent/{event.pk}/change/").content.decode()
        assert label in detail
