"""save_audited is the one audited write path: it requires, strips and bounds the reason
and takes only declared audit actions."""

import pytest

from accounts.errors import RuleViolation
from accounts.models import Region
from audit.services import save_audited

pytestmark = pytest.mark.django_db


def test_a_write_without_a_reason_is_refused_and_nothing_is_saved():
    for reason in ("", "   ", None):
        with pytest.raises(RuleViolation) as exc:
            save_audited(Region(code="990100", name="测试"), actor=None, reason=reason,
                         action="created")
        assert exc.value.rule_code == "reason_required"
    assert not Region.objects.filter(code="990100").exists()


def test_the_reason_is_stripped_and_bounded_in_history():
    region = Region(code="990100", name="测试")
    save_audited(region, actor=None, reason="  新设统筹区" + "x" * 300, action="created")
    reason = region.history.get().history_change_reason
    assert reason.startswith("新设统筹区") and len(reason) == 200


def test_an_undeclared_action_is_refused():
    with pytest.raises(ValueError):
        save_audited(Region(code="990100", name="测试"), actor=None, reason="测试",
                     action="no_such_action")
    assert not Region.objects.filter(code="990100").exists()
