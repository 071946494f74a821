"""Idempotent writes by the channel's request number.

The write runs first; its answer (a result or a rule's refusal) is then stored under the
number by one INSERT ... ON CONFLICT DO NOTHING in the write's own transaction, so a
retry after a crash between commit and response finds it, and a crash before commit
leaves nothing, so the retry does the work. When the number is already taken (a retry,
or a concurrent duplicate: the INSERT waits until the first holder commits or rolls
back), this transaction is rolled back and the first answer is returned, or
`idempotency_conflict` when the first request was another one. A duplicate thus redoes
the work before it is rolled back; duplicates are rare, and every write saves a round
trip (the number is not claimed ahead and updated after)."""

from collections.abc import Callable

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import status

from accounts.errors import RuleViolation
from channel_api.errors import ChannelError, error_body, jsonable, rule_violation_response
from channel_api.models import ChannelClient, IdempotencyRecord
from channel_api.signing import body_sha256


class _NumberTaken(Exception):
    """Leaves the write's transaction (rolled back) when its number is already taken."""


def run_once(*, client: ChannelClient, request_number: str, operation: str, body: bytes,
             perform: Callable[[], tuple[int, dict]]) -> tuple[int, dict, bool]:
    """(status, body, replayed). `perform` calls one service and returns the success
    response; a RuleViolation it raises is stored and answered like a result."""
    digest = body_sha256(body)
    try:
        with transaction.atomic():
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
            if _store(client, request_number, operation, digest, http_status, payload):
                return http_status, payload, False
            raise _NumberTaken
    except _NumberTaken:
        pass
    record = IdempotencyRecord.objects.get(client=client, request_number=request_number)
    if record.body_sha256 != digest or record.operation != operation:
        raise ChannelError(
            status.HTTP_409_CONFLICT, "idempotency_conflict",
            _("该渠道请求编号已用于另一请求,请使用新的请求编号。"),
            request_number=request_number)
    return record.status_code, record.response_body, True


def _store(client: ChannelClient, request_number: str, operation: str, digest: str,
           http_status: int, payload: dict) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING of the answer under the number (a fixed
    statement: the ORM would compile it anew on every write). False when the number is
    taken, after waiting for a concurrent holder of it to commit."""
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    response_body = IdempotencyRecord._meta.get_field("response_body").get_db_prep_save(
        payload, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (client_id, request_number, operation, body_sha256, "  # noqa: S608
            "status_code, response_body, created_at) VALUES (%s, %s, %s, %s, %s, %s, %s) "
            "ON CONFLICT (client_id, request_number) DO NOTHING RETURNING id",
            [client.pk, request_number, operation, digest, http_status, response_body,
             connection.ops.adapt_datetimefield_value(timezone.now())])
        return cursor.fetchone() is not None
