"""Search that uses indexes: an ID number matches exactly (after normalization), a name
matches by prefix (LIKE 'x%', served by a varchar_pattern_ops index). Never
`LIKE '%...%'` over the registry.

Admins of links (bindings, co-pay, proofs, ledger) search the persons first and filter
their own rows by the persons' ids (`holder_id IN (...) OR member_id IN (...)`, one
index scan per side). Joining both person relations and OR-ing conditions on the joined
tables instead would make PostgreSQL read the whole link table.
"""

import re

from django.apps import apps
from django.db.models import Q

from families.idnumbers import normalize_id_number, normalize_name

_ID_LIKE = re.compile(r"^[0-9A-Za-z]{6,32}$")
# A name prefix that matches more persons than this is searched with a join instead
# (correct, slower); typing two characters of a name is usually far below it.
MAX_PERSON_IDS = 1000


def person_search_q(term: str, prefix: str = "") -> Q | None:
    term = (term or "").strip()
    if not term:
        return None
    number = normalize_id_number(term)
    if _ID_LIKE.match(number) and any(ch.isdigit() for ch in number):
        return Q(**{f"{prefix}id_number": number})
    return Q(**{f"{prefix}name__startswith": normalize_name(term)})


def matching_person_ids(term: str, limit: int = MAX_PERSON_IDS) -> list[int] | None:
    """Ids of the persons a search term finds (ID number or name prefix), or None when
    more than `limit` match."""
    q = person_search_q(term)
    if q is None:
        return []
    person = apps.get_model("families", "Person")
    ids = list(person.objects.filter(q).order_by().values_list("pk", flat=True)[: limit + 1])
    return None if len(ids) > limit else ids


class PersonSearchMixin:
    """ModelAdmin mixin: `person_search_paths` lists the person relations to search
    ("" for the Person admin itself, or "holder__", "member__")."""

    person_search_paths: tuple[str, ...] = ("",)
    search_help_text = "输入完整证件号码精确查找,或输入姓名前几个字。"

    def get_search_fields(self, request):
        return ["__person__"]  # makes the admin show the search box

    def get_search_results(self, request, queryset, search_term):
        if not (search_term or "").strip():
            return queryset, False
        ids = None if self.person_search_paths == ("",) else matching_person_ids(search_term)
        query = None
        for path in self.person_search_paths:
            if ids is not None:
                q = Q(**{f"{path}in": ids}) if ids else None
            else:
                q = person_search_q(search_term, path)
            if q is not None:
                query = q if query is None else query | q
        if query is None:
            return queryset.none(), False
        return queryset.filter(query), False
