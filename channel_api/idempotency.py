"""Idempotent writes by the channel's request number.

The record and the write share one transaction: INSERT ... ON CONFLICT DO NOTHING waits
on a concurrent duplicate's uncommitted row, then SELECT ... FOR UPDATE reads the first
result. A crash between commit and response leaves the stored result for the retry; a
crash before commit leaves nothing, so the retry does the work."""

from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import status

from accounts.errors import RuleViolation
from channel_api.errors import ChannelError, error_body, jsonable, rule_violation_response
from channel_api.models import ChannelClient, IdempotencyRecord
from channel_api.signing import body_sha256


def run_once(*, client: ChannelClient, request_number: str, operation: str, body: bytes,
             perform: Callable[[], tuple[int, dict]]) -> tuple[int, dict, bool]:
    """(status, body, replayed). `perform` calls one service and returns the success
    response; a RuleViolation it raises is stored and answered like a result."""
    digest = body_sha256(body)
    with transaction.atomic():
        IdempotencyRecord.objects.bulk_create(
            [IdempotencyRecord(client=client, request_number=request_number,
                               operation=operation, body_sha256=digest)],
            ignore_conflicts=True,
        )
        record = IdempotencyRecord.objects.select_for_update().get(
            client=client, request_number=request_number)
        if record.status_code is not None:
            if record.body_sha256 != digest or record.operation != operation:
                raise ChannelError(
                    status.HTTP_409_CONFLICT, "idempotency_conflict",
                    _("该渠道请求编号已用于另一请求,请使用新的请求编号。"),
                    request_number=request_number)
            return record.status_code, record.response_body, True
        try:
            http_status, payload = perform()
        except RuleViolation as exc:
            http_status, payload = rule_violation_response(exc)
        except IntegrityError:
            # A database constraint caught what the locked checks should have: answer
            # as a conflict (the service's transaction was rolled back to its savepoint).
            http_status, payload = status.HTTP_409_CONFLICT, error_body(
                "conflict", _("与已有记录冲突,请查询后重试。"))
        record.status_code, record.response_body = http_status, jsonable(payload)
        record.save(update_fields=["status_code", "response_body"])
        return http_status, record.response_body, False
