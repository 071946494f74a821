"""Test helpers: the client kit (scripts/channel_client.py) and a registered channel."""

import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from django.utils import timezone

from tests import factories as f

_KIT_PATH = Path(__file__).resolve().parents[2] / "scripts" / "channel_client.py"
_spec = importlib.util.spec_from_file_location("channel_client", _KIT_PATH)
channel_client = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(channel_client)

API = "/api/channels/v1"


@dataclass
class Channel:
    client: object  # channel_api.models.ChannelClient
    signer: object  # channel_client.Signer
    private_pem: str

    def post(self, http, path: str, payload=None, *, body: bytes | None = None,
             sign_path: str | None = None, sign_body: bytes | None = None, **header_kw):
        """POST through Django's test client, signed by the kit; `sign_*` sign something
        else than what is sent (tampering tests)."""
        url = API + path
        raw = body if body is not None else channel_client.encode_body(
            payload if payload is not None else {})
        headers = self.signer.headers("POST", sign_path or url,
                                      sign_body if sign_body is not None else raw, **header_kw)
        return http.generic("POST", url, raw, content_type="application/json",
                            headers={k: v for k, v in headers.items() if k != "Content-Type"})


def register(code: str = "wechat-01", kind: str = "wechat", algorithm: str = "ed25519",
             rate_limit: int = 1000, **kw) -> Channel:
    from channel_api.services import channel_client_register

    private_pem, public_pem = channel_client.generate_key(algorithm)
    client = channel_client_register(
        actor=None, code=code, name=f"测试渠道{code}", kind=kind, reason="测试数据",
        rate_limit=rate_limit, public_key_pem=public_pem, algorithm=algorithm, **kw)
    return Channel(client, channel_client.Signer(code, private_pem), private_pem)


def ref(person, name: str | None = None) -> dict:
    return {"id_type": person.id_type, "id_number": person.id_number,
            "name": name or person.name}


def face(number: str = "REQ-1", **extra) -> dict:
    return {"request_number": number, "face_verification_ref": f"FACE-{number}",
            "face_verified_at": timezone.now().isoformat(), **extra}


def binding_payload(holder, member, number: str = "REQ-1", relationship: str = "parent",
                    **extra) -> dict:
    return {"holder": ref(holder), "member": ref(member), "relationship": relationship,
            **face(number), **extra}


def adult_pair():
    """A holder and his (adult) parent, both insured in 110100 with status normal."""
    import datetime

    holder = f.person(birth=datetime.date(1985, 5, 5))
    member = f.person(birth=datetime.date(1955, 3, 3))
    return holder, member


def body(response) -> dict:
    return json.loads(response.content)
