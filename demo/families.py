"""Demo families for `seed_demo`. Idempotent: existing rows are left untouched."""

import datetime
from decimal import Decimal

from django.utils import timezone

from audit.services import save_audited
from families import services
from families.choices import InsuranceStatus, InsuranceType
from families.idnumbers import make_resident_id
from families.models import Binding, CounterApplication, Person, RegionPolicy
from families.services import PersonRef
from families.services.counter import (
    IntakeData,
    application_approve,
    application_expire,
    application_reject,
    application_submit,
    application_withdraw,
)

# (name, district code, birth date, sex, insurance type, region, status, activated)
DEMO_PERSONS = [
    ("张建国", "110101", datetime.date(1948, 3, 12), "M", "employee", "110100", "normal", True),
    ("李秀英", "110101", datetime.date(1950, 7, 2), "F", "employee", "110100", "normal", False),
    ("张伟", "110102", datetime.date(1975, 5, 20), "M", "employee", "110100", "normal", True),
    ("王芳", "110102", datetime.date(1978, 11, 8), "F", "employee", "110100", "normal", True),
    ("张子涵", "110105", datetime.date(2012, 6, 1), "F", "resident", "110100", "normal", False),
    ("张子轩", "110105", datetime.date(2009, 12, 31), "M", "resident", "110100", "normal", False),
    ("张一诺", "110105", datetime.date(2018, 1, 15), "F", "resident", "110100", "normal", False),
    ("张丽", "110106", datetime.date(1980, 2, 29), "F", "employee", "110100", "normal", True),
    ("刘强", "110106", datetime.date(1979, 9, 9), "M", "employee", "110100", "suspended", True),
    ("陈静", "110107", datetime.date(1985, 4, 4), "F", "resident", "110100", "normal", True),
    ("赵磊", "110108", datetime.date(1990, 10, 1), "M", "employee", "110100", "normal", True),
    ("孙娜", "110108", datetime.date(1992, 1, 23), "F", "employee", "110100", "terminated", False),
    ("周敏", "110101", datetime.date(1955, 8, 18), "F", "resident", "110100", "normal", False),
    ("吴刚", "110102", datetime.date(1960, 12, 12), "M", "employee", "110100", "normal", True),
    ("郑红", "110105", datetime.date(1988, 3, 3), "F", "employee", "110100", "normal", True),
    ("冯军", "110106", datetime.date(1970, 6, 6), "M", "employee", "110100", "normal", True),
    ("王建华", "330102", datetime.date(1952, 5, 5), "M", "employee", "330100", "normal", True),
    ("陈美兰", "330102", datetime.date(1954, 9, 19), "F", "resident", "330100", "normal", False),
    ("王磊", "330105", datetime.date(1980, 1, 1), "M", "employee", "330100", "normal", True),
    ("林晓", "330105", datetime.date(1983, 7, 7), "F", "employee", "330100", "normal", True),
    ("王小宝", "330106", datetime.date(2015, 10, 10), "M", "resident", "330100", "normal", False),
    ("黄丽华", "330106", datetime.date(1965, 2, 14), "F", "employee", "330100", "normal", True),
    ("何志强", "330108", datetime.date(1972, 8, 8), "M", "employee", "330100", "normal", True),
    ("高雪", "330108", datetime.date(1995, 11, 11), "F", "resident", "330100", "normal", True),
    ("罗平", "330109", datetime.date(1940, 4, 1), "M", "employee", "330100", "normal", False),
    ("谢婷", "330109", datetime.date(1999, 12, 25), "F", "employee", "330100", "normal", True),
    ("马超", "330110", datetime.date(1987, 6, 18), "M", "employee", "330100", "normal", True),
    ("许静", "330110", datetime.date(2008, 3, 8), "F", "resident", "330100", "normal", False),
    ("郭涛", "110107", datetime.date(1958, 1, 30), "M", "employee", "110100", "normal", True),
    ("曹颖", "110107", datetime.date(2020, 5, 12), "F", "resident", "110100", "normal", False),
    # 30: registered dead (death recorded after his links were made)
    ("钱守仁", "110101", datetime.date(1938, 2, 2), "M", "employee", "110100", "normal", True),
    # 31: bound by six holders, her children: the member limit
    ("钟秀兰", "110105", datetime.date(1945, 9, 1), "F", "resident", "110100", "normal", True),
    # 32: binds five people: the holder limit; 33-37 his brothers and sisters
    ("钟大明", "110105", datetime.date(1965, 3, 3), "M", "employee", "110100", "normal", True),
    ("钟二明", "110105", datetime.date(1967, 4, 4), "M", "employee", "110100", "normal", True),
    ("钟三丽", "110105", datetime.date(1969, 5, 5), "F", "employee", "110100", "normal", True),
    ("钟四明", "110105", datetime.date(1971, 6, 6), "M", "resident", "110100", "normal", True),
    ("钟五丽", "110105", datetime.date(1973, 7, 7), "F", "employee", "110100", "normal", True),
    ("钟六明", "110105", datetime.date(1975, 8, 8), "M", "employee", "110100", "normal", True),
]


