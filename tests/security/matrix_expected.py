"""The expected outcome of every guarded URL for every role (tests/security/test_matrix.py).

Roles, in this order: anon, clerk, supervisor, sysadmin, other_clerk, other_supervisor.
Outcomes: 200/403/404/405 are status codes; LOGIN is a redirect to the login page, INDEX
a redirect to the admin index, REDIRECT another redirect (the legacy `<id>/` URL)."""

LOGIN, INDEX, REDIRECT = "login", "index", "redirect"
APP_LABELS = ("auth", "axes", "accounts", "audit", "families", "settlements", "channel_api")

# Roles, in this order: anon, clerk, supervisor, sysadmin, other_clerk, other_supervisor.
_ADMIN_DENIED = (LOGIN, 403, 403, 403, 403, 403)

# Read-only, region-scoped domain admins (view for clerks and supervisors in their region).


def _scoped_readonly(clerk_sees=True, sysadmin_sees=False, supervisor_sees=True):
    view = 200
    other = INDEX  # view permission, object outside the region
    c = view if clerk_sees else 403
    s = view if supervisor_sees else 403
    a = view if sysadmin_sees else 403
    oc = other if clerk_sees else 403
    os_ = other if supervisor_sees else 403
    return {
        "changelist": (LOGIN, c, s, a, c, s),
        "add": (LOGIN, 403, 403, 403, 403, 403),
        "change": (LOGIN, c, s, a, oc, os_),
        "delete": (LOGIN, 403, 403, 403, 403, 403),
        # Django's history page looks the object up before checking permissions
        "history": (LOGIN, c, s, a, INDEX, INDEX),
    }


