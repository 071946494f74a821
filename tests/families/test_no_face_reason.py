"""The reason face verification is impossible fits the member's age: 高龄 is refused for a
minor (rule code no_face_reason_age_mismatch), and the intake form preselects 未成年人 for a
minor and puts the cursor on step 2 after the pre-check."""

import datetime

import pytest
from django.urls import reverse

from accounts.errors import RuleViolation
from tests import factories as f

pytestmark = pytest.mark.django_db


def _child(years: int, name="李小宝"):
    today = datetime.date.today()
    return f.person(name, birth=today.replace(year=today.year - years) - datetime.timedelta(days=30))


def test_elderly_is_refused_as_the_reason_for_an_eight_year_old():
    with pytest.raises(RuleViolation) as exc:
        f.counter_application(f.person("李国强"), _child(8), no_face_reason="elderly")
    assert exc.value.rule_code == "no_face_reason_age_mismatch"


def test_minor_is_refused_as_the_reason_for_an_adult():
    with pytest.raises(RuleViolation) as exc:
        f.counter_application(f.person("李国强"), f.person("李大妹"), no_face_reason="minor")
    assert exc.value.rule_code == "no_face_reason_age_mismatch"


def test_minor_is_accepted_for_a_seventeen_year_old():
    assert f.counter_application(f.person("李国强"), _child(17), no_face_reason="minor").pk


def test_step_two_preselects_minor_and_takes_the_focus(client):
    holder, child = f.person("李国强"), _child(8)
    client.force_login(f.clerk("reason_clerk"))
    html = client.post(reverse("counter:intake"), {
        "kind": "binding", "holder_id_type": "resident_id", "holder_id_number": holder.id_number,
        "holder_name": holder.name, "member_id_type": "resident_id",
        "member_id_number": child.id_number, "member_name": child.name,
        "relationship": "child", "reserve": "0", "action": "precheck",
    }).content.decode()
    select = html[html.index('name="no_face_reason"') - 200:html.index('name="no_face_reason"') + 600]
    assert "autofocus" in select
    assert '<option value="minor" selected>' in select
