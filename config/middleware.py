"""Project middleware: the Content-Security-Policy that follows each response's framing
policy."""

from csp.middleware import CSPMiddleware, PolicyParts
from django.core.exceptions import BadRequest


class FramingAwareCSPMiddleware(CSPMiddleware):
    """CSP `frame-ancestors` overrides X-Frame-Options in current browsers, so the two
    must agree: 'none' everywhere (X-Frame-Options DENY), 'self' for the responses a
    view marked `@xframe_options_sameorigin` (the scan download the review page embeds).
    Must sit before (outside) XFrameOptionsMiddleware in MIDDLEWARE."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
            parts.replace = {**(parts.replace or {}), "frame-ancestors": ["'self'"]}
        return parts


class HostileInputMiddleware:
    """Requests no form of this application can produce, answered 400 (the plain
    "请求无效" page) before any view runs:

    - a NUL character in a query or form value: PostgreSQL text cannot hold it, so an
      admin search or list filter would fail with DataError (form fields refuse it, list
      filters and searches do not);
    - a tampered admin action (`_selected_action=abc`): Django's admin raises ValueError
      while filtering the queryset; every primary key here is an integer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        values = [v for _k, vs in request.GET.lists() for v in vs]
        if request.method == "POST":
            values += [v for _k, vs in request.POST.lists() for v in vs]
            if request.path.startswith("/admin/") and "_selected_action" in request.POST:
                ids = request.POST.getlist("_selected_action")
                if not all(v.isascii() and v.isdigit() and len(v) < 19 for v in ids):
                    raise BadRequest("invalid _selected_action")
        if any("\x00" in v for v in values):
            raise BadRequest("NUL in a request parameter")
        return self.get_response(request)
