"""Request and response shapes of /api/channels/v1/. Every field is described in Chinese
and English (the schema at /api/channels/v1/schema/ shows both)."""

import copy
from decimal import Decimal

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from families.choices import ConsentMethod, IdType, Relationship
from families.services import ChannelEvidence, PersonRef

REQUEST_NUMBER_RE = r"^[A-Za-z0-9_-]{1,64}$"
ID_TYPES = IdType.choices
RELATIONSHIPS = Relationship.choices
CHANNEL_CONSENT = [
    (ConsentMethod.FACE.value, ConsentMethod.FACE.label),
    (ConsentMethod.BIRTH_EXEMPTION.value, ConsentMethod.BIRTH_EXEMPTION.label),
]
FACE_ONLY = [CHANNEL_CONSENT[0]]
MAX_ID = 2**63 - 1


class _Strict:
    """JSON types as the schema says them: DRF would turn 0 into "0" or "7" into 7."""

    json_types: tuple[type, ...] = (str,)
    default_error_messages = {"type": _("类型错误 / wrong JSON type")}

    def to_internal_value(self, data):
        if not isinstance(data, self.json_types) or isinstance(data, bool) and (
                bool not in self.json_types):
            self.fail("type")
        return super().to_internal_value(data)


class CharField(_Strict, serializers.CharField):
    pass


class RegexField(_Strict, serializers.RegexField):
    pass


class ChoiceField(_Strict, serializers.ChoiceField):
    pass


class DateTimeField(_Strict, serializers.DateTimeField):
    pass


class DecimalField(_Strict, serializers.DecimalField):
    pass


class IntegerField(_Strict, serializers.IntegerField):
    json_types = (int,)


def _h(zh: str, en: str) -> str:
    return f"{zh} / {en}"


class RequestSerializer(serializers.Serializer):
    """A request body's serializer. DRF gives every serializer instance deep copies of
    the declared fields, and a field's deep copy runs its __init__ again (choices,
    validators, lazy error messages): half of a binding application's validation CPU.
    These fields keep no state of a request (validation reads them; bind() sets the
    name and parent on the copy), so a shallow copy per instance is enough."""

    def get_fields(self):
        fields = {}
        for name, field in self._declared_fields.items():
            fields[name] = clone = copy.copy(field)
            clone.__dict__.pop("fields", None)  # a nested serializer binds its own copies
        return fields


class PersonRefSerializer(RequestSerializer):
    id_type = ChoiceField(
        choices=ID_TYPES, default=IdType.RESIDENT_ID,
        help_text=_h("证件类型", "ID document type"))
    id_number = CharField(
        max_length=32, trim_whitespace=True,
        help_text=_h("证件号码(与参保登记一致)", "ID number as registered"))
    name = CharField(
        max_length=50, help_text=_h("姓名(与参保登记完全一致)", "name exactly as registered"))


def person_ref(data: dict) -> PersonRef:
    return PersonRef(id_type=data["id_type"], id_number=data["id_number"], name=data["name"])


class BindingPairSerializer(RequestSerializer):
    holder = PersonRefSerializer(help_text=_h("绑定人", "holder (who will show the e-voucher)"))
    member = PersonRefSerializer(help_text=_h("被绑定人", "member (whose e-voucher is shown)"))
    relationship = ChoiceField(
        choices=RELATIONSHIPS,
        help_text=_h("被绑定人是绑定人的(关系)", "the member is the holder's (relationship)"))
    consent_method = ChoiceField(
        choices=CHANNEL_CONSENT, default=ConsentMethod.FACE,
        help_text=_h("核验方式:渠道刷脸或出生登记免材料",
                     "consent: face verification on the channel or birth-registry exemption"))


class CoPayPairSerializer(RequestSerializer):
    authorizer = PersonRefSerializer(help_text=_h("授权人(职工医保)", "authorizer (employee insurance)"))
    beneficiary = PersonRefSerializer(help_text=_h("共济人", "beneficiary"))
    relationship = ChoiceField(
        choices=RELATIONSHIPS,
        help_text=_h("共济人是授权人的(关系)", "the beneficiary is the authorizer's (relationship)"))
    reserve = DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), default=Decimal("0.00"),
        coerce_to_string=True,
        help_text=_h("授权人预留金额(元)", "amount (yuan) the authorizer keeps for himself"))
    consent_method = ChoiceField(
        choices=FACE_ONLY, default=ConsentMethod.FACE,
        help_text=_h("核验方式:渠道刷脸", "consent: face verification on the channel"))


class WriteMixin(RequestSerializer):
    request_number = RegexField(
        REQUEST_NUMBER_RE, max_length=64,
        help_text=_h("渠道请求编号(幂等键,同一编号同一请求体返回首次结果)",
                     "channel request number (idempotency key)"))


