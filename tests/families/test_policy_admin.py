"""Region policy in the admin: a version in force is read-only, a change is a new version
from a date not in the past, the allowed relationships are chosen from the list."""

import datetime

import pytest

from families.chinatime import china_date
from families.models import RegionPolicy
from tests import factories as f

pytestmark = pytest.mark.django_db


def form(**changes):
    data = {"region": f.region("110100").pk, "effective_from": str(china_date()),
            "holder_limit": "5", "member_limit": "6", "monthly_limit": "6",
            "binding_relationships": ["spouse", "child"], "face_verification_age": "16",
            "min_months_before_unbind": "0", "application_expiry_days": "30",
            "review_working_days": "3", "review_claim_minutes": "30",
            "copay_scope": "near", "copay_beneficiary_limit": "5", "copay_min_balance": "0",
            "copay_min_months_before_revoke": "0", "change_reason": "政策调整"}
    data.update(changes)
    return data


@pytest.fixture
def admin_client(client):
    client.force_login(f.sysadmin())
    return client


def test_a_version_in_force_cannot_be_edited(admin_client):
    version = f.policy("110100", effective_from=china_date())
    page = admin_client.get(f"/admin/families/regionpolicy/{version.pk}/change/")
    assert page.status_code == 200 and 'name="holder_limit"' not in page.content.decode()
    admin_client.post(f"/admin/families/regionpolicy/{version.pk}/change/",
                      form(holder_limit="1"))
    assert RegionPolicy.objects.get(pk=version.pk).holder_limit == 5


def test_a_future_version_can_still_be_corrected(admin_client):
    tomorrow = china_date() + datetime.timedelta(days=1)
    version = f.policy("110100", effective_from=tomorrow)
    page = admin_client.get(f"/admin/families/regionpolicy/{version.pk}/change/")
    assert 'name="holder_limit"' in page.content.decode()


def test_a_new_version_from_today_is_added_one_from_yesterday_is_refused(admin_client):
    yesterday = china_date() - datetime.timedelta(days=1)
    response = admin_client.post("/admin/families/regionpolicy/add/",
                                 form(effective_from=str(yesterday)))
    assert response.status_code == 200 and not RegionPolicy.objects.exists()
    admin_client.post("/admin/families/regionpolicy/add/", form())
    assert RegionPolicy.objects.get().binding_relationships == ["spouse", "child"]


def test_allowed_relationships_outside_the_list_are_refused(admin_client):
    response = admin_client.post("/admin/families/regionpolicy/add/",
                                 form(binding_relationships=["spouse", "neighbour"]))
    assert response.status_code == 200 and not RegionPolicy.objects.exists()
