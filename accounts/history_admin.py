"""History pages are read-only in every admin and never cross a region.

`SIMPLE_HISTORY_REVERT_DISABLED` only hides the "Revert" button: simple-history's
`history_form_view` still saves the old version on POST for anyone who may *view* the
object, which would let a view-only clerk overwrite a row outside the services.
simple-history's history pages also look objects up without the admin's queryset:
`history_view` falls back to the history rows when the object is not in
`get_queryset()` (meant for deleted objects) and `history_form_view` reads the history
table directly, so a region-scoped admin would show another region's history to anyone
who changes the id in the URL.

`install_history_form_guard` (called from accounts.apps) patches both views, for all
SimpleHistoryAdmin subclasses, including later apps': only GET/HEAD on the version
page, and both pages answer 404 unless the object is in the admin's (region-scoped)
queryset. Nothing is ever deleted here, so no history of a deleted object is lost.
"""

import functools

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

_GUARD_FLAG = "_accounts_read_only_guard"


def _require_visible(model_admin, request, object_id) -> None:
    try:
        visible = model_admin.get_queryset(request).filter(pk=unquote(object_id)).exists()
    except (ValueError, ValidationError):
        visible = False
    if not visible:
        raise Http404


def install_history_form_guard() -> None:
    original_form = SimpleHistoryAdmin.history_form_view
    if getattr(original_form, _GUARD_FLAG, False):
        return
    original_list = SimpleHistoryAdmin.history_view

    @functools.wraps(original_form)
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        _require_visible(self, request, object_id)
        return original_form(self, request, object_id, version_id, extra_context)

    @functools.wraps(original_list)
    def history_view(self, request, object_id, extra_context=None):
        _require_visible(self, request, object_id)
        return original_list(self, request, object_id, extra_context)

    setattr(history_form_view, _GUARD_FLAG, True)
    SimpleHistoryAdmin.history_form_view = history_form_view
    SimpleHistoryAdmin.history_view = history_view
