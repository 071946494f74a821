"""Small builders shared by the audit tests (bindings and applications written the way
services write them: through save_audited)."""

from django.utils import timezone

from audit.services import save_audited
from families.models import Binding, CounterApplication


def binding(holder, member, actor, *, status="pending", action="binding_apply",
            reason="测试绑定申请") -> Binding:
    obj = Binding(holder=holder, member=member, relationship="child", channel="counter",
                  consent_method="counter", status=status, applied_by=actor,
                  commitment_signed=True)
    save_audited(obj, actor=actor, reason=reason, action=action)
    return obj


def application(bind: Binding, actor, number: str = "BJ01-20260101-0001") -> CounterApplication:
    obj = CounterApplication(number=number, kind="binding", hall=actor.hall, binding=bind,
                             no_face_reason="elderly", holder_id_seen=True,
                             member_id_seen=True, proof_seen=True, commitment_signed=True,
                             submitted_by=actor, submitted_at=timezone.now())
    save_audited(obj, actor=actor, reason="窗口受理", action="application_submit")
    return obj
