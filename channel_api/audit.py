"""What channel_api's audit events concern and the audit log's "by channel" filter
(see audit.registry; the audit app imports nothing from here)."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext_lazy as _

from audit import registry
from audit.registry import AuditSubject
from channel_api.models import ChannelClient
from families.choices import Channel

AUDIT_SUBJECTS: dict[str, AuditSubject] = {
    "channel_api.ChannelClient": AuditSubject(),
    "channel_api.ChannelKey": AuditSubject(),
}


class ChannelFilter(admin.SimpleListFilter):
    """The audit log by channel: every write a channel made through the API is recorded
    with the channel's service account as the actor, so a channel's events are the
    events of that account (the indexed actor column; one query lists the channels and
    resolves the choice)."""

    title = _("渠道(接口)")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        rows = ChannelClient.objects.order_by("kind", "code").values_list(
            "code", "name", "kind", "service_account_id")
        self._accounts = {code: account for code, _name, _kind, account in rows}
        return [(code, f"{Channel(kind).label} · {name} ({code})")
                for code, name, kind, _account in rows]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        account = self._accounts.get(self.value())
        if account is None:
            raise IncorrectLookupParameters(_("筛选条件无效。"))
        return queryset.filter(actor_id=account)


registry.register(subjects=AUDIT_SUBJECTS, list_filters=[ChannelFilter])
