"""History pages that are read-only and never cross a region.

`SIMPLE_HISTORY_REVERT_DISABLED` only hides the "Revert" button: simple-history's
`history_form_view` still saves the old version on POST for anyone who may *view* the
object, which would let a view-only clerk overwrite a row outside the services. Its
history pages also look objects up without the admin's queryset (`history_view` falls back
to the history rows, `history_form_view` reads the history table directly), so a
region-scoped admin would show another region's history to anyone who edits the id in
the URL.

Every admin with history pages derives from `ReadOnlyHistoryAdmin` instead of
`SimpleHistoryAdmin` (a test walks the admin registry): the version page answers only
GET/HEAD, and both pages answer 404 unless the object is in the admin's (region-scoped)
queryset.

The history list is the project's own template (Chinese headers, China time to the
second, no "None"), and its field changes come from the function the audit app
registers at start-up (`set_changes_formatter`, called in `AuditConfig.ready`): the
same labels, masks and times as the audit log, since accounts sits below audit and
cannot import it.
"""

from collections.abc import Callable, Sequence

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from simple_history.admin import SimpleHistoryAdmin

from accounts.chinatime_text import china_time_text

# history rows of one object (newest first) -> their changes, each a list of
# {"verbose_name", "old", "new"}; set by the audit app (audit.diffs.page_changes).
_changes_formatter: list[Callable[[Sequence], list[list[dict]]]] = []


def set_changes_formatter(formatter: Callable[[Sequence], list[list[dict]]]) -> None:
    _changes_formatter[:] = [formatter]


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    object_history_template = "admin/history/object_history.html"
    object_history_list_template = "admin/history/object_history_list.html"

    def set_history_delta_changes(self, request, historical_records, foreign_keys_are_objs=True):
        rows = list(historical_records)
        if not _changes_formatter:
            return super().set_history_delta_changes(request, historical_records,
                                                     foreign_keys_are_objs)
        for row, changes in zip(rows, _changes_formatter[0](rows), strict=True):
            row.field_changes = changes
            row.china_time = china_time_text(row.history_date)
        return None

    def _require_visible(self, request, object_id) -> None:
        try:
            visible = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):
            visible = False
        if not visible:
            raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._require_visible(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            raise PermissionDenied
        self._require_visible(request, object_id)
        if not str(version_id).isdigit():
            raise Http404
        return super().history_form_view(request, object_id, version_id, extra_context)
