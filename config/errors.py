"""Error pages: plain Chinese, no traceback, no database access (they must render while
the database is down)."""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader

RETRY_AFTER_SECONDS = 10


def _is_database_outage(exc: BaseException | None) -> bool:
    """Connection lost, server restarting, too many connections: OperationalError or
    InterfaceError (a closed connection), also when wrapped by another exception.
    IntegrityError / DataError are bugs or bad data and stay a 500."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


def server_error(request, template_name: str = "500.html"):
    """handler500: a database outage becomes 503 "系统繁忙,请稍后重试" with Retry-After;
    anything else the plain 500 page. Called inside Django's exception handling, so
    sys.exc_info() is the exception that ended the request."""
    exc = sys.exc_info()[1]
    if _is_database_outage(exc):
        body = loader.get_template("503.html").render()
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(loader.get_template(template_name).render())
