"""DOMAIN.md "Life-cycle rules that every path shares": a death however recorded ends the
person's links and applications in one transaction; approval re-checks the policy in force
at approval while the monthly count stays in the application's month (both link kinds)."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.errors import RuleViolation
from families import lifecycle
from families.models import Binding, CoPayAuthorization, CounterApplication, Person
from families.services import (
    binding_apply,
    binding_approve,
    copay_apply,
    copay_approve,
    person_record_death,
    person_upsert,
    validate_person_row,
)
from tests import factories as f

pytestmark = pytest.mark.django_db
REASON = "参保登记导入:registry.csv"


def fund(person, amount="1000.00"):
    from settlements.services import allocation_post

    allocation_post(actor=f.ledger_operator(), person=person, period="202611",
                    amount=Decimal(amount), reason="测试划入")


def feed_row(person, **changes) -> dict:
    row = {"id_type": person.id_type, "id_number": person.id_number, "name": person.name,
           "insurance_type": person.insurance_type, "region_code": person.insured_region.code,
           "status": person.insurance_status, "death_date": ""}
    row.update(changes)
    return row


def feed(person, **changes) -> str:
    regions = {person.insured_region.code: person.insured_region}
    data = validate_person_row(feed_row(person, **changes), set(regions))
    return person_upsert(actor=f.sysadmin("registry"), data=data, reason=REASON,
                         regions=regions)


def status(obj) -> str:
    return type(obj).objects.values_list("status", flat=True).get(pk=obj.pk)


def counter_binding(clerk, holder, member, at=None):
    proof = f.proof(holder, member, "child", actor=clerk)
    return binding_apply(actor=clerk, holder=f.ref(holder), member=f.ref(member),
                         relationship="child", channel="counter", consent_method="counter",
                         proof=proof, commitment_signed=True, reason="窗口线下核验受理",
                         applied_at=at)


# --- the rules themselves ----------------------------------------------------------------


def test_a_live_link_ends_unbound_or_revoked_and_a_pending_one_withdrawn():
    assert lifecycle.end_status("binding", "active", "death") == "unbound"
    assert lifecycle.end_status("binding", "pending", "death") == "withdrawn"
    assert lifecycle.end_status("copay", "suspended", "divorce") == "revoked"
    assert lifecycle.end_status("copay", "pending", "rejection") == "rejected"
    assert lifecycle.end_status("copay", "active", "expiry") is None
    assert lifecycle.end_status("binding", "unbound", "death") is None


def test_the_waiting_period_protects_only_against_a_partys_own_request():
    assert lifecycle.waiting_period_applies("unbind")
    assert not any(lifecycle.waiting_period_applies(c) for c in lifecycle.ADMINISTRATIVE_CAUSES)


def test_a_pending_settlement_blocks_unless_a_party_is_registered_dead():
    assert lifecycle.pending_settlement_blocks(has_pending_settlement=True, party_deceased=False)
    assert not lifecycle.pending_settlement_blocks(has_pending_settlement=True,
                                                   party_deceased=True)
    assert not lifecycle.pending_settlement_blocks(has_pending_settlement=False,
                                                   party_deceased=False)


# --- a death from the registry feed --------------------------------------------------------


def test_death_through_the_feed_ends_links_on_both_sides_and_pending_applications():
    person, child, parent = f.person(), f.person(), f.person()
    as_holder, as_member = f.binding(person, child), f.binding(parent, person)
    fund(person)
    copay = f.active_copay(person, child, relationship="child")
    application = f.counter_application(person, f.person())
    assert feed(person, death_date="2026-11-20") == "death_recorded"
    assert Person.objects.get(pk=person.pk).death_date == datetime.date(2026, 11, 20)
    assert [status(as_holder), status(as_member)] == ["unbound", "unbound"]
    assert status(copay) == "revoked"
    assert status(application) == "withdrawn"
    assert status(application.binding) == "withdrawn"
    record = as_member.history.order_by("-history_id").first()
    assert record.history_user.username == "registry"
    assert record.history_change_reason == REASON


def test_death_through_the_feed_revokes_copay_despite_a_pending_settlement():
    from settlements.services import settlement_post

    parent, child = f.person(), f.person(insurance_type="resident")
    fund(parent)
    copay = f.active_copay(parent, child, relationship="child")
    settlement_post(actor=f.ledger_operator(), beneficiary=child, institution_name="医院",
                    institution_code="H1", category="inpatient", amount=Decimal("200.00"),
                    reference="INP-FEED", reason="住院结算", pending=True)
    feed(parent, death_date="2026-11-20")
    assert status(copay) == "revoked"


def test_death_and_the_ends_it_causes_are_one_transaction(monkeypatch):
    from families.services import links

    person = f.person()
    first, second = f.binding(person, f.person()), f.binding(person, f.person())
    calls = []
    real = links.end_locked

    def fail_on_second(link, **kwargs):
        calls.append(link.pk)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(link, **kwargs)

    monkeypatch.setattr(links, "end_locked", fail_on_second)
    with pytest.raises(RuntimeError):
        feed(person, death_date="2026-11-20")
    assert Person.objects.get(pk=person.pk).death_date is None
    assert [status(first), status(second)] == ["active", "active"]


def test_feed_without_a_change_of_death_leaves_links_alone():
    person = f.person()
    binding = f.binding(person, f.person())
    assert feed(person, phone="13900002222") == "updated"
    assert status(binding) == "active"


def test_insurance_terminated_through_the_feed_suspends_copay_and_keeps_bindings():
    parent, child = f.person(), f.person()
    fund(parent)
    copay, binding = f.active_copay(parent, child, relationship="child"), f.binding(parent, child)
    feed(parent, status="terminated")
    assert [status(copay), status(binding)] == ["suspended", "active"]


def test_death_recorded_by_staff_ends_the_same_links_as_the_feed():
    person = f.person()
    binding, copay = f.binding(person, f.person()), f.active_copay(f.person(), person)
    person_record_death(actor=f.supervisor(), person=person,
                        death_date=datetime.date(2026, 11, 1), reason="死亡证明")
    assert [status(binding), status(copay)] == ["unbound", "revoked"]


# --- approval re-checks the policy in force at approval -----------------------------------


def test_binding_approval_after_a_policy_version_lowering_the_holder_limit_is_refused():
    clerk, supervisor = f.clerk(), f.supervisor()
    holder = f.person()
    f.binding(holder, f.person())
    pending = counter_binding(clerk, holder, f.person(),
                              at=timezone.now() - datetime.timedelta(days=10))
    f.policy("110100", effective_from=timezone.localdate() - datetime.timedelta(days=2),
             holder_limit=1)
    with pytest.raises(RuleViolation) as exc:
        binding_approve(actor=supervisor, binding=pending, reason="材料齐全")
    assert exc.value.rule_code == "holder_limit"
    assert status(pending) == "pending"


def test_binding_approval_under_a_lowered_limit_still_passes_when_within_it():
    clerk, supervisor = f.clerk(), f.supervisor()
    pending = counter_binding(clerk, f.person(), f.person(),
                              at=timezone.now() - datetime.timedelta(days=10))
    f.policy("110100", effective_from=timezone.localdate() - datetime.timedelta(days=2),
             holder_limit=1)
    assert binding_approve(actor=supervisor, binding=pending, reason="材料齐全").status == "active"


def test_copay_approval_after_a_policy_version_lowering_the_beneficiary_limit_is_refused():
    clerk, supervisor = f.clerk(), f.supervisor()
    parent, child = f.person(), f.person()
    fund(parent)
    f.active_copay(parent, f.person(), relationship="child")
    proof = f.proof(parent, child, "child", actor=clerk)
    pending = copay_apply(actor=clerk, authorizer=f.ref(parent), beneficiary=f.ref(child),
                          relationship="child", channel="counter", consent_method="counter",
                          proof=proof, commitment_signed=True, reason="共济授权申请")
    f.policy("110100", effective_from=timezone.localdate(), copay_beneficiary_limit=1)
    with pytest.raises(RuleViolation) as exc:
        copay_approve(actor=supervisor, authorization=pending, reason="材料齐全")
    assert exc.value.rule_code == "beneficiary_limit"
    assert status(pending) == "pending"


def _month_policy():
    f.policy("110100", monthly_limit=2, member_limit=10)


def test_approval_next_month_counts_the_application_in_the_month_it_was_made():
    clerk, supervisor = f.clerk(), f.supervisor()
    _month_policy()
    member = f.person()
    pending = counter_binding(clerk, f.person(), member, at=f.china(2026, 11, 30, 23, 30))
    for _ in range(2):  # this month is full, November is not
        f.binding(f.person(), member, applied_at=timezone.now())
    assert binding_approve(actor=supervisor, binding=pending, reason="ok").status == "active"


def test_approval_is_refused_when_the_applications_month_is_full():
    clerk, supervisor = f.clerk(), f.supervisor()
    _month_policy()
    member = f.person()
    pending = counter_binding(clerk, f.person(), member, at=f.china(2026, 11, 30, 23, 30))
    for _ in range(2):  # filled November behind the pending application's back
        f.binding(f.person(), member, applied_at=f.china(2026, 11, 2))
    with pytest.raises(RuleViolation) as exc:
        binding_approve(actor=supervisor, binding=pending, reason="ok")
    assert exc.value.rule_code == "monthly_limit"


def test_every_end_leaves_the_reason_stripped_and_bounded():
    person = f.person()
    binding = f.binding(person, f.person())
    person_record_death(actor=f.supervisor(), person=person,
                        death_date=datetime.date(2026, 11, 1), reason="  死亡证明" + "x" * 300)
    ended = Binding.objects.get(pk=binding.pk)
    assert ended.end_reason.startswith("死亡证明") and len(ended.end_reason) == 200
    assert CoPayAuthorization.objects.count() == 0
    assert CounterApplication.objects.count() == 0