def demo_id_number(index: int) -> str:
    name, district, birth, sex, *_ = DEMO_PERSONS[index]
    return make_resident_id(district, birth, 10 + index, sex)


def seed_families(*, actor, regions: dict, users: dict, reason: str) -> None:
    _seed_policies(actor=actor, regions=regions, reason=reason)
    _seed_persons(actor=actor, regions=regions, reason=reason)
    if not Binding.objects.exists():
        _seed_links(users=users, reason=reason)


def _p(index: int) -> Person:
    return Person.objects.get(id_type="resident_id", id_number=demo_id_number(index))


def _ref(index: int) -> PersonRef:
    person = _p(index)
    return PersonRef(person.id_type, person.id_number, person.name)


def _scan():
    """A small PNG standing in for the scanned kinship proof."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (235, 235, 225)).save(out, format="PNG")
    return SimpleUploadedFile("亲属关系证明.png", out.getvalue(), content_type="image/png")


def _counter(holder: int, member: int, relationship: str, *, clerk, proof_type: str,
             no_face_reason: str) -> CounterApplication:
    """An offline counter application taken as a clerk takes it (proof, scan, pending
    binding and numbered application together), so every counter binding has one."""
    data = IntakeData(
        kind="binding", holder=_ref(holder), member=_ref(member), relationship=relationship,
        no_face_reason=no_face_reason, proof_type=proof_type,
        proof_number=f"DEMO-{holder:02d}{member:02d}", holder_id_seen=True,
        member_id_seen=True, proof_seen=True, commitment_signed=True,
    )
    return application_submit(actor=clerk, data=data, scans=[_scan()])


def _bind(holder: int, member: int, relationship: str, *, actor, reason, consent="face",
          channel="wechat", proof=None, applied_at=None) -> Binding:
    return services.binding_apply(
        actor=actor, holder=_ref(holder), member=_ref(member), relationship=relationship,
        channel=channel, consent_method=consent, proof=proof,
        commitment_signed=proof is not None, reason=reason, applied_at=applied_at,
    )


def _seed_links(*, users: dict, reason: str) -> None:
    """Bindings in every status, co-pay authorizations, accounts with a statement."""
    clerk, supervisor, admin = users["clerk1"], users["supervisor1"], users["admin"]
    long_ago = timezone.now() - datetime.timedelta(days=200)
    # active by face verification on a channel; 张伟 binds his father 张建国
    _bind(2, 0, "parent", actor=None, reason=reason, applied_at=long_ago)
    # birth-registry exemption (北京, born 2012): 张伟 binds daughter 张子涵
    _bind(2, 4, "child", actor=None, reason=reason, consent="birth_exemption",
          channel="national_app")
    # offline counter applications, each with its application and receipt number:
    # pending (王芳 binds her mother-in-law 李秀英, elderly, no smartphone)
    _counter(3, 1, "parent", clerk=clerk, proof_type="police_certificate",
             no_face_reason="elderly")
    # approved by a different supervisor (张丽 binds her mother 周敏)
    approved = _counter(7, 12, "parent", clerk=clerk, proof_type="household_register",
                        no_face_reason="elderly")
    application_approve(actor=supervisor, application=approved, reason="原件核验无误")
    # rejected (郑红 binds her father 吴刚)
    rejected = _counter(14, 13, "parent", clerk=clerk, proof_type="household_register",
                        no_face_reason="elderly")
    application_reject(actor=supervisor, application=rejected, reason="户口簿未显示双方关系")
    # withdrawn (冯军 binds his brother 郭涛)
    withdrawn = _counter(15, 28, "sibling", clerk=clerk, proof_type="household_register",
                         no_face_reason="elderly")
    application_withdraw(actor=clerk, application=withdrawn, reason="本人撤回申请")
    # expired guardian application for a minor (郭涛 binds his granddaughter 曹颖)
    expired = _counter(28, 29, "grandchild", clerk=clerk, proof_type="household_register",
                       no_face_reason="minor")
    application_expire(actor=admin, application=expired, reason="超过期限未审核")
    # unbound
    unbound = _bind(10, 9, "spouse", actor=None, reason=reason, applied_at=long_ago)
    services.binding_unbind(actor=supervisor, binding=unbound, reason="离婚")
    # 杭州
    _bind(18, 16, "parent", actor=None, reason=reason, channel="alipay")
    # 钟秀兰 is bound by her six children (member limit 6: a seventh is refused) and her
    # eldest 钟大明 binds five people (holder limit 5: a sixth is refused)
    for child in range(32, 38):
        _bind(child, 31, "parent", actor=None, reason=reason, applied_at=long_ago)
    for sibling in range(33, 37):
        _bind(32, sibling, "sibling", actor=None, reason=reason, applied_at=long_ago,
              channel="bank_app")
    # 钱守仁 bound his son 吴刚 and let him use his account, then died: the death ends
    # both links in the same transaction (history shows the death as their reason)
    _bind(30, 13, "child", actor=None, reason=reason, applied_at=long_ago)
    _seed_copay(clerk=clerk, supervisors=users, reason=reason)
    services.person_record_death(actor=admin, person=_p(30), reason="公安死亡信息比对",
                                 death_date=datetime.date(2026, 11, 15))


def _seed_copay(*, clerk, supervisors: dict, reason: str) -> None:
    from settlements.services import allocation_post, settlement_post, settlement_reverse

    # every ledger entry is made by a supervisor of the person's own region
    by_region = {"110100": supervisors["supervisor1"], "330100": supervisors["supervisor2"]}
    for index, row in enumerate(DEMO_PERSONS):
        if row[4] == "employee" and row[6] == "normal":
            for period, amount in (("202610", "320.00"), ("202611", "320.00")):
                allocation_post(actor=by_region[row[5]], person=_p(index), period=period,
                                amount=Decimal(amount), reason="个人账户月度划入")
    # 张伟 lets daughter 张子涵 (resident insurance, no account) use his account, keeping
    # 200 yuan for himself; 北京 requires a filing first.
    auth = services.copay_apply(actor=None, authorizer=_ref(2), beneficiary=_ref(4),
                                relationship="child", channel="national_app",
                                consent_method="face", reserve=Decimal("200.00"),
                                reason=reason)
    services.copay_record_filing(actor=clerk, authorization=auth, filing_number="BJBA-2026-0001",
                                 reason="家庭共济备案")
    services.copay_apply(actor=None, authorizer=_ref(18), beneficiary=_ref(20),
                         relationship="child", channel="alipay", consent_method="face",
                         reason=reason)
    services.copay_apply(actor=None, authorizer=_ref(30), beneficiary=_ref(13),
                         relationship="child", channel="national_app", consent_method="face",
                         reason=reason)
    visits = [
        (4, "北京儿童医院", "H11010200001", "outpatient", "186.50", "BJ-ETYY-0001"),
        (4, "同仁堂药店(东城店)", "P11010100003", "pharmacy", "68.00", "BJ-TRT-0001"),
        (4, "北京儿童医院", "H11010200001", "outpatient", "95.00", "BJ-ETYY-0002"),
        (20, "浙江大学医学院附属儿童医院", "H33010200002", "outpatient", "120.00", "HZ-ZDET-0001"),
    ]
    for beneficiary, name, code, category, amount, ref in visits:
        supervisor = by_region[DEMO_PERSONS[beneficiary][5]]
        settlement = settlement_post(actor=supervisor, beneficiary=_p(beneficiary),
                                     institution_name=name, institution_code=code,
                                     category=category, amount=Decimal(amount), reference=ref,
                                     reason="定点机构结算")
    settlement_reverse(actor=supervisor, settlement=settlement, reason="医院退费冲正")


def _seed_policies(*, actor, regions, reason) -> None:
    versions = {
        "110100": dict(
            birth_exemption_enabled=True,
            birth_exemption_cutoff=datetime.date(2010, 1, 1),
            copay_filing_required=True,
        ),
        "330100": dict(copay_cross_region_in_province=True, copay_scope="near"),
    }
    for code, fields in versions.items():
        region = regions[code]
        if not RegionPolicy.objects.filter(region=region).exists():
            policy = RegionPolicy(region=region, effective_from=datetime.date(2024, 1, 1), **fields)
            save_audited(policy, actor=actor, reason=reason, action="created")


def _seed_persons(*, actor, regions, reason) -> None:
    for index, row in enumerate(DEMO_PERSONS):
        name, district, birth, sex, ins_type, region, status, activated = row
        number = demo_id_number(index)
        if Person.objects.filter(id_type="resident_id", id_number=number).exists():
            continue
        person = Person(
            id_number=number,
            name=name,
            sex=sex,
            birth_date=birth,
            phone=f"139{index:08d}",
            insurance_type=InsuranceType(ins_type),
            insured_region=regions[region],
            insurance_status=InsuranceStatus(status),
            birth_region=regions[region] if birth.year >= 2000 else None,
            evoucher_activated_at=(
                datetime.datetime(2024, 3, 1, 9, 0, tzinfo=datetime.UTC) if activated else None
            ),
        )
        save_audited(person, actor=actor, reason=reason, action="created")
