"""The page a locked-out staff member sees (django-axes AXES_LOCKOUT_CALLABLE): Chinese,
how long the lock lasts, who can lift it, and a way back to the sign-in page."""

import math

from axes.helpers import get_cool_off
from django.conf import settings
from django.shortcuts import render


def lockout_response(request, original_response=None, credentials=None):
    cool_off = get_cool_off(request)
    minutes = math.ceil(cool_off.total_seconds() / 60) if cool_off else 0
    username = ((credentials or {}).get("username") if isinstance(credentials, dict)
                else None) or request.POST.get("username", "")
    return render(request, "axes_lockout.html", {
        "username": username[:150], "minutes": minutes,
        "failure_limit": settings.AXES_FAILURE_LIMIT,
    }, status=429)
