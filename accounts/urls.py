from django.contrib import admin
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path(
        "persons/<int:pk>/reveal/",
        admin.site.admin_view(views.reveal_person),
        name="reveal_person",
    ),
]