EXPECTED: dict[str, tuple] = {
    # --- site-level pages
    "admin:index": (LOGIN, 200, 200, 200, 200, 200),
    "admin:login": (200, INDEX, INDEX, INDEX, INDEX, INDEX),
    "admin:logout": (INDEX, 405, 405, 405, 405, 405),  # POST only (CSRF-protected)
    "admin:password_change": (LOGIN, 200, 200, 200, 200, 200),
    "admin:password_change_done": (LOGIN, 200, 200, 200, 200, 200),
    "admin:autocomplete": (LOGIN, 403, 403, 403, 403, 403),
    "admin:jsi18n": (LOGIN, 200, 200, 200, 200, 200),
    "admin:view_on_site": (LOGIN, 404, 404, 404, 404, 404),
    "admin:app_list:auth": (LOGIN, 404, 404, 200, 404, 404),
    "admin:app_list:axes": (LOGIN, 404, 200, 200, 404, 200),
    "admin:app_list:accounts": (LOGIN, 200, 200, 200, 200, 200),
    "admin:app_list:audit": (LOGIN, 404, 200, 200, 404, 200),
    "admin:app_list:families": (LOGIN, 200, 200, 200, 200, 200),
    "admin:app_list:settlements": (LOGIN, 404, 200, 200, 404, 200),
    "admin:app_list:channel_api": (LOGIN, 404, 404, 200, 404, 404),
    # the application's admin page forwards to its counter page (same region only)
    "admin:families_counterapplication_change": (LOGIN, REDIRECT, REDIRECT, REDIRECT, 404, 404),
    "admin:(?P<url>.*)$": (LOGIN, 404, 404, 404, 404, 404),
    # --- counter pages (窗口受理) and the reveal page
    "counter:intake": (LOGIN, 200, 200, 403, 200, 200),
    "counter:commitment": (LOGIN, 405, 405, 403, 405, 405),  # POST only
    "counter:queue": (LOGIN, 403, 200, 403, 403, 200),
    # 监管看板: supervisors (their region) and system administrators (any region)
    "counter:dashboard": (LOGIN, 403, 200, 200, 403, 200),
    "counter:lookup": (LOGIN, 200, 200, 403, 200, 200),
    "counter:detail": (LOGIN, 200, 200, 403, 404, 404),
    "counter:receipt": (LOGIN, 200, 200, 403, 404, 404),
    "counter:review": (LOGIN, 403, 200, 403, 403, 404),
    "counter:withdraw": (LOGIN, 200, 200, 403, 404, 404),
    "counter:scan": (LOGIN, 200, 200, 403, 404, 404),
    # 批量处理: supervisors of the job's region and sysadmins
    "counter:batch": (LOGIN, 403, 200, 200, 403, 200),
    "counter:batch_job": (LOGIN, 403, 200, 200, 403, 404),
    "counter:batch_confirm": (LOGIN, 405, 405, 405, 405, 405),  # POST only
    "counter:batch_progress": (LOGIN, 403, 200, 200, 403, 404),
    "counter:batch_report": (LOGIN, 403, 404, 404, 403, 404),  # no report before the end
    "reveal:reveal_person": (LOGIN, 200, 200, 403, 404, 404),
    # --- audit log (supervisors and sysadmins; sysadmins see every region)
    "admin:audit_auditevent_changelist": (LOGIN, 403, 200, 200, 403, 200),
    "admin:audit_auditevent_export": (LOGIN, 403, 200, 200, 403, 200),
    "admin:audit_auditevent_add": _ADMIN_DENIED,
    "admin:audit_auditevent_change": (LOGIN, 403, 200, 200, 404, 404),
    "admin:audit_auditevent_delete": _ADMIN_DENIED,
    "admin:audit_auditevent_history": (LOGIN, 403, 200, 200, INDEX, INDEX),
    # --- reference data: regions (everybody reads, sysadmin edits), halls, staff, groups
    "admin:accounts_region_changelist": (LOGIN, 200, 200, 200, 200, 200),
    "admin:accounts_region_add": (LOGIN, 403, 403, 200, 403, 403),
    "admin:accounts_region_change": (LOGIN, 200, 200, 200, 200, 200),
    "admin:accounts_region_delete": _ADMIN_DENIED,
    "admin:accounts_region_history": (LOGIN, 200, 200, 200, 200, 200),
    "admin:accounts_region_simple_history": (LOGIN, 200, 200, 200, 200, 200),
    "admin:accounts_servicehall_changelist": (LOGIN, 200, 200, 200, 200, 200),
    "admin:accounts_servicehall_add": (LOGIN, 403, 403, 200, 403, 403),
    "admin:accounts_servicehall_change": (LOGIN, 200, 200, 200, INDEX, INDEX),
    "admin:accounts_servicehall_delete": _ADMIN_DENIED,
    "admin:accounts_servicehall_history": (LOGIN, 200, 200, 200, 404, 404),
    "admin:accounts_servicehall_simple_history": (LOGIN, 200, 200, 200, 404, 404),
    "admin:accounts_user_changelist": (LOGIN, 403, 200, 200, 403, 200),
    "admin:accounts_user_add": (LOGIN, 403, 403, 200, 403, 403),
    "admin:accounts_user_change": (LOGIN, 403, 200, 200, 403, INDEX),
    "admin:accounts_user_delete": _ADMIN_DENIED,
    "admin:accounts_user_history": (LOGIN, 403, 200, 200, 404, 404),
    "admin:accounts_user_simple_history": (LOGIN, 403, 200, 200, 404, 404),
    "admin:auth_user_password_change": (LOGIN, 403, 403, 200, 403, 403),
    "admin:auth_group_changelist": (LOGIN, 403, 403, 200, 403, 403),
    "admin:auth_group_add": _ADMIN_DENIED,
    "admin:auth_group_change": (LOGIN, 403, 403, 200, 403, 403),
    "admin:auth_group_delete": _ADMIN_DENIED,
    "admin:auth_group_history": (LOGIN, 403, 403, 200, 403, 403),
    # --- sign-in records (django-axes): locks are lifted by supervisors / sysadmins
    "admin:axes_accessattempt_changelist": (LOGIN, 403, 200, 200, 403, 200),
    "admin:axes_accessattempt_add": _ADMIN_DENIED,
    "admin:axes_accessattempt_change": (LOGIN, 403, 200, 200, 403, INDEX),
    "admin:axes_accessattempt_delete": (LOGIN, 403, 200, 200, 403, INDEX),
    "admin:axes_accessattempt_history": (LOGIN, 403, 200, 200, INDEX, INDEX),
    "admin:axes_accesslog_changelist": _ADMIN_DENIED,
    "admin:axes_accesslog_add": _ADMIN_DENIED,
    "admin:axes_accesslog_change": _ADMIN_DENIED,
    "admin:axes_accesslog_delete": _ADMIN_DENIED,
    "admin:axes_accesslog_history": _ADMIN_DENIED,
    "admin:axes_accessfailurelog_changelist": _ADMIN_DENIED,
    "admin:axes_accessfailurelog_add": _ADMIN_DENIED,
    "admin:axes_accessfailurelog_change": _ADMIN_DENIED,
    "admin:axes_accessfailurelog_delete": _ADMIN_DENIED,
    "admin:axes_accessfailurelog_history": _ADMIN_DENIED,
    # --- region policy: everybody of the region reads, sysadmin edits, nobody deletes
    "admin:families_regionpolicy_changelist": (LOGIN, 200, 200, 200, 200, 200),
    "admin:families_regionpolicy_add": (LOGIN, 403, 403, 200, 403, 403),
    "admin:families_regionpolicy_change": (LOGIN, 200, 200, 200, INDEX, INDEX),
    "admin:families_regionpolicy_delete": _ADMIN_DENIED,
    "admin:families_regionpolicy_history": (LOGIN, 200, 200, 200, 404, 404),
    "admin:families_regionpolicy_simple_history": (LOGIN, 200, 200, 200, 404, 404),
    # --- settlements: supervisors of the region only; the statement export is audited
    "admin:settlements_personalaccount_history": (LOGIN, 403, 200, 200, 404, 404),
    "admin:settlements_settlement_history": (LOGIN, 403, 200, 403, 404, 404),
    "admin:settlements_personalaccount_statement": (LOGIN, 403, 200, 403, 403, 404),
    "admin:settlements_personalaccount_simple_history": (LOGIN, 403, 200, 200, 404, 404),
    "admin:settlements_settlement_simple_history": (LOGIN, 403, 200, 403, 404, 404),
    # --- legacy `<id>/` URLs redirect to the change page (which applies the rules above)
    **{f"admin:{app}/{model}/<path:object_id>/": (LOGIN, *[REDIRECT] * 5)
       for app, model in (
           ("auth", "group"), ("axes", "accesslog"), ("axes", "accessfailurelog"),
           ("audit", "auditevent"), ("accounts", "region"), ("accounts", "servicehall"),
           ("accounts", "user"), ("axes", "accessattempt"), ("families", "binding"),
           ("families", "copayauthorization"), ("families", "counterapplication"),
           ("families", "person"), ("families", "regionpolicy"), ("families", "kinshipproof"),
           ("settlements", "personalaccount"), ("settlements", "ledgerentry"),
           ("settlements", "settlement"), ("channel_api", "channelclient"),
           ("families", "calendaroverride"),
       )},
    # --- channel clients of the API: system administrators only
    "admin:channel_api_channelclient_changelist": (LOGIN, 403, 403, 200, 403, 403),
    "admin:channel_api_channelclient_add": (LOGIN, 403, 403, 200, 403, 403),
    "admin:channel_api_channelclient_change": (LOGIN, 403, 403, 200, 403, 403),
    "admin:channel_api_channelclient_delete": _ADMIN_DENIED,
    "admin:channel_api_channelclient_history": (LOGIN, 403, 403, 200, 403, 403),
    "admin:channel_api_channelclient_simple_history": (LOGIN, 403, 403, 200, 403, 403),
    # --- working-day calendar overrides: system administrators only, never deleted
    "admin:families_calendaroverride_changelist": (LOGIN, 403, 403, 200, 403, 403),
    "admin:families_calendaroverride_add": (LOGIN, 403, 403, 200, 403, 403),
    "admin:families_calendaroverride_change": (LOGIN, 403, 403, 200, 403, 403),
    "admin:families_calendaroverride_delete": _ADMIN_DENIED,
    "admin:families_calendaroverride_history": (LOGIN, 403, 403, 200, 403, 403),
    "admin:families_binding_simple_history": (LOGIN, 200, 200, 403, 404, 404),
    "admin:families_binding_history": (LOGIN, 200, 200, 403, 404, 404),
    "admin:families_copayauthorization_history": (LOGIN, 200, 200, 403, 404, 404),
    "admin:families_copayauthorization_simple_history": (LOGIN, 200, 200, 403, 404, 404),
}
for _model, _spec in {
    "families_person": _scoped_readonly(),
    "families_binding": _scoped_readonly(),
    "families_copayauthorization": _scoped_readonly(),
    "families_counterapplication": _scoped_readonly(),
    "families_kinshipproof": _scoped_readonly(),
    "settlements_personalaccount": _scoped_readonly(clerk_sees=False, sysadmin_sees=True),
    "settlements_ledgerentry": _scoped_readonly(clerk_sees=False, sysadmin_sees=True),
    "settlements_settlement": _scoped_readonly(clerk_sees=False),
}.items():
    for _view, _outcome in _spec.items():
        EXPECTED.setdefault(f"admin:{_model}_{_view}", _outcome)
