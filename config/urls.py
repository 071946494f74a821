from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("admin/counter/", include("families.urls")),
    path("admin/audit/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/channels/v1/", include("channel_api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]

# Plain Chinese error page without traceback; a database outage becomes 503.
handler500 = "config.errors.server_error"
# JSON for the channel API, Django's plain page elsewhere.
handler400 = "channel_api.errors.bad_request"
