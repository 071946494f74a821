"""One JSON error shape for every refusal: {"code", "message", "figures"}. Rule codes are
the services' (docs/rule-codes.md); the API adds its own (docs/channel-api.md)."""

import datetime
from decimal import Decimal
from typing import Any

from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from accounts.errors import RuleViolation

# Rule codes answered with something else than 422 Unprocessable Content.
STATUS_OF_CODE = {
    "not_insured": status.HTTP_404_NOT_FOUND,
    "not_found": status.HTTP_404_NOT_FOUND,
    "invalid_id_number": status.HTTP_422_UNPROCESSABLE_ENTITY,
    "invalid_state": status.HTTP_409_CONFLICT,
    "duplicate_binding": status.HTTP_409_CONFLICT,
    "duplicate_authorization": status.HTTP_409_CONFLICT,
    "idempotency_conflict": status.HTTP_409_CONFLICT,
}


class ChannelError(exceptions.APIException):
    """A refusal with a stable code, raised by the API layer itself."""

    def __init__(self, http_status: int, code: str, message: str, **figures: Any) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = http_status
        self.code = code
        self.message = message
        self.figures = figures


def jsonable(value: Any) -> Any:
    """Figures as JSON values (dates ISO 8601, decimals as strings)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def error_body(code: str, message: str, figures: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "figures": jsonable(figures or {})}


def rule_violation_response(exc: RuleViolation) -> tuple[int, dict]:
    http_status = STATUS_OF_CODE.get(exc.rule_code, status.HTTP_422_UNPROCESSABLE_ENTITY)
    return http_status, error_body(exc.rule_code, exc.text, exc.figures)


def _framework_error(exc: exceptions.APIException) -> tuple[str, str, dict]:
    if isinstance(exc, exceptions.ValidationError):
        return "invalid_request", _("请求参数无效,请核对后重试。"), {"fields": exc.detail}
    if isinstance(exc, exceptions.ParseError):
        return "invalid_json", _("请求体不是有效的 JSON。"), {}
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        return "signature_missing", _("请求未签名。"), {}
    if isinstance(exc, exceptions.PermissionDenied):
        return "permission_denied", _("该渠道无权进行此操作。"), {}
    if isinstance(exc, exceptions.NotFound):
        return "not_found", _("未找到。"), {}
    if isinstance(exc, exceptions.MethodNotAllowed):
        return "method_not_allowed", _("不支持该请求方法。"), {}
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return "unsupported_media_type", _("请求体须为 application/json。"), {}
    if isinstance(exc, exceptions.NotAcceptable):
        return "not_acceptable", _("仅提供 application/json 响应。"), {}
    if isinstance(exc, exceptions.Throttled):
        return ("rate_limited", _("请求过于频繁,请 %(seconds)s 秒后重试。")
                % {"seconds": exc.wait or 1}, {"retry_after": int(exc.wait or 1)})
    return "invalid_request", str(exc.detail), {}


def exception_handler(exc, context) -> Response | None:
    """REST_FRAMEWORK["EXCEPTION_HANDLER"] for the channel API."""
    if isinstance(exc, RuleViolation):
        http_status, body = rule_violation_response(exc)
        return Response(body, status=http_status)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    if not isinstance(exc, exceptions.APIException):
        return None
    headers = {}
    if isinstance(exc, ChannelError):
        body = error_body(exc.code, exc.message, exc.figures)
    else:
        body = error_body(*_framework_error(exc))
    if isinstance(exc, exceptions.Throttled):
        headers["Retry-After"] = str(int(exc.wait or 1))
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    return Response(body, status=exc.status_code, headers=headers)


def bad_request(request, exception, template_name: str = "400.html"):
    """handler400: requests refused before any view runs (config.middleware's NUL-byte
    check, a broken multipart body) keep the API's JSON shape under /api/channels/."""
    from django.http import JsonResponse
    from django.views.defaults import bad_request as html_bad_request

    if request.path.startswith("/api/channels/"):
        return JsonResponse(error_body("invalid_request", _("请求无效。")), status=400,
                            json_dumps_params={"ensure_ascii": False})
    return html_bad_request(request, exception, template_name)
