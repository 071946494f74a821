"""Permission and region matrix: every admin URL and every counter / audit page, for
every role, has exactly the expected outcome.

The URL list comes from the URL resolver, the expectations from EXPECTED (matrix_expected.py): a new
URL without an expectation (or an expectation for a URL that no longer exists) fails
`test_every_url_has_an_expectation`. Objects in the URLs are Beijing objects; the
"other_*" roles are staff of Hangzhou, who must never see them.

Outcomes: 200/403/404/405 are status codes; LOGIN is a redirect to the login page,
INDEX a redirect to the admin index (Django admin's "object does not exist or is not in
your region" answer), REDIRECT another redirect (the legacy `<id>/` URL).
"""

import os
import re

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from families.choices import ApplicationStatus, BindingStatus
from families.models import Binding, CounterApplication, Person
from tests.security.matrix_expected import APP_LABELS, EXPECTED, INDEX, LOGIN, REDIRECT
from tests.security.world import PASSWORD, ROLES, build_world

pytestmark = pytest.mark.django_db


# --- URL enumeration ---------------------------------------------------------------------


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = namespace + (f"{pattern.namespace}:" if pattern.namespace else "")
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), ns)
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            if pattern.name == "app_list":
                for label in APP_LABELS:
                    yield f"{namespace}app_list:{label}", route
            elif pattern.name:
                yield f"{namespace}{pattern.name}", route
            else:
                yield namespace + route.removeprefix("admin/"), route


def guarded_urls() -> dict[str, str]:
    """Every URL under /admin/ (admin site, counter pages, audit pages) by key."""
    return {key: route for key, route in _walk(get_resolver().url_patterns)
            if route.startswith("admin/")}


def _model_key(route: str) -> str:
    parts = route.split("/")
    return f"{parts[1]}_{parts[2]}"


def concrete_url(key: str, route: str, world) -> str:
    obj = world.objects
    if key.startswith("admin:app_list:"):
        return f"/admin/{key.rsplit(':', 1)[1]}/"
    if key == "admin:(?P<url>.*)$":
        return "/admin/no-such-page/"
    if key == "admin:view_on_site":
        ct = ContentType.objects.get_for_model(Person)
        return f"/admin/r/{ct.pk}/{world.person.pk}/"
    if key == "admin:auth_user_password_change":
        return f"/admin/accounts/user/{world.users['clerk'].pk}/password/"
    if key.endswith("_simple_history"):
        model = _model_key(route)
        return f"/{route.split('^')[0]}{obj[model].pk}/history/{world.history_ids[model]}/"
    if route.startswith("admin/counter/batch/"):
        return "/" + route.replace("<int:pk>", str(obj["families_batchjob"].pk))
    if route.startswith("admin/counter/"):
        pk = world.scan.pk if "/scans/" in route else world.application.pk
        return "/" + route.replace("<int:pk>", str(pk))
    if route.startswith("admin/audit/persons/"):
        return "/" + route.replace("<int:pk>", str(world.person.pk))
    if "<path:object_id>" in route:
        return "/" + route.replace("<path:object_id>", str(obj[_model_key(route)].pk))
    assert "<" not in route and "(" not in route, f"no object for {key}: {route}"
    return "/" + route


def outcome(response):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith("/admin/login/"):
            return LOGIN
        if location == "/admin/":
            return INDEX
        return REDIRECT
    return response.status_code


def clients(world) -> dict[str, Client]:
    out = {}
    for role in ROLES:
        client = Client()
        if world.users[role] is not None:
            client.force_login(world.users[role])
        out[role] = client
    return out


# --- tests ---------------------------------------------------------------------------------


def test_every_url_has_an_expectation():
    urls = guarded_urls()
    missing = sorted(set(urls) - set(EXPECTED))
    stale = sorted(set(EXPECTED) - set(urls))
    assert not missing, f"URLs without an expected outcome in EXPECTED: {missing}"
    assert not stale, f"EXPECTED lists URLs that no longer exist: {stale}"
    assert all(len(v) == len(ROLES) for v in EXPECTED.values())


def test_every_url_gives_the_expected_outcome_for_every_role():
    world = build_world()
    by_role = clients(world)
    urls = guarded_urls()
    actual, mismatches = {}, []
    for key in sorted(urls):
        url = concrete_url(key, urls[key], world)
        got = tuple(outcome(by_role[role].get(url)) for role in ROLES)
        actual[key] = got
        if got != EXPECTED.get(key):
            mismatches.append(f"{key} {url}: expected {EXPECTED.get(key)}, got {got}")
    if os.environ.get("MATRIX_PRINT"):
        for key, got in actual.items():
            print(f"{key!r}: {got},")
    assert not mismatches, "\n".join(mismatches)


