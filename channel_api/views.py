"""/api/channels/v1/: thin views over families.services. Each parses and validates the
JSON body, calls one service with the channel's service account as the actor, and
answers with the result or the rule's stable code (errors.py)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.errors import RuleViolation
from channel_api import representation, selectors
from channel_api import serializers as s
from channel_api.authentication import SignatureAuthentication
from channel_api.errors import jsonable
from channel_api.idempotency import run_once
from channel_api.models import ChannelClient
from channel_api.throttling import ChannelRateThrottle
from families.services import (
    binding_apply,
    binding_eligibility,
    binding_unbind,
    copay_apply,
    copay_eligibility,
    copay_revoke,
    resolve_person,
)

REQUESTER = gettext_noop("申请人")
ERRORS = {code: OpenApiResponse(s.ErrorSerializer, description=text) for code, text in {
    400: "请求参数无效 / invalid request",
    401: "签名无效、时间戳过期或重放 / signature invalid, expired or replayed",
    403: "渠道已停用 / channel disabled",
    404: "未找到 / not found",
    409: "状态冲突或请求编号冲突 / state or idempotency conflict",
    422: "业务规则不通过 / a rule refused it",
    429: "请求过于频繁 / rate limited (Retry-After)",
}.items()}


class IsChannel(permissions.BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, ChannelClient)


class ChannelView(APIView):
    authentication_classes = [SignatureAuthentication]
    permission_classes = [IsChannel]
    throttle_classes = [ChannelRateThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    def valid(self, serializer_class) -> s.serializers.Serializer:
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        return serializer

    @property
    def client(self) -> ChannelClient:
        return self.request.auth

    def reason(self, number: str, text: str) -> str:
        return f"[{self.client.code} {number}] {text}"

    def write(self, operation: str, number: str, perform) -> Response:
        http_status, body, replayed = run_once(
            client=self.client, request_number=number, operation=operation,
            body=self.request._channel_body, perform=perform)
        return Response(body, status=http_status,
                         headers={"Idempotent-Replayed": "true" if replayed else "false"})


def _doc(request, response, summary: str, codes=(400, 401, 403, 429)):
    return extend_schema(
        request=request, summary=summary,
        responses={**response, **{c: ERRORS[c] for c in codes}},
    )


class PingView(ChannelView):
    """A signed request that does no domain work: the framework's floor (benchmark)."""

    @_doc(None, {200: s.PingSerializer}, "签名验证 / signed no-op (framework floor)")
    def post(self, request):
        return Response({"ok": True, "channel": self.client.code})


class BindingEligibilityView(ChannelView):
    @_doc(s.BindingPairSerializer, {200: s.EligibilitySerializer},
          "亲情账户绑定资格预检(不加锁、不写入)/ binding eligibility pre-check")
    def post(self, request):
        d = self.valid(s.BindingPairSerializer).validated_data
        checks = binding_eligibility(
            holder=s.person_ref(d["holder"]), member=s.person_ref(d["member"]),
            relationship=d["relationship"], consent_method=d["consent_method"])
        return Response(jsonable(representation.eligibility(checks)))


class CoPayEligibilityView(ChannelView):
    @_doc(s.CoPayPairSerializer, {200: s.EligibilitySerializer},
          "家庭共济授权资格预检 / co-pay eligibility pre-check")
    def post(self, request):
        d = self.valid(s.CoPayPairSerializer).validated_data
        checks = copay_eligibility(
            authorizer=s.person_ref(d["authorizer"]), beneficiary=s.person_ref(d["beneficiary"]),
            relationship=d["relationship"], consent_method=d["consent_method"],
            reserve=d["reserve"])
        return Response(jsonable(representation.eligibility(checks)))


