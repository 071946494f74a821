"""Project middleware: the Content-Security-Policy that follows each response's framing
policy."""

from csp.middleware import CSPMiddleware, PolicyParts


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


class AdminActionIdsMiddleware:
    """A tampered admin action POST (`_selected_action=abc`) makes Django's admin raise
    ValueError while filtering the queryset: a 500. Every primary key here is an integer,
    so such a request is answered 400 (the plain "请求无效" page) before it reaches the
    admin; nothing runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method == "POST" and request.path.startswith("/admin/") and \
                "_selected_action" in request.POST:
            ids = request.POST.getlist("_selected_action")
            if not all(value.isascii() and value.isdigit() and len(value) < 19
                       for value in ids):
                from django.core.exceptions import BadRequest

                raise BadRequest("invalid _selected_action")
        return self.get_response(request)
