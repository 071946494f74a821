from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from channel_api import views

app_name = "channel_api"

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(),
         name="schema"),
    path("ping/", views.PingView.as_view(), name="ping"),
    path("bindings/eligibility/", views.BindingEligibilityView.as_view(),
         name="binding-eligibility"),
    path("bindings/", views.BindingApplyView.as_view(), name="binding-apply"),
    path("bindings/unbind/", views.BindingUnbindView.as_view(), name="binding-unbind"),
    path("copays/eligibility/", views.CoPayEligibilityView.as_view(), name="copay-eligibility"),
    path("copays/", views.CoPayApplyView.as_view(), name="copay-apply"),
    path("copays/revoke/", views.CoPayRevokeView.as_view(), name="copay-revoke"),
    path("persons/links/", views.LinksView.as_view(), name="links"),
]
