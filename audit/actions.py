"""Action codes of the audit log. The audit app owns the generic ones (row created /
changed / deleted, sign-in, access); each domain app registers its own codes with
their labels (`<app>/audit.py`, `audit.registry.register(actions=...)`). Codes never
change (exports, filters and batch jobs rely on them); labels are translatable. An
unknown code is stored as is and shown raw."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit import registry


class AuditAction(models.TextChoices):
    CREATED = "created", _("新增")
    CHANGED = "changed", _("修改")
    DELETED = "deleted", _("删除")
    LOGIN = "login", _("登录")
    LOGIN_FAILED = "login_failed", _("登录失败")
    LOCKED_OUT = "locked_out", _("账号锁定")
    UNLOCK = "unlock", _("解除锁定")
    LOGOUT = "logout", _("退出")
    REVEAL_IDENTITY = "reveal_identity", _("显示完整证件号")
    SCAN_DOWNLOAD = "scan_download", _("下载扫描件")
    SCAN_VIEW = "scan_view", _("查看扫描件")
    EXPORT = "export", _("导出")
    PRINT_RECEIPT = "print_receipt", _("打印回执")


def action_choices() -> list[tuple[str, str]]:
    """Every known action: the generic ones, then the registered ones."""
    return [*AuditAction.choices, *registry.ACTION_LABELS.items()]


def action_label(code: str) -> str:
    """Chinese label of an action code; an unknown code is shown as is."""
    try:
        return str(AuditAction(code).label)
    except ValueError:
        label = registry.ACTION_LABELS.get(code)
        return str(label) if label is not None else code


def is_declared(code: str) -> bool:
    """A generic action or one a domain app registered."""
    return code in AuditAction.values or code in registry.ACTION_LABELS
