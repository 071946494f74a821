"""What channel_api's audit events concern (see audit.registry)."""

from audit import registry
from audit.registry import AuditSubject

AUDIT_SUBJECTS: dict[str, AuditSubject] = {
    "channel_api.ChannelClient": AuditSubject(),
    "channel_api.ChannelKey": AuditSubject(),
}

registry.register(subjects=AUDIT_SUBJECTS)
