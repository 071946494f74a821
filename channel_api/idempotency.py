"""Idempotent writes by the channel's request number.

The record and the write share one transaction: INSERT ... ON CONFLICT DO NOTHING waits
on a concurrent duplicate's uncommitted row; when the number is taken, SELECT ... FOR
UPDATE reads the first result. A crash between commit and response leaves the stored result for the retry; a
crash before commit leaves nothing, so the retry does the work."""

from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
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
        record_id = _claim(client, request_number, operation, digest)
        if record_id is None:
            record = IdempotencyRecord.objects.select_for_update().get(
                client=client, request_number=request_number)
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
        payload = jsonable(payload)
        _store_result(record_id, http_status, payload)
        return http_status, payload, False


def _store_result(record_id: int, http_status: int, payload: dict) -> None:
    """UPDATE of the claimed record with the answer (a fixed statement: the ORM's
    update() compiled it anew on every write)."""
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    body = IdempotencyRecord._meta.get_field("response_body").get_db_prep_save(
        payload, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET status_code = %s, response_body = %s WHERE id = %s",  # noqa: S608
            [http_status, body, record_id])


def _claim(client: ChannelClient, request_number: str, operation: str,
           digest: str) -> int | None:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: the new record's id, or None when
    the number is taken (after waiting for a concurrent holder of it to commit)."""
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (client_id, request_number, operation, body_sha256, "  # noqa: S608
            "created_at) VALUES (%s, %s, %s, %s, %s) "
            "ON CONFLICT (client_id, request_number) DO NOTHING RETURNING id",
            [client.pk, request_number, operation, digest,
             connection.ops.adapt_datetimefield_value(timezone.now())])
        row = cursor.fetchone()
    return row[0] if row else None
