from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """Demo seeding (`make demo` -> `manage.py seed_demo`): above every app it seeds."""

    name = "demo"
    verbose_name = _("演示数据")
