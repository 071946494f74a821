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
