"""Reference client for the channel API (/api/channels/v1/): what a channel's engineers
start from. Needs only the standard library and `cryptography`.

Signing (docs/channel-api.md): the channel signs, with its private key, the UTF-8 bytes of

    METHOD "\\n" PATH_WITH_QUERY "\\n" TIMESTAMP "\\n" NONCE "\\n" hex(SHA-256(BODY)) "\\n"

(RSA-2048 PKCS#1 v1.5 with SHA-256, or Ed25519) and sends

    X-Channel-Id: <channel code>     X-Timestamp: <unix seconds>
    X-Nonce: <8-64 of [A-Za-z0-9_-], never reused>
    X-Signature: <base64 signature>  Content-Type: application/json

Usage:
    python scripts/channel_client.py keygen --algorithm ed25519 --out var/wechat
        # writes var/wechat.key (private, keep it) and var/wechat.pub (register in admin)
    python scripts/channel_client.py call --base-url http://127.0.0.1:8000 \\
        --channel wechat-01 --key var/wechat.key /api/channels/v1/ping/ '{}'

In Python:
    client = ChannelClient("http://127.0.0.1:8000", "wechat-01", open("var/wechat.key").read())
    status, body, headers = client.post("/api/channels/v1/bindings/eligibility/", {...})
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import json
import secrets
import sys
import time
import urllib.parse
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

API_PREFIX = "/api/channels/v1"


def generate_key(algorithm: str = "ed25519") -> tuple[str, str]:
    """A new key pair as (private PEM, public PEM)."""
    if algorithm == "ed25519":
        private = ed25519.Ed25519PrivateKey.generate()
    elif algorithm == "rsa-sha256":
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    else:
        raise ValueError(f"unknown algorithm {algorithm!r}")
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private_pem, public_pem


def encode_body(payload) -> bytes:
    """The exact bytes sent (and hashed): compact UTF-8 JSON."""
    if payload is None:
        return b""
    if isinstance(payload, bytes):
        return payload
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


class Signer:
    """Signs requests with one private key (PEM, RSA or Ed25519)."""

    def __init__(self, channel_id: str, private_key_pem: str) -> None:
        self.channel_id = channel_id
        self.key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)

    def signature(self, message: bytes) -> bytes:
        if isinstance(self.key, rsa.RSAPrivateKey):
            return self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return self.key.sign(message)

    def headers(self, method: str, path: str, body: bytes, *, timestamp: int | None = None,
                nonce: str | None = None) -> dict[str, str]:
        """The signature headers for one request; `path` includes the query string."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        nonce = nonce or secrets.token_urlsafe(18)
        message = (f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n"
                   f"{hashlib.sha256(body).hexdigest()}\n").encode()
        return {
            "X-Channel-Id": self.channel_id,
            "X-Timestamp": str(timestamp),
            "X-Nonce": nonce,
            "X-Signature": base64.b64encode(self.signature(message)).decode(),
            "Content-Type": "application/json",
            "Accept": "application/json",
        }


class ChannelClient:
    """A keep-alive HTTP client that signs every request (one per thread)."""

    def __init__(self, base_url: str, channel_id: str, private_key_pem: str,
                 timeout: float = 30) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port or 80
        self.prefix = parsed.path.rstrip("/")
        self.signer = Signer(channel_id, private_key_pem)
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def post(self, path: str, payload=None) -> tuple[int, dict, dict]:
        """POST `payload` as JSON to `path`; returns (status, JSON body, headers)."""
        body = encode_body(payload if payload is not None else {})
        full_path = self.prefix + path
        headers = self.signer.headers("POST", full_path, body)
        for attempt in (1, 2):  # one retry when a kept-alive connection was closed
            conn = self._connection()
            try:
                conn.request("POST", full_path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.close()
                if attempt == 2:
                    raise
                headers = self.signer.headers("POST", full_path, body)  # fresh nonce
        parsed = json.loads(data) if data else {}
        return response.status, parsed, dict(response.getheaders())

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- the operations (payloads as in the schema at /api/channels/v1/schema/) ----------

    def ping(self):
        return self.post(f"{API_PREFIX}/ping/", {})

    def binding_eligibility(self, payload: dict):
        return self.post(f"{API_PREFIX}/bindings/eligibility/", payload)

    def binding_apply(self, payload: dict):
        return self.post(f"{API_PREFIX}/bindings/", payload)

    def binding_unbind(self, payload: dict):
        return self.post(f"{API_PREFIX}/bindings/unbind/", payload)

    def copay_eligibility(self, payload: dict):
        return self.post(f"{API_PREFIX}/copays/eligibility/", payload)

    def copay_apply(self, payload: dict):
        return self.post(f"{API_PREFIX}/copays/", payload)

    def copay_revoke(self, payload: dict):
        return self.post(f"{API_PREFIX}/copays/revoke/", payload)

    def links(self, payload: dict):
        return self.post(f"{API_PREFIX}/persons/links/", payload)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    keygen = sub.add_parser("keygen", help="write a new key pair (<out>.key, <out>.pub)")
    keygen.add_argument("--algorithm", choices=["ed25519", "rsa-sha256"], default="ed25519")
    keygen.add_argument("--out", required=True)
    call = sub.add_parser("call", help="sign and POST one request, print the answer")
    call.add_argument("--base-url", required=True)
    call.add_argument("--channel", required=True)
    call.add_argument("--key", required=True, help="private key PEM file")
    call.add_argument("path")
    call.add_argument("json", nargs="?", default="{}")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        private_pem, public_pem = generate_key(args.algorithm)
        Path(args.out + ".key").write_text(private_pem)
        Path(args.out + ".pub").write_text(public_pem)
        print(f"{args.out}.key (private), {args.out}.pub (public: register it)")
        return 0
    client = ChannelClient(args.base_url, args.channel, Path(args.key).read_text())
    status, body, _headers = client.post(args.path, json.loads(args.json))
    print(status, json.dumps(body, ensure_ascii=False, indent=2))
    return 0 if status < 400 else 1


if __name__ == "__main__":
    sys.exit(main())
