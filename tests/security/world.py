"""One small world for the security tests: two regions (Beijing 110100 with hall BJ01,
Hangzhou 330100 with hall HZ01), staff of every role, and one object of every admin
model in Beijing."""

import datetime
from dataclasses import dataclass

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from accounts.models import Region, ServiceHall, User
from audit.models import AuditEvent
from families.models import (
    BatchJob,
    Binding,
    CalendarOverride,
    CoPayAuthorization,
    CounterApplication,
    KinshipProof,
    Person,
    ProofScan,
    RegionPolicy,
)
from settlements.models import LedgerEntry, PersonalAccount, Settlement
from tests import factories as f

PASSWORD = "Test-pass-2026"
ROLES = ("anon", "clerk", "supervisor", "sysadmin", "other_clerk", "other_supervisor")


@dataclass
class World:
    users: dict[str, User | None]
    objects: dict[str, object]  # "app_model" -> a Beijing object
    history_ids: dict[str, int]  # "app_model" -> a history row of that object
    application: CounterApplication
    scan: ProofScan
    person: Person
    hz_person: Person
    hz_application: CounterApplication


def build_world() -> World:
    users = {
        "anon": None,
        "clerk": f.clerk("m_clerk"),
        "supervisor": f.supervisor("m_supervisor"),
        "sysadmin": f.sysadmin("m_sysadmin"),
        "other_clerk": f.clerk("m_hz_clerk", hall_code="HZ01", region_code="330100"),
        "other_supervisor": f.supervisor("m_hz_supervisor", hall_code="HZ01",
                                         region_code="330100"),
    }
    f.policy("110100")
    holder = f.person("赵建国", birth=datetime.date(1970, 5, 1))
    member = f.person("赵秀兰", birth=datetime.date(1942, 3, 9), sex="F")
    application = f.counter_application(holder, member, actor=users["clerk"],
                                        relationship="parent")
    binding = application.binding
    scan = binding.proof.scans.get()
    beneficiary = f.person("赵小明", birth=datetime.date(2001, 7, 7))
    copay = f.active_copay(holder, beneficiary, relationship="child")
    account = f.account(holder, 500)
    from settlements.services import settlement_post

    settlement = settlement_post(
        actor=f.ledger_operator(), beneficiary=holder, institution_name="北京协和医院",
        institution_code="H11010100001", category="outpatient", amount=f.yuan(20),
        reference="REF-MATRIX-1", reason="定点机构结算",
    )
    hz_holder = f.person("钱塘生", region_code="330100")
    hz_member = f.person("钱塘秀", region_code="330100", birth=datetime.date(1945, 1, 1), sex="F")
    hz_application = f.counter_application(hz_holder, hz_member, actor=users["other_clerk"],
                                           relationship="parent")
    now = timezone.now()
    common = {"ip_address": "127.0.0.1", "user_agent": "pytest", "http_accept": "*/*",
              "path_info": "/admin/login/", "attempt_time": now}
    locked = f.clerk("m_locked")  # a home-region account that never signs in here
    attempt = AccessAttempt.objects.create(username=locked.username, failures_since_start=1,
                                           get_data="", post_data="", **common)
    log = AccessLog.objects.create(username="m_clerk", **common)
    failure = AccessFailureLog.objects.create(username="someone", locked_out=False, **common)
    bj = Region.objects.get(code="110100")
    objects = {
        "auth_group": Group.objects.get(name=roles.CLERK),
        "axes_accesslog": log,
        "axes_accessfailurelog": failure,
        "axes_accessattempt": attempt,
        "audit_auditevent": AuditEvent.objects.filter(region=bj).order_by("pk").first(),
        "accounts_region": bj,
        "accounts_servicehall": ServiceHall.objects.get(code="BJ01"),
        "accounts_user": users["clerk"],
        "families_binding": binding,
        "families_copayauthorization": copay,
        "families_counterapplication": application,
        "families_person": holder,
        "families_regionpolicy": RegionPolicy.objects.get(region=bj),
        "families_kinshipproof": binding.proof,
        "settlements_personalaccount": account,
        "settlements_ledgerentry": LedgerEntry.objects.filter(account=account).first(),
        "settlements_settlement": settlement,
        "channel_api_channelclient": _channel_client(),
        "families_calendaroverride": CalendarOverride.objects.create(
            day=datetime.date(2026, 12, 31), is_working_day=False, note="测试"),
        "families_batchjob": BatchJob.objects.create(
            source="deceased", reason="死亡", region=bj, created_by=users["supervisor"]),
    }
    assert all(objects.values()), objects
    history_ids = {
        key: obj.history.order_by("history_id").first().history_id
        for key, obj in objects.items() if hasattr(obj, "history")
    }
    assert isinstance(objects["families_copayauthorization"], CoPayAuthorization)
    assert isinstance(objects["families_binding"], Binding)
    assert isinstance(objects["families_kinshipproof"], KinshipProof)
    assert isinstance(objects["settlements_settlement"], Settlement)
    assert isinstance(objects["settlements_personalaccount"], PersonalAccount)
    return World(users=users, objects=objects, history_ids=history_ids,
                 application=application, scan=scan, person=holder, hz_person=hz_holder,
                 hz_application=hz_application)


def _channel_client():
    from channel_api.services import channel_client_register

    return channel_client_register(actor=None, code="matrix-01", name="矩阵渠道",
                                   kind="wechat", reason="测试数据")
