"""Custom pages inside the admin site (counter intake, review queue, scan downloads).
Each view is wrapped by `admin.site.admin_view` in families/urls.py (login, staff,
CSRF, no caching); permissions and region scoping are checked here."""