class BindingApplyView(ChannelView):
    @_doc(s.BindingApplySerializer, {201: s.LinkSerializer, 200: s.LinkSerializer},
          "刷脸绑定亲情账户(立即生效)/ apply a binding with face verification",
          codes=(400, 401, 403, 404, 409, 422, 429))
    def post(self, request):
        serializer = self.valid(s.BindingApplySerializer)
        d = serializer.validated_data

        def perform():
            binding = binding_apply(
                actor=self.client.service_account, holder=s.person_ref(d["holder"]),
                member=s.person_ref(d["member"]), relationship=d["relationship"],
                channel=self.client.kind, consent_method=d["consent_method"],
                reason=self.reason(d["request_number"], _("渠道申请绑定")),
                evidence=serializer.evidence())
            return status.HTTP_201_CREATED, representation.binding_link(binding)

        return self.write("binding_apply", d["request_number"], perform)


class CoPayApplyView(ChannelView):
    @_doc(s.CoPayApplySerializer, {201: s.LinkSerializer, 200: s.LinkSerializer},
          "刷脸授权家庭共济(立即生效)/ authorize co-pay with face verification",
          codes=(400, 401, 403, 404, 409, 422, 429))
    def post(self, request):
        serializer = self.valid(s.CoPayApplySerializer)
        d = serializer.validated_data

        def perform():
            authorization = copay_apply(
                actor=self.client.service_account, authorizer=s.person_ref(d["authorizer"]),
                beneficiary=s.person_ref(d["beneficiary"]), relationship=d["relationship"],
                channel=self.client.kind, consent_method=d["consent_method"],
                reserve=d["reserve"], reason=self.reason(d["request_number"], _("渠道申请共济授权")),
                evidence=serializer.evidence())
            return status.HTTP_201_CREATED, representation.copay_link(authorization)

        return self.write("copay_apply", d["request_number"], perform)


def _not_found(what: str) -> RuleViolation:
    return RuleViolation("not_found", _("未找到申请人作为一方的该%(what)s。") % {"what": what})


class BindingUnbindView(ChannelView):
    @_doc(s.UnbindSerializer, {200: s.LinkSerializer}, "解除亲情账户绑定(任一方)/ unbind",
          codes=(400, 401, 403, 404, 409, 422, 429))
    def post(self, request):
        d = self.valid(s.UnbindSerializer).validated_data

        def perform():
            person = resolve_person(s.person_ref(d["requested_by"]), _(REQUESTER))
            binding = selectors.binding_of_party(d["binding_id"], person)
            if binding is None:
                raise _not_found(_("绑定"))
            binding = binding_unbind(actor=self.client.service_account, binding=binding,
                                     reason=self.reason(d["request_number"], d["reason"]))
            return status.HTTP_200_OK, representation.binding_link(binding)

        return self.write("binding_unbind", d["request_number"], perform)


class CoPayRevokeView(ChannelView):
    @_doc(s.RevokeSerializer, {200: s.LinkSerializer}, "撤销家庭共济授权(任一方)/ revoke co-pay",
          codes=(400, 401, 403, 404, 409, 422, 429))
    def post(self, request):
        d = self.valid(s.RevokeSerializer).validated_data

        def perform():
            person = resolve_person(s.person_ref(d["requested_by"]), _(REQUESTER))
            authorization = selectors.copay_of_party(d["authorization_id"], person)
            if authorization is None:
                raise _not_found(_("共济授权"))
            authorization = copay_revoke(
                actor=self.client.service_account, authorization=authorization,
                reason=self.reason(d["request_number"], d["reason"]))
            return status.HTTP_200_OK, representation.copay_link(authorization)

        return self.write("copay_revoke", d["request_number"], perform)


class LinksView(ChannelView):
    @_doc(s.LinksQuerySerializer, {200: s.LinksSerializer},
          "查询参保人生效中的绑定与共济授权、电子凭证激活 / a person's live links",
          codes=(400, 401, 403, 404, 422, 429))
    def post(self, request):
        d = self.valid(s.LinksQuerySerializer).validated_data
        person = resolve_person(s.person_ref(d["person"]), _(REQUESTER))
        bindings, copays = selectors.live_links(person)
        links = ([representation.binding_link(b) for b in bindings]
                 + [representation.copay_link(c) for c in copays])
        return Response(jsonable({"person": representation.party(person), "links": links}))
