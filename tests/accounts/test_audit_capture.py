"""Complete capture: every model has history, every history row has its audit event
(same transaction) with actor, reason, action, persons, region and a masked diff."""

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection, transaction
from simple_history.utils import bulk_update_with_history

from audit.log import (
    insert_events_from_history,
    record_events_for_history,
)
from audit.models import AuditEvent
from audit.registry import registered_subjects
from audit.services import save_audited
from families.audit import FamiliesAuditAction
from families.models import Binding
from tests import factories
from tests.accounts.audit_helpers import application, binding

pytestmark = pytest.mark.django_db

AUDITED_APPS = ["accounts", "families", "settlements"]
# Models deliberately without history, each with its reason. Keep this list short.
NO_HISTORY = {
    # The audit log itself: append-only, guarded by a trigger; it *is* the record.
    "audit.AuditEvent",
    # A per-hall, per-day counter behind readable application numbers: infrastructure,
    # no business meaning; the numbers it hands out are in CounterApplication history.
    "families.ApplicationSequence",
    # The dashboard's pre-check refusal counter (per hall, day, rule code; no personal
    # data): an increment, not a business record.
    "families.PrecheckRefusal",
    # The ledger is its own append-only record (trigger-guarded by settlements); a
    # history table would duplicate every row. Lines are written once with their
    # settlement, whose history is kept.
    "settlements.LedgerEntry",
    "settlements.SettlementLine",
}


