"""Staff roles (groups) and the exact permission set each one needs.

ROLE_PERMISSIONS is the single source of truth. The groups are created by a data
migration; their permissions are synced after every migrate (permissions of new models
only exist after post_migrate), so a role never silently misses a new model.
"""

from django.utils.translation import gettext_lazy as _

CLERK = "窗口经办员"
SUPERVISOR = "审核员"
SYSADMIN = "系统管理员"

ROLE_LABELS = {CLERK: _("窗口经办员"), SUPERVISOR: _("审核员"), SYSADMIN: _("系统管理员")}

_CLERK = {
    "families.view_person",
    "families.view_binding",
    "families.view_kinshipproof",
    "families.add_kinshipproof",
    "families.view_proofscan",
    "families.view_regionpolicy",
    "families.view_copayauthorization",
    "families.view_counterapplication",
    "families.add_counterapplication",
    "families.reveal_person_identity",
    "families.record_filing_copayauthorization",
    "accounts.view_region",
    "accounts.view_servicehall",
}
_SUPERVISOR = _CLERK | {
    "families.review_counterapplication",
    "families.view_dashboard",
    "families.unbind_binding",
    "families.revoke_copayauthorization",
    "families.view_batchjob",
    "families.run_batchjob",
    "accounts.view_user",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "audit.view_auditevent",
    "audit.export_auditevent",
    "settlements.view_personalaccount",
    "settlements.view_ledgerentry",
    "settlements.view_settlement",
    "settlements.view_settlementline",
    "settlements.reverse_settlement",
    "settlements.finalize_settlement",
    "settlements.export_statement",
}
_SYSADMIN = {
    "accounts.view_user",
    "accounts.add_user",
    "accounts.change_user",
    "accounts.view_region",
    "accounts.add_region",
    "accounts.change_region",
    "accounts.view_servicehall",
    "accounts.add_servicehall",
    "accounts.change_servicehall",
    "accounts.view_all_regions",
    "auth.view_group",
    "families.view_regionpolicy",
    "families.add_regionpolicy",
    "settlements.view_personalaccount",
    "settlements.view_ledgerentry",
    "settlements.change_personalaccount",
    "families.change_regionpolicy",
    "families.view_calendaroverride",
    "families.view_dashboard",
    "families.add_calendaroverride",
    "families.change_calendaroverride",
    "families.view_batchjob",
    "families.run_batchjob",
    "axes.view_accessattempt",
    "axes.delete_accessattempt",
    "audit.view_auditevent",
    "audit.export_auditevent",
    # Channel partners of the API (channel_api): registered by system administrators only.
    "channel_api.view_channelclient",
    "channel_api.add_channelclient",
    "channel_api.change_channelclient",
    "channel_api.view_channelkey",
    "channel_api.add_channelkey",
    "channel_api.change_channelkey",
}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    CLERK: _CLERK,
    SUPERVISOR: _SUPERVISOR,
    SYSADMIN: _SYSADMIN,
}


def sync_role_permissions(sender=None, **kwargs) -> None:
    """Give each role group exactly its permissions. Runs after each app's migrate
    (idempotent), so the last run sees every app's permissions."""
    from django.contrib.auth.models import Group, Permission

    by_key = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for name, wanted in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set([by_key[k] for k in sorted(wanted) if k in by_key])
