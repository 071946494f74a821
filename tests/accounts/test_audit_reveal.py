"""Who looked: the full ID number and phone are shown only through an explicit,
audited action, to staff with the permission, in their own region."""

import pytest

from audit.models import AuditEvent
from families.views.reveal import reveal_link, reveal_url
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def person():
    return factories.person("赵六", phone="13912345678")


def test_get_shows_masked_values_and_logs_nothing(client, person):
    client.force_login(factories.clerk())
    page = client.get(reveal_url(person)).content.decode()
    assert person.masked_id_number in page
    assert person.id_number not in page and "13912345678" not in page
    assert not AuditEvent.objects.filter(action="reveal_identity").exists()


def test_post_reveals_once_and_records_who_looked(client, person):
    clerk = factories.clerk()
    client.force_login(clerk)
    response = client.post(reveal_url(person), {"reason": "核对证件原件"})
    page = response.content.decode()
    assert person.id_number in page and "13912345678" in page
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get(action="reveal_identity")
    assert (event.actor, event.person_id, event.reason) == (clerk, person.pk, "核对证件原件")
    assert event.action_label == "显示完整证件号"
    assert event.region == person.insured_region


def test_staff_of_another_region_cannot_reveal(client, person):
    client.force_login(factories.clerk("hz", hall_code="HZ01", region_code="330100"))
    assert client.post(reveal_url(person)).status_code == 404
    assert not AuditEvent.objects.filter(action="reveal_identity").exists()


def test_staff_without_the_permission_cannot_reveal(client, person):
    client.force_login(factories.sysadmin())  # sysadmin manages staff, not persons
    assert client.post(reveal_url(person)).status_code == 403


def test_anonymous_is_sent_to_login(client, person):
    response = client.get(reveal_url(person))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_reveal_link_points_to_the_page(person):
    assert reveal_url(person) in reveal_link(person)
    assert "显示完整证件号" in reveal_link(person)
