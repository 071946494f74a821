"""Channel-side facts handed to binding_apply / copay_apply by an online channel."""

import datetime
from dataclasses import dataclass


@dataclass(frozen=True)
class ChannelEvidence:
    """The channel's request number and its face-verification reference and time."""

    request_number: str
    face_verification_ref: str = ""
    face_verified_at: datetime.datetime | None = None

    def fields(self) -> dict:
        return {
            "channel_request_number": self.request_number,
            "face_verification_ref": self.face_verification_ref,
            "face_verified_at": self.face_verified_at,
        }
