"""The one date-range filter of every admin list: two date inputs, China calendar days
(Asia/Shanghai, whatever the active time zone), both ends inclusive, as an indexed range
on one datetime column. An invalid date or a start after the end is an invalid filter
(the admin's "invalid filter" page), never a server error."""

import datetime

from django import forms
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.utils.translation import gettext_lazy as _

from accounts.chinatime import china_midnight


class DateRangeForm(forms.Form):
    date_from = forms.DateField(label=_("起始日期"), required=False)
    date_to = forms.DateField(label=_("截止日期"), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data


class ChinaDateRangeFilter(admin.ListFilter):
    """Subclass with `title` and `field_name` (the datetime column filtered)."""

    field_name = ""
    template = "admin/date_range_filter.html"
    parameters = ("date_from", "date_to")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.values = {}
        for name in self.parameters:
            if name in params:
                value = params.pop(name)
                self.values[name] = value[-1] if isinstance(value, list) else value
        self.values = {k: v for k, v in self.values.items() if v.strip()}
        self.form = DateRangeForm(self.values or None)
        self.other_params = {
            k: v for k, v in request.GET.items() if k not in self.parameters and k != "p"
        }

    def has_output(self) -> bool:
        return True

    def expected_parameters(self):
        return list(self.parameters)

    def range(self) -> tuple[datetime.date | None, datetime.date | None]:
        if not self.values:
            return None, None
        if not self.form.is_valid():
            raise IncorrectLookupParameters(self.form.errors.as_text())
        return self.form.cleaned_data.get("date_from"), self.form.cleaned_data.get("date_to")

    def queryset(self, request, queryset):
        start, end = self.range()
        if start:
            queryset = queryset.filter(**{f"{self.field_name}__gte": china_midnight(start)})
        if end and end < datetime.date.max:  # 9999-12-31 means "no end" (no overflow)
            end_moment = china_midnight(end + datetime.timedelta(days=1))
            queryset = queryset.filter(**{f"{self.field_name}__lt": end_moment})
        return queryset

    def choices(self, changelist):
        yield {
            "form": self.form,
            "other_params": self.other_params,
            "clear_url": changelist.get_query_string(remove=self.parameters),
        }
