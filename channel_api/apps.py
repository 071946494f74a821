from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelApiConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "channel_api"
    verbose_name = _("渠道接口")

    def ready(self) -> None:
        from channel_api import schema  # noqa: F401 - registers the OpenAPI extension
