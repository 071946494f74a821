"""Search semantics the indexes serve: an ID number matches exactly (blanks removed,
lowercase x upper-cased), a name by prefix, never by substring; numbers are shown
masked; link admins find a link by either party."""

import datetime

import pytest

from families.admin.search import matching_person_ids, person_search_q
from families.idnumbers import make_resident_id
from families.models import Person
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = "/admin/families/person/"


def _names(client, term: str, url: str = URL) -> list[str]:
    return [str(getattr(row, "name", row)) for row in
            client.get(url, {"q": term}).context["cl"].result_list]


@pytest.fixture
def people():
    x_number = next(
        make_resident_id("110101", datetime.date(1990, 5, d), 7, "M") for d in range(1, 29)
        if make_resident_id("110101", datetime.date(1990, 5, d), 7, "M").endswith("X"))
    with_x = f.person("欧阳修")
    Person.objects.filter(pk=with_x.pk).update(id_number=x_number)
    with_x.refresh_from_db()
    return {"x": with_x, "zhang": f.person("张建国"), "jian": f.person("建国"),
            "zhangwei": f.person("张伟")}


def test_exact_id_number_finds_one_person_and_shows_it_masked(client, people):
    client.force_login(f.clerk())
    person = people["zhang"]
    response = client.get(URL, {"q": person.id_number})
    assert [p.pk for p in response.context["cl"].result_list] == [person.pk]
    page = response.content.decode()
    assert person.masked_id_number in page
    assert person.id_number[6:14] not in page.replace(person.id_number, "")


def test_lowercase_x_and_blanks_are_normalized(client, people):
    client.force_login(f.clerk())
    person = people["x"]
    typed = " " + person.id_number[:6] + " " + person.id_number[6:-1] + "x\u3000"
    assert _names(client, typed) == ["欧阳修"]


def test_part_of_an_id_number_finds_nobody(client, people):
    client.force_login(f.clerk())
    assert _names(client, people["zhang"].id_number[:-1]) == []
    assert _names(client, people["zhang"].id_number[-8:]) == []


def test_name_matches_by_prefix_not_substring(client, people):
    client.force_login(f.clerk())
    assert sorted(_names(client, "张")) == ["张伟", "张建国"]
    assert _names(client, "张建") == ["张建国"]
    assert _names(client, "建国") == ["建国"]  # not 张建国
    assert _names(client, "国") == []


def test_search_terms_become_index_friendly_lookups():
    assert person_search_q("11010119900501123x", "holder__").children == [
        ("holder__id_number", "11010119900501123X")]
    assert person_search_q(" 张\u3000伟 ").children == [("name__startswith", "张伟")]
    assert person_search_q("   ") is None


def test_link_admin_searches_persons_first_and_gives_up_on_huge_prefixes(people):
    assert matching_person_ids(people["zhang"].id_number) == [people["zhang"].pk]
    assert sorted(matching_person_ids("张")) == sorted(
        [people["zhang"].pk, people["zhangwei"].pk])
    assert matching_person_ids("张", limit=1) is None


def test_binding_admin_finds_a_link_by_either_party_and_a_name_prefix(client, people):
    link = f.binding(people["zhang"], people["zhangwei"])
    other = f.binding(people["jian"], people["x"])
    client.force_login(f.supervisor())
    url = "/admin/families/binding/"
    for term in (people["zhang"].id_number, people["zhangwei"].id_number, "张伟"):
        found = client.get(url, {"q": term}).context["cl"].result_list
        assert [b.pk for b in found] == [link.pk], term
    assert [b.pk for b in client.get(url, {"q": "欧阳"}).context["cl"].result_list] == [
        other.pk]
    assert list(client.get(url, {"q": "不存在的人"}).context["cl"].result_list) == []