def test_a_changed_id_never_shows_another_regions_person_scan_or_application(client):
    world = build_world()
    hz_app = world.hz_application
    hz_scan = hz_app.binding.proof.scans.get()
    hz_person = world.hz_person
    pages = [
        f"/admin/families/person/{hz_person.pk}/change/",
        f"/admin/families/person/{hz_person.pk}/history/",
        f"/admin/families/binding/{hz_app.binding.pk}/change/",
        f"/admin/families/kinshipproof/{hz_app.binding.proof.pk}/change/",
        f"/admin/families/counterapplication/{hz_app.pk}/change/",
        f"/admin/counter/applications/{hz_app.pk}/",
        f"/admin/counter/applications/{hz_app.pk}/receipt/",
        f"/admin/counter/applications/{hz_app.pk}/withdraw/",
        f"/admin/counter/scans/{hz_scan.pk}/",
        f"/admin/counter/scans/{hz_scan.pk}/?download=1",
        f"/admin/audit/persons/{hz_person.pk}/reveal/",
        f"/admin/families/person/?q={hz_person.id_number}",
        f"/admin/counter/lookup/?number={hz_app.number}",
    ]
    for role in ("clerk", "supervisor"):
        client.force_login(world.users[role])
        for url in pages + [f"/admin/counter/applications/{hz_app.pk}/review/"]:
            response = client.get(url, follow=True)
            body = response.content.decode(errors="replace")
            assert hz_person.name not in body, (role, url)
            assert hz_app.number not in body or "lookup" in url, (role, url)
        # and writes by id: POSTs to another region's application change nothing
        for url, data in [
            (f"/admin/counter/applications/{hz_app.pk}/withdraw/", {"reason": "越权"}),
            (f"/admin/counter/applications/{hz_app.pk}/review/",
             {"decision": "approve", "reason": "越权"}),
            (f"/admin/audit/persons/{hz_person.pk}/reveal/", {"reason": "越权"}),
        ]:
            assert client.post(url, data).status_code in (403, 404), (role, url)
    hz_app.refresh_from_db()
    assert hz_app.status == ApplicationStatus.PENDING


def test_admin_actions_are_offered_only_to_roles_that_may_run_them(rf):
    world = build_world()
    expected = {
        # model: {role: actions offered on its change list}
        "families_binding": {"clerk": set(), "supervisor": {"unbind_selected"},
                             "sysadmin": set()},
        "settlements_settlement": {"clerk": set(),
                                   "supervisor": {"reverse_selected", "finalize_selected"},
                                   "sysadmin": set()},
        "axes_accessattempt": {"clerk": set(), "supervisor": {"delete_selected"},
                               "sysadmin": {"delete_selected"}},
        "audit_auditevent": {"clerk": set(), "supervisor": set(), "sysadmin": set()},
        # clerks (and supervisors, who hold the clerk's permissions) record activation
        "families_person": {"clerk": {"record_evoucher_activation"},
                            "supervisor": {"record_evoucher_activation"}, "sysadmin": set()},
        # only a system administrator corrects a balance by hand
        "settlements_personalaccount": {"clerk": set(), "supervisor": set(),
                                        "sysadmin": {"adjust_balance"}},
    }
    by_label = {f"{m._meta.app_label}_{m._meta.model_name}": ma
                for m, ma in admin.site._registry.items()}
    offered_somewhere = set()
    for model, roles_ in expected.items():
        model_admin = by_label[model]
        for role, actions in roles_.items():
            request = rf.get("/")
            request.user = world.users[role]
            got = set(model_admin.get_actions(request))
            assert got == actions, (model, role, got)
    for label, model_admin in by_label.items():
        for role in ("clerk", "supervisor", "sysadmin"):
            request = rf.get("/")
            request.user = world.users[role]
            offered_somewhere |= {(label, a) for a in model_admin.get_actions(request)}
    # Every action a role gets anywhere is listed in `expected` or in the copay admin
    # (revoke / record filing, tested with the co-pay admin).
    unexplained = {(label, a) for label, a in offered_somewhere
                   if label not in expected and label != "families_copayauthorization"}
    assert not unexplained, unexplained


def test_an_action_a_role_is_not_offered_does_nothing_when_posted(client):
    world = build_world()
    binding = world.objects["families_binding"]
    Binding.objects.filter(pk=binding.pk).update(status=BindingStatus.ACTIVE)
    for role in ("clerk", "other_supervisor", "sysadmin"):
        client.force_login(world.users[role])
        response = client.post("/admin/families/binding/", {
            "action": "unbind_selected", "_selected_action": [binding.pk],
            "confirm": "1", "reason": "越权解绑",
        })
        assert response.status_code in (200, 302, 403), role
        binding.refresh_from_db()
        assert binding.status == BindingStatus.ACTIVE, role


def test_history_pages_refuse_to_revert_for_everyone(client):
    world = build_world()
    binding = world.objects["families_binding"]
    url = f"/admin/families/binding/{binding.pk}/history/{world.history_ids['families_binding']}/"
    for role in ("clerk", "supervisor", "sysadmin"):
        client.force_login(world.users[role])
        assert client.post(url, {}).status_code == 403, role


def test_inactive_staff_cannot_sign_in_and_lose_their_session(client):
    world = build_world()
    clerk = world.users["clerk"]
    assert client.post("/admin/login/?next=/admin/",
                       {"username": clerk.username, "password": PASSWORD}).status_code == 302
    assert client.get("/admin/counter/intake/").status_code == 200
    clerk.is_active = False
    clerk.save(update_fields=["is_active"])
    # the open session ends at the next request ...
    response = client.get("/admin/counter/intake/")
    assert outcome(response) == LOGIN
    # ... and a new sign-in is refused with the usual form error
    fresh = Client()
    response = fresh.post("/admin/login/?next=/admin/",
                          {"username": clerk.username, "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in fresh.session
    assert outcome(fresh.get("/admin/")) == LOGIN


def test_non_staff_users_cannot_use_the_admin(client):
    world = build_world()
    user = world.users["clerk"]
    user.is_staff = False
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    for url in ("/admin/", "/admin/counter/intake/", "/admin/families/person/"):
        assert outcome(client.get(url)) == LOGIN, url
    assert CounterApplication.objects.count() == 2
    assert re.match(r"^/admin/login/", client.get("/admin/")["Location"])
