"""Helpers shared by the tests in this package."""

from django.urls import reverse


def as_user(client, user):
    client.force_login(user)
    return client


def stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def parties(holder, member, **overrides):
    data = {
        "kind": "binding",
        "holder_id_type": holder.id_type, "holder_id_number": holder.id_number,
        "holder_name": holder.name,
        "member_id_type": member.id_type, "member_id_number": member.id_number,
        "member_name": member.name,
        "relationship": "child",
    }
    data.update(overrides)
    return data


def verification(**overrides):
    data = {
        "no_face_reason": "elderly", "holder_id_seen": "on", "member_id_seen": "on",
        "proof_seen": "on", "proof_type": "household_register", "proof_number": "HK0001",
        "commitment_signed": "on",
    }
    data.update(overrides)
    return data


def submit(client, holder, member, scans, **overrides):
    data = {**parties(holder, member), **verification(**overrides), "action": "submit",
            "scans": scans}
    return client.post(reverse("counter:intake"), data)


def app_urls(app) -> dict[str, str]:
    scan = app.binding.proof.scans.first()
    return {
        "receipt": reverse("counter:receipt", args=[app.pk]),
        "detail": reverse("counter:detail", args=[app.pk]),
        "review": reverse("counter:review", args=[app.pk]),
        "withdraw": reverse("counter:withdraw", args=[app.pk]),
        "scan": reverse("counter:scan", args=[scan.pk]),
    }