def _domain_models():
    for label in AUDITED_APPS:
        for model in apps.get_app_config(label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            yield model


def test_every_model_has_history_except_the_explained_few():
    missing = [
        m._meta.label for m in _domain_models()
        if not hasattr(m._meta, "simple_history_manager_attribute")
        and m._meta.label not in NO_HISTORY
    ]
    assert missing == [], f"models without HistoricalRecords: {missing}"


def test_the_no_history_list_names_only_existing_models():
    for label in NO_HISTORY:
        app_label, name = label.split(".")
        if app_label == "settlements" and not apps.get_app_config(app_label).models:
            continue
        apps.get_model(label)


def test_every_history_tracked_model_says_what_its_events_concern():
    missing = [
        m._meta.label for m in _domain_models()
        if hasattr(m._meta, "simple_history_manager_attribute")
        and m._meta.label not in registered_subjects()
    ]
    assert missing == [], (
        f"add AUDIT_SUBJECTS entries in <app>/audit.py (see audit.registry): "
        f"{missing}"
    )


def test_no_history_table_holds_password_hashes_or_session_keys():
    for model in apps.get_models():
        if not model.__name__.startswith("Historical"):
            continue
        columns = {c.name for c in connection.introspection.get_table_description(
            connection.cursor(), model._meta.db_table)}
        assert not columns & {"password", "session_key", "session_data"}, model


def test_a_service_write_leaves_history_and_one_event_with_actor_reason_and_action():
    clerk = factories.clerk()
    holder, member = factories.person("甲"), factories.person("乙")
    link = binding(holder, member, clerk, reason="老人无法刷脸,窗口核验")
    row = link.history.latest()
    assert (row.history_user, row.history_change_reason) == (clerk, "老人无法刷脸,窗口核验")
    event = AuditEvent.objects.get(history_model="families.historicalbinding",
                                   history_id=row.history_id)
    assert event.actor == clerk
    assert event.hall == clerk.hall
    assert event.action == FamiliesAuditAction.BINDING_APPLY
    assert event.action_label == "绑定申请"
    assert event.reason == "老人无法刷脸,窗口核验"
    assert (event.person_id, event.other_person_id) == (holder.pk, member.pk)
    assert event.region == holder.insured_region
    assert event.model == "families.binding" and event.object_id == str(link.pk)


def test_a_change_event_lists_old_and_new_values_with_labels():
    clerk, supervisor = factories.clerk(), factories.supervisor()
    link = binding(factories.person(), factories.person(), clerk)
    link.status = "active"
    link.decided_by = supervisor
    save_audited(link, actor=supervisor, reason="材料齐全", action="binding_approve")
    event = AuditEvent.objects.filter(model="families.binding").first()
    assert event.action_label == "审核通过"
    changes = {c["field"]: c for c in event.changes}
    assert changes["status"] == {"field": "status", "verbose_name": "状态",
                                 "old": "待审核", "new": "已绑定"}
    assert changes["decided_by"]["new"] == str(supervisor)
    assert set(changes) == {"status", "decided_by"}


def test_id_numbers_and_phones_are_masked_in_diffs():
    person = factories.person(phone="13900001111")
    created = AuditEvent.objects.get(model="families.person", action="created")
    values = {c["field"]: c["new"] for c in created.changes}
    assert values["id_number"] == person.masked_id_number
    assert person.id_number not in str(created.changes)
    person.phone = "13812345678"
    save_audited(person, actor=None, reason="更正电话", action="changed")
    change = AuditEvent.objects.filter(model="families.person").first().changes
    assert change == [{"field": "phone", "verbose_name": "联系电话",
                       "old": "139****1111", "new": "138****5678"}]


def test_an_application_number_links_the_binding_and_its_application():
    clerk = factories.clerk()
    link = binding(factories.person(), factories.person(), clerk)
    application(link, clerk, number="BJ01-20260101-0007")
    link.status = "active"
    save_audited(link, actor=factories.supervisor(), reason="同意", action="binding_approve")
    numbers = set(AuditEvent.objects.filter(application_number="BJ01-20260101-0007")
                  .values_list("model", "action"))
    assert numbers == {("families.counterapplication", "application_submit"),
                       ("families.binding", "binding_approve")}


def test_a_deleted_row_gets_a_deleted_event():
    hall = factories.hall("ZZ01")
    hall_id = hall.pk
    hall._history_user = None
    hall.delete()
    event = AuditEvent.objects.get(model="accounts.servicehall", object_id=str(hall_id),
                                   action="deleted")
    assert event.changes == []


def test_an_event_is_rolled_back_with_its_history_row():
    with pytest.raises(RuntimeError), transaction.atomic():
        factories.region("120100")
        raise RuntimeError
    assert not AuditEvent.objects.filter(model="accounts.region", region__code="120100")


def test_role_changes_are_in_user_history():
    user = factories.clerk()
    from django.contrib.auth.models import Group

    user._history_user = factories.sysadmin()
    user.groups.add(Group.objects.get(name="审核员"))
    latest = user.history.latest()
    assert {g.group.name for g in latest.groups.all()} == {"窗口经办员", "审核员"}
    event = AuditEvent.objects.get(history_model="accounts.historicaluser",
                                   history_id=latest.history_id)
    assert {c["field"] for c in event.changes} == {"groups"}
    assert event.changes[0]["new"] == "审核员、窗口经办员"


def test_an_admin_edit_records_the_user_and_the_reason(client):
    admin_user = factories.sysadmin()
    region = factories.region("110100")
    client.force_login(admin_user)
    response = client.post(f"/admin/accounts/region/{region.pk}/change/",
                           {"code": "110100", "name": "北京", "change_reason": "更正简称"})
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.filter(model="accounts.region").first()
    assert (event.actor, event.reason, event.action) == (admin_user, "更正简称", "changed")
    assert event.changes[0]["new"] == "北京"


def test_a_command_records_its_operator(tmp_path):
    operator = factories.clerk("importer")
    path = tmp_path / "persons.csv"
    number = "110101198001010037"
    path.write_text(f"id_number,name,insurance_type,region_code,status\n"
                    f"{number},张三,employee,110100,normal\n", encoding="utf-8")
    call_command("import_persons", str(path), "--operator", "importer")
    event = AuditEvent.objects.get(model="families.person")
    assert event.actor == operator
    assert event.reason == "参保登记导入:persons.csv"
    assert event.action_label == "参保信息导入"


def _bindings(n, actor):
    return [binding(factories.person(), factories.person(), actor) for _ in range(n)]


def test_bulk_update_with_history_then_record_events_for_history():
    clerk, supervisor = factories.clerk(), factories.supervisor()
    links = _bindings(3, clerk)
    for link in links:
        link.status = "unbound"
    before = AuditEvent.objects.count()
    bulk_update_with_history(links, Binding, ["status"], default_user=supervisor,
                             default_change_reason="批量解绑:死亡")
    assert AuditEvent.objects.count() == before  # bulk paths send no signal
    rows = Binding.history.filter(history_type="~")
    written = record_events_for_history(Binding.history.model, rows,
                                        action="binding_unbind")
    assert written == 3
    events = AuditEvent.objects.filter(action="binding_unbind")
    for link, event in zip(sorted(links, key=lambda b: b.pk),
                           events.order_by("object_id"), strict=True):
        assert (event.actor, event.hall, event.reason) == (supervisor, supervisor.hall,
                                                          "批量解绑:死亡")
        assert (event.person_id, event.other_person_id) == (link.holder_id, link.member_id)
        assert event.region_id == link.holder.insured_region_id
        assert event.changes == [{"field": "status", "verbose_name": "状态",
                                  "old": "待审核", "new": "已解绑"}]


def test_insert_select_path_writes_the_same_subjects_as_the_signal_path():
    clerk, supervisor = factories.clerk(), factories.supervisor()
    links = _bindings(2, clerk)
    application(links[0], clerk, number="BJ01-20260101-0009")
    HistoricalBinding = Binding.history.model
    last = HistoricalBinding.objects.order_by("-history_id").first().history_id
    for link in links:
        link.status = "unbound"
    bulk_update_with_history(links, Binding, ["status"], default_user=supervisor,
                             default_change_reason="批量解绑:离婚")
    summary = [{"field": "status", "verbose_name": "状态", "old": "已绑定", "new": "已解绑"}]
    count = insert_events_from_history(
        HistoricalBinding.objects.filter(history_id__gt=last), action="binding_unbind",
        changes=summary,
    )
    assert count == 2
    bulk = {e.object_id: e for e in AuditEvent.objects.filter(action="binding_unbind")}
    signal = {e.object_id: e for e in AuditEvent.objects.filter(action="binding_apply")}
    for object_id, event in bulk.items():
        first = signal[object_id]
        assert (event.person_id, event.other_person_id, event.region_id) == (
            first.person_id, first.other_person_id, first.region_id)
        assert (event.actor, event.hall, event.actor_username) == (
            supervisor, supervisor.hall, supervisor.username)
        assert event.reason == "批量解绑:离婚"
        assert event.changes == summary
        assert event.history_model == "families.historicalbinding"
    assert bulk[str(links[0].pk)].application_number == "BJ01-20260101-0009"
    assert bulk[str(links[1].pk)].application_number == ""
