"""Search that uses indexes: an ID number matches exactly (after normalization), a name
matches by prefix. Never `LIKE '%...%'` over the registry."""

import re

from django.db.models import Q

from families.idnumbers import normalize_id_number, normalize_name

_ID_LIKE = re.compile(r"^[0-9A-Za-z]{6,32}$")


def person_search_q(term: str, prefix: str = "") -> Q | None:
    term = (term or "").strip()
    if not term:
        return None
    number = normalize_id_number(term)
    if _ID_LIKE.match(number) and any(ch.isdigit() for ch in number):
        return Q(**{f"{prefix}id_number": number})
    return Q(**{f"{prefix}name__startswith": normalize_name(term)})


class PersonSearchMixin:
    """ModelAdmin mixin: `person_search_paths` lists the person relations to search
    ("" for the Person admin itself, or "holder__", "member__")."""

    person_search_paths: tuple[str, ...] = ("",)
    search_help_text = "输入完整证件号码精确查找,或输入姓名前几个字。"

    def get_search_fields(self, request):
        return ["__person__"]  # makes the admin show the search box

    def get_search_results(self, request, queryset, search_term):
        query = None
        for path in self.person_search_paths:
            q = person_search_q(search_term, path)
            if q is not None:
                query = q if query is None else query | q
        if query is None:
            return queryset, False
        return queryset.filter(query), False
