"""Request signatures (documented for partners in docs/channel-api.md and implemented
for them in scripts/channel_client.py).

The channel signs, with its private key, the UTF-8 bytes of

    METHOD \n PATH_WITH_QUERY \n TIMESTAMP \n NONCE \n SHA256_HEX(BODY) \n

and sends the headers below. The server verifies against each active public key of the
channel (two during a key rotation)."""

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

HEADER_CHANNEL = "X-Channel-Id"
HEADER_TIMESTAMP = "X-Timestamp"
HEADER_NONCE = "X-Nonce"
HEADER_SIGNATURE = "X-Signature"
AUTH_SCHEME = "YB-SIGNATURE"
WINDOW_SECONDS = 300  # ±5 minutes


def body_sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def message_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    return f"{method.upper()}\n{path}\n{timestamp}\n{nonce}\n{body_sha256(body)}\n".encode()


class InvalidPublicKey(ValueError):
    pass


def load_public_key(pem: str, algorithm: str):
    """The key object for `algorithm`, or InvalidPublicKey (used by the admin form too)."""
    try:
        key = serialization.load_pem_public_key(pem.strip().encode())
    except (ValueError, TypeError, binascii.Error) as exc:
        raise InvalidPublicKey(str(exc)) from exc
    if algorithm == "rsa-sha256":
        if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
            raise InvalidPublicKey("RSA public key of at least 2048 bits expected")
    elif algorithm == "ed25519":
        if not isinstance(key, ed25519.Ed25519PublicKey):
            raise InvalidPublicKey("Ed25519 public key expected")
    else:
        raise InvalidPublicKey(f"unknown algorithm {algorithm!r}")
    return key


def decode_signature(value: str) -> bytes | None:
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return None


def verify(key, algorithm: str, signature: bytes, message: bytes) -> bool:
    try:
        if algorithm == "rsa-sha256":
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        else:
            key.verify(signature, message)
    except InvalidSignature:
        return False
    return True
