"""The reveal page (显示完整证件号), mounted under /admin/audit/ (config/urls.py) as
before the audit app existed, so bookmarked links keep working."""

from django.contrib import admin
from django.urls import path

from families.views import reveal

app_name = "reveal"

urlpatterns = [
    path(
        "persons/<int:pk>/reveal/",
        admin.site.admin_view(reveal.reveal_person),
        name="reveal_person",
    ),
]