class EvidenceMixin(WriteMixin):
    face_verification_ref = CharField(
        max_length=64, required=False, allow_blank=True, default="",
        help_text=_h("刷脸认证流水号(刷脸时必填)", "face-verification reference (required for face)"))
    face_verified_at = DateTimeField(
        required=False, allow_null=True, default=None,
        help_text=_h("刷脸认证时间(ISO 8601,刷脸时必填)",
                     "face-verification time (ISO 8601, required for face)"))

    def validate(self, attrs):
        if attrs.get("consent_method") == ConsentMethod.FACE:
            errors = {}
            if not attrs.get("face_verification_ref"):
                errors["face_verification_ref"] = [_("刷脸办理须提供刷脸认证流水号。")]
            at = attrs.get("face_verified_at")
            max_age = settings.CHANNEL_FACE_MAX_AGE
            now = timezone.now()
            if at is None:
                errors["face_verified_at"] = [_("刷脸办理须提供刷脸认证时间。")]
            elif not (now - max_age <= at <= now + settings.CHANNEL_CLOCK_SKEW):
                errors["face_verified_at"] = [
                    _("刷脸认证时间须在最近 %(minutes)s 分钟内。")
                    % {"minutes": int(max_age.total_seconds() // 60)}]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs

    def evidence(self) -> ChannelEvidence:
        d = self.validated_data
        return ChannelEvidence(request_number=d["request_number"],
                               face_verification_ref=d.get("face_verification_ref", ""),
                               face_verified_at=d.get("face_verified_at"))


class BindingApplySerializer(EvidenceMixin, BindingPairSerializer):
    pass


class CoPayApplySerializer(EvidenceMixin, CoPayPairSerializer):
    pass


class EndLinkSerializer(WriteMixin):
    requested_by = PersonRefSerializer(
        help_text=_h("申请人(须为该关系的一方)", "requesting person (one side of the link)"))
    reason = CharField(max_length=200, help_text=_h("原因", "reason"))


class UnbindSerializer(EndLinkSerializer):
    binding_id = IntegerField(min_value=1, max_value=MAX_ID,
                                          help_text=_h("绑定编号", "binding id"))


class RevokeSerializer(EndLinkSerializer):
    authorization_id = IntegerField(
        min_value=1, max_value=MAX_ID, help_text=_h("共济授权编号", "co-pay authorization id"))


class LinksQuerySerializer(RequestSerializer):
    person = PersonRefSerializer(help_text=_h("参保人", "insured person"))


# --- responses (documentation of what the views return) ----------------------------------


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_h("稳定错误代码", "stable error code"))
    message = serializers.CharField(help_text=_h("中文说明(含数字)", "message with the figures"))
    figures = serializers.DictField(help_text=_h("相关数字", "the figures of the rule"))


class CheckSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_h("规则代码", "rule code"))
    passed = serializers.BooleanField(help_text=_h("是否通过", "passed"))
    message = serializers.CharField(help_text=_h("说明", "message"))
    figures = serializers.DictField(help_text=_h("数字", "figures"))


class EligibilitySerializer(serializers.Serializer):
    eligible = serializers.BooleanField(help_text=_h("全部规则通过", "every rule passed"))
    checks = CheckSerializer(many=True, help_text=_h("逐条规则结果", "each rule's result"))


class PartySerializer(serializers.Serializer):
    masked_id_number = serializers.CharField(help_text=_h("脱敏证件号码", "masked ID number"))
    evoucher_activated = serializers.BooleanField(
        help_text=_h("医保电子凭证已激活", "e-voucher activated"))
    evoucher_activated_at = serializers.DateTimeField(
        allow_null=True, help_text=_h("电子凭证激活时间", "e-voucher activation time"))


class LinkSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["binding", "copay"],
                                   help_text=_h("亲情账户绑定或家庭共济授权", "binding or co-pay"))
    id = serializers.IntegerField(help_text=_h("编号", "id"))
    status = serializers.CharField(help_text=_h("状态", "status"))
    relationship = serializers.CharField(help_text=_h("关系", "relationship"))
    channel = serializers.CharField(help_text=_h("办理渠道", "channel"))
    channel_request_number = serializers.CharField(
        help_text=_h("渠道请求编号", "channel request number"))
    applied_at = serializers.DateTimeField(help_text=_h("申请时间", "applied at"))
    from_person = PartySerializer(help_text=_h("绑定人/授权人", "holder / authorizer"))
    to_person = PartySerializer(help_text=_h("被绑定人/共济人", "member / beneficiary"))
    usable = serializers.BooleanField(
        help_text=_h("可用(生效且被绑定人电子凭证已激活)",
                     "usable (active and the member's e-voucher activated)"))


class LinksSerializer(serializers.Serializer):
    person = PartySerializer(help_text=_h("参保人", "the person"))
    links = LinkSerializer(many=True, help_text=_h("生效中的关系(双方向)", "live links, both sides"))


class PingSerializer(serializers.Serializer):
    ok = serializers.BooleanField(help_text=_h("签名有效", "signature valid"))
    channel = serializers.CharField(help_text=_h("渠道编号", "channel code"))
