"""What channel_api's audit events concern (see accounts.audit.AuditSubject)."""

from accounts.audit import AuditSubject

AUDIT_SUBJECTS: dict[str, AuditSubject] = {
    "channel_api.ChannelClient": AuditSubject(),
    "channel_api.ChannelKey": AuditSubject(),
}
