"""Scans staged during one intake: when step 2 is refused (a missing tick, a rule), the
files the clerk already chose are kept server-side, in private storage under the clerk's
own folder, and offered again, instead of silently asking the browser to send them again.

The index of an intake's staged files lives in the clerk's session (so it ends with the
sign-out), the files under `staging/<clerk id>/`; a new intake, a successful submission
and `purge_stale` remove them."""

import datetime
import secrets
from dataclasses import asdict, dataclass

from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from accounts.errors import RuleViolation
from families.services.scans import MAX_SCANS, scan_validate

STAGING_ROOT = "staging"
STAGING_TTL = datetime.timedelta(hours=12)


@dataclass(frozen=True)
class StagedScan:
    token: str
    original_name: str
    size: int
    content_type: str


def _path(actor, token: str) -> str:
    return f"{STAGING_ROOT}/{int(actor.pk)}/{token}"


def scans_stage(*, actor, uploads, already: dict[str, dict]) -> tuple[dict[str, dict], list]:
    """Validate and keep `uploads` for `actor`; return the staged index (the earlier one
    plus the new files, at most MAX_SCANS) and the refusals of files that were not kept."""
    index = dict(already)
    refused: list[RuleViolation] = []
    for upload in uploads:
        if len(index) >= MAX_SCANS:
            break
        try:
            valid = scan_validate(upload)
        except RuleViolation as exc:
            refused.append(exc)
            continue
        token = secrets.token_hex(16)
        default_storage.save(_path(actor, token), valid.upload)
        index[token] = asdict(StagedScan(token, valid.original_name, valid.size,
                                         valid.content_type))
    return index, refused


def scans_open_staged(*, actor, index: dict[str, dict], tokens) -> list[File]:
    """The staged files `tokens` names, opened for the submission (only the actor's own:
    the index comes from his session and the path from his id)."""
    files = []
    for token in tokens:
        meta = index.get(token)
        if meta is None or not default_storage.exists(_path(actor, token)):
            continue
        files.append(File(default_storage.open(_path(actor, token), "rb"),
                          name=meta["original_name"]))
    return files


def scans_discard(*, actor, index: dict[str, dict]) -> None:
    for token in index:
        default_storage.delete(_path(actor, token))


def purge_stale(*, actor, now: datetime.datetime | None = None) -> int:
    """Remove the actor's staged files older than STAGING_TTL (a closed browser, a
    session that expired). Returns how many were removed."""
    now = now or timezone.now()
    folder = f"{STAGING_ROOT}/{int(actor.pk)}"
    try:
        _dirs, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    removed = 0
    for name in names:
        path = f"{folder}/{name}"
        if now - default_storage.get_modified_time(path) > STAGING_TTL:
            default_storage.delete(path)
            removed += 1
    return removed
