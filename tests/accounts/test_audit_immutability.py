"""Nobody can rewrite history: database triggers reject UPDATE and DELETE on every
history table and on the audit table (ORM and raw SQL, SQLite and PostgreSQL), and no
admin page adds, changes, deletes or reverts a history or audit row."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import RequestFactory
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Region
from audit.models import AuditEvent
from audit.triggers import append_only_models, append_only_tables, guarded_tables
from tests import factories

pytestmark = pytest.mark.django_db


def test_every_history_table_and_the_audit_table_have_the_guard():
    tables = append_only_tables(connection)
    assert "accounts_auditevent" in tables
    assert "families_historicalbinding" in tables
    assert "accounts_historicaluser_groups" in tables
    expected = {m._meta.db_table for m in append_only_models()}
    assert expected <= set(tables), "every guarded model's table exists"
    assert set(tables) <= guarded_tables(connection)


def _rejected(fn):
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        fn()


def test_orm_update_and_delete_of_a_history_row_fail():
    region = factories.region("120100")
    row = region.history.latest()
    row.name = "篡改"
    _rejected(lambda: row.save())
    _rejected(lambda: Region.history.filter(pk=row.pk).update(name="篡改"))
    _rejected(lambda: Region.history.filter(pk=row.pk).delete())
    assert Region.history.get(pk=row.pk).name == "统筹区120100"


def test_orm_update_and_delete_of_an_audit_event_fail():
    factories.region("120100")
    event = AuditEvent.objects.first()
    _rejected(lambda: AuditEvent.objects.filter(pk=event.pk).update(reason="篡改"))
    _rejected(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    event.reason = "篡改"
    _rejected(lambda: event.save())


@pytest.mark.parametrize("table", ["families_historicalperson", "accounts_auditevent",
                                   "accounts_historicaluser"])
def test_raw_sql_update_and_delete_fail(table):
    factories.person()
    factories.clerk()

    def run(sql):
        def go():
            with connection.cursor() as cursor:
                cursor.execute(sql)
        return go

    _rejected(run(f"UPDATE {table} SET id = id"))
    _rejected(run(f"DELETE FROM {table}"))


def test_inserting_history_and_events_still_works_after_a_rejected_change():
    person = factories.person()
    _rejected(lambda: AuditEvent.objects.all().delete())
    person.name = "新名"
    person.save()
    assert person.history.count() == 2


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_database_and_reinstalls_the_guard():
    # The flush command is what pytest-django runs between transactional tests.
    factories.person()
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert AuditEvent.objects.count() == 0
    assert set(append_only_tables(connection)) <= guarded_tables(connection)


@pytest.mark.django_db(transaction=True)
class TestTransactionalTestsStillFlush:
    """Two transactional tests in a row: the flush between them must not be rejected."""

    def test_first_writes_history(self):
        factories.person()
        assert AuditEvent.objects.exists()

    def test_second_starts_from_an_empty_database(self):
        assert not AuditEvent.objects.exists()
        factories.person()
        assert set(append_only_tables(connection)) <= guarded_tables(connection)


def _superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = factories.staff("root", role=None, superuser=True)
    return request


def test_no_admin_lets_anyone_add_change_or_delete_history_or_audit_rows():
    request = _superuser_request()
    for model, model_admin in admin.site._registry.items():
        if model is AuditEvent or model.__name__.startswith("Historical"):
            assert not model_admin.has_add_permission(request)
            assert not model_admin.has_change_permission(request)
            assert not model_admin.has_delete_permission(request)
            assert not model_admin.get_actions(request)
    assert AuditEvent in admin.site._registry
    assert not any(m.__name__.startswith("Historical") for m in admin.site._registry)


def test_every_history_admin_is_the_read_only_one():
    from accounts.history_admin import ReadOnlyHistoryAdmin

    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert isinstance(model_admin, ReadOnlyHistoryAdmin), model


def test_revert_is_disabled_and_history_pages_reject_post_in_every_admin(client, settings):
    assert settings.SIMPLE_HISTORY_REVERT_DISABLED is True
    root = factories.staff("root", role=None, superuser=True)
    region = factories.region("120100")
    client.force_login(root)
    history_admins = [m for m, a in admin.site._registry.items()
                      if isinstance(a, SimpleHistoryAdmin)]
    assert Region in history_admins
    row = region.history.latest()
    url = f"/admin/accounts/region/{region.pk}/history/{row.history_id}/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"code": "120100", "name": "篡改", "change_reason": "x"})
    assert response.status_code == 403
    region.refresh_from_db()
    assert region.name == "统筹区120100"


def test_audit_log_add_change_delete_urls_are_refused_for_a_superuser(client):
    root = factories.staff("root", role=None, superuser=True)
    factories.region("120100")
    event = AuditEvent.objects.first()
    client.force_login(root)
    assert client.get("/admin/audit/auditevent/add/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/").status_code == 403
    assert client.post(f"/admin/audit/auditevent/{event.pk}/change/",
                       {"reason": "篡改"}).status_code in (200, 403, 405)
    event.refresh_from_db()
    assert event.reason == "测试数据"
