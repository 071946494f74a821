"""Schema conformance and fuzzing with schemathesis against the generated OpenAPI schema:
a bounded number of examples per operation, every request signed by the client kit; no
5xx, every response (status, headers, body) as the schema documents it."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from tests.channel_api.kit import channel_client, register

MAX_EXAMPLES = 15


class SignedAuth(requests.auth.AuthBase):
    """Signs the exact bytes and path requests is about to send, when the generated case
    carries the security header (negative cases that leave it out stay unsigned)."""

    def __init__(self, signer) -> None:
        self.signer = signer

    def __call__(self, prepared: requests.PreparedRequest) -> requests.PreparedRequest:
        if "X-Signature" not in prepared.headers:
            return prepared
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        prepared.headers.update(
            {k: v for k, v in self.signer.headers(prepared.method, prepared.path_url, body).items()
             if k not in ("Content-Type", "Accept")})
        return prepared


def _generated_schema():
    from drf_spectacular.generators import SchemaGenerator

    return schemathesis.openapi.from_dict(
        _plain(SchemaGenerator().get_schema(request=None, public=True)))


def _plain(value):
    """The generator's output with lazy translation strings as plain str."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# pytest-django has set Django up before collection: the schema is generated in-process,
# exactly what /api/channels/v1/schema/ serves.
schema = _generated_schema()


@pytest.fixture
def signed_session(transactional_db):
    wechat = register(rate_limit=100000)
    session = requests.Session()
    session.auth = SignedAuth(wechat.signer)
    return session


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented_and_never_5xx(case, live_server, signed_session):
    # Schema-valid bodies name persons that are not insured: refusing them (404/422) is
    # the API's job, not a failure of positive data acceptance. Signature refusals have
    # their own tests (test_signature.py): the session signs whatever carries the header.
    case.call_and_validate(base_url=live_server.url, session=signed_session,
                           excluded_checks=[positive_data_acceptance, ignored_auth])


def test_the_schema_is_served_at_a_stable_url_with_both_languages(client):
    response = client.get("/api/channels/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/channels/v1/bindings/" in text
    assert "证件号码" in text and "ID number" in text
    assert channel_client.API_PREFIX == "/api/channels/v1"
