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
    """The audit log by channel (微信, 支付宝, ...): every write a channel made through the
    API is recorded with its client's service account as the actor, so a channel's events
    are those of the service accounts of its clients (the indexed actor column, in a
    subquery). The choices are the channel kinds, not the registered clients, so listing
    them costs the page no query."""

    title = _("渠道(接口)")
    parameter_name = "channel"

    def lookups(self, request, model_admin):
        return [(kind.value, kind.label) for kind in Channel if kind != Channel.COUNTER]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if self.value() not in dict(self.lookup_choices):
            raise IncorrectLookupParameters(_("筛选条件无效。"))
        accounts = ChannelClient.objects.filter(kind=self.value()).values("service_account_id")
        return queryset.filter(actor_id__in=accounts)


registry.register(subjects=AUDIT_SUBJECTS, list_filters=[ChannelFilter])
