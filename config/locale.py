"""Chinese first: every page is in 简体中文 unless the staff member chose English.

Django's LocaleMiddleware would follow the browser's Accept-Language, so a counter PC with
an English browser would show an English back-office. Here only an explicit choice (the
language cookie set by Django's `set_language` view at /i18n/setlang/) switches to a
second language; everything else gets settings.LANGUAGE_CODE.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers


class ChineseFirstLocaleMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.available = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in self.available else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response
