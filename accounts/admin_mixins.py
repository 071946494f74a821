"""Admin building blocks shared by the apps' admins."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _


class ChangeReasonForm(forms.ModelForm):
    change_reason = forms.CharField(
        label=_("变更原因"),
        max_length=200,
        help_text=_("必填,记入审计日志。"),
    )


class ChangeReasonAdminMixin:
    """Plain admin edits of reference data must say why: the reason lands in the history
    row next to the user that HistoryRequestMiddleware records."""

    form = ChangeReasonForm

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not self.has_change_permission(request, obj) and obj is not None:
            return fieldsets
        flat = [f for _name, opts in fieldsets for f in opts.get("fields", ())]
        if "change_reason" in flat:
            return fieldsets
        return [*fieldsets, (_("审计"), {"fields": ("change_reason",)})]

    def save_model(self, request, obj, form, change):
        obj._change_reason = form.cleaned_data["change_reason"]
        obj._history_user = request.user
        obj._audit_action = "changed" if change else "created"
        super().save_model(request, obj, form, change)


class ReadOnlyAdminMixin:
    """Domain rows whose state only services change: viewable, never editable here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def masked_id_column(path: str, description):
    """A list column showing the masked ID number of the person at `path` ("holder")."""

    @admin.display(description=description)
    def column(self, obj):
        person = obj
        for part in path.split("."):
            person = getattr(person, part)
        return f"{person.name} {person.masked_id_number}"

    return column
