"""Channel clients: registered and changed by system administrators only (role
permissions), every change with a reason in the audit log. Public keys are added inline
(at most two active: rotation); private keys never reach this system."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_mixins import ChangeReasonAdminMixin
from accounts.history_admin import ReadOnlyHistoryAdmin
from channel_api import signing
from channel_api.models import ChannelClient, ChannelKey
from channel_api.services import MAX_ACTIVE_KEYS, service_account_for


class ChannelKeyForm(forms.ModelForm):
    class Meta:
        model = ChannelKey
        fields = ["algorithm", "public_key_pem", "active"]

    def clean(self):
        data = super().clean()
        if data.get("public_key_pem") and data.get("algorithm"):
            try:
                signing.load_public_key(data["public_key_pem"], data["algorithm"])
            except signing.InvalidPublicKey as exc:
                raise forms.ValidationError(_("公钥无效:%(error)s"), params={"error": exc},
                                            code="invalid_public_key") from exc
        return data


class ChannelKeyFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        active = sum(
            1 for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("active"))
        if active > MAX_ACTIVE_KEYS:
            raise forms.ValidationError(
                _("每个渠道最多同时有 %(limit)s 个有效公钥,请先停用旧公钥。"),
                params={"limit": MAX_ACTIVE_KEYS}, code="too_many_keys")


class ChannelKeyInline(admin.TabularInline):
    model = ChannelKey
    form = ChannelKeyForm
    formset = ChannelKeyFormSet
    extra = 0
    can_delete = False
    readonly_fields = ["created_at"]


@admin.register(ChannelClient)
class ChannelClientAdmin(ChangeReasonAdminMixin, ReadOnlyHistoryAdmin):
    list_display = ["code", "name", "kind", "enabled", "rate_limit", "rate_window_seconds",
                    "created_at"]
    list_filter = ["kind", "enabled"]
    search_fields = ["code", "name"]
    fields = ["code", "name", "kind", "enabled", "rate_limit", "rate_window_seconds",
              "service_account", "change_reason"]
    readonly_fields = ["service_account"]
    inlines = [ChannelKeyInline]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "code"] if obj is not None else self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        if not change:
            obj.service_account = service_account_for(
                obj.code, actor=request.user, reason=form.cleaned_data["change_reason"])
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for instance in formset.save(commit=False):
            instance._history_user = request.user
            instance._change_reason = form.cleaned_data["change_reason"]
            instance._audit_action = "changed" if instance.pk else "created"
            instance.save()
        formset.save_m2m()
