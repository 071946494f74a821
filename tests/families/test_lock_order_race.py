"""The lock order of families.services (applications → persons → links → accounts) holds
for the counter, the channels and the batch at once: real threads on PostgreSQL started by
a barrier race `batch_unbind` against `application_approve` and `binding_apply` on the same
persons. No deadlock error reaches a supervisor, a channel or the operator, and the final
state obeys every limit."""

import pytest
from django.db import DatabaseError

from accounts.errors import RuleViolation
from families.models import Binding, CounterApplication
from families.services import binding_apply
from families.services.batch import PersonRows, batch_unbind
from families.services.counter import application_approve
from tests import factories as f
from tests.concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
ROUNDS = 8
HOLDER_LIMIT = 5


def face_apply(holder, member):
    return binding_apply(actor=None, holder=f.ref(holder), member=f.ref(member),
                         relationship="child", channel="wechat", consent_method="face",
                         reason="渠道申请")


def one_round(n, operator, clerk, supervisor):
    holder = f.person()
    for _ in range(3):
        f.binding(holder, f.person())
    application = f.counter_application(holder, actor=clerk)
    newcomers = [f.person(), f.person()]
    outcomes = race([
        lambda: batch_unbind(actor=operator, reason="数据清理", chunk_size=2,
                             selection=PersonRows([(1, {"id_number": holder.id_number})])),
        lambda: application_approve(actor=supervisor, application=application),
        lambda: face_apply(holder, newcomers[0]),
        lambda: face_apply(holder, newcomers[1]),
    ])
    return holder, application, outcomes


def test_batch_unbind_approval_and_apply_race_without_deadlock_and_within_limits():
    f.policy("110100", holder_limit=HOLDER_LIMIT)
    operator, clerk, supervisor = f.supervisor("operator"), f.clerk(), f.supervisor("sup_b")
    for n in range(ROUNDS):
        holder, application, outcomes = one_round(n, operator, clerk, supervisor)
        errors = [o for o in outcomes
                  if isinstance(o, Exception) and not isinstance(o, RuleViolation)]
        assert errors == [], errors  # a DatabaseError (deadlock) would land here
        assert not any(isinstance(o, DatabaseError) for o in outcomes)
        codes = {o.rule_code for o in outcomes if isinstance(o, RuleViolation)}
        assert codes <= {"invalid_state", "holder_limit"}, codes
        live = Binding.objects.filter(holder=holder, status__in=["pending", "active"]).count()
        assert live <= HOLDER_LIMIT
        application.refresh_from_db()
        binding_status = Binding.objects.get(pk=application.binding_id).status
        assert (application.status, binding_status) in {
            ("approved", "active"), ("approved", "unbound"), ("withdrawn", "withdrawn"),
        }
    assert CounterApplication.objects.filter(status="pending").count() == 0
