from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import RedirectView


class OldAuditLogRedirect(RedirectView):
    """The audit log moved from the accounts app (/admin/accounts/auditevent/...) to the
    audit app: old bookmarks and links land on the same page, query string kept."""

    permanent = True
    query_string = True

    def get_redirect_url(self, *args, **kwargs):
        self.url = "/admin/audit/auditevent/" + kwargs.get("rest", "")
        return super().get_redirect_url()


urlpatterns = [
    path("admin/counter/", include("families.urls")),
    path("admin/audit/", include("families.urls_reveal")),
    re_path(r"^admin/accounts/auditevent/(?P<rest>.*)$", OldAuditLogRedirect.as_view()),
    path("admin/", admin.site.urls),
    path("api/channels/v1/", include("channel_api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]

# Plain Chinese error page without traceback; a database outage becomes 503.
handler500 = "config.errors.server_error"
# JSON for the channel API, Django's plain page elsewhere.
handler400 = "channel_api.errors.bad_request"
