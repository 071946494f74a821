"""OpenAPI description of the signature scheme (drf-spectacular extension)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

from channel_api import signing


class SignatureAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "channel_api.authentication.SignatureAuthentication"
    name = "ChannelSignature"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": signing.HEADER_SIGNATURE,
            "description": (
                "渠道私钥签名 / signature by the channel's private key over "
                "METHOD\\nPATH\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(BODY))\\n, base64; with headers "
                f"{signing.HEADER_CHANNEL}, {signing.HEADER_TIMESTAMP} (±5 min), "
                f"{signing.HEADER_NONCE} (single use). RSA-2048 SHA-256 or Ed25519. "
                "See docs/channel-api.md."
            ),
        }
