"""History pages are read-only in every admin.

`SIMPLE_HISTORY_REVERT_DISABLED` only hides the "Revert" button: simple-history's
`history_form_view` still saves the old version on POST for anyone who may *view* the
object, which would let a view-only clerk overwrite a row outside the services.
`install_history_form_guard` (called from accounts.apps) makes that view refuse every
method but GET/HEAD, for all SimpleHistoryAdmin subclasses, including later apps'.
"""

import functools

from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin

_GUARD_FLAG = "_accounts_read_only_guard"


def install_history_form_guard() -> None:
    original = SimpleHistoryAdmin.history_form_view
    if getattr(original, _GUARD_FLAG, False):
        return

    @functools.wraps(original)
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        return original(self, request, object_id, version_id, extra_context)

    setattr(history_form_view, _GUARD_FLAG, True)
    SimpleHistoryAdmin.history_form_view = history_form_view
