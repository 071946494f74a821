"""Scanned documents: validation by content and storage in private storage."""

import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

import filetype
from django.conf import settings
from django.core.files.storage import default_storage
from django.utils.translation import gettext as _
from PIL import Image

from accounts.errors import RuleViolation
from audit.services import save_audited
from families.models import KinshipProof, ProofScan
from families.services.pdf_safety import pdf_refuse_active_content

MAX_SCANS = 10
ALLOWED_SCAN_TYPES = {"application/pdf", "image/jpeg", "image/png"}
PILLOW_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG"}


@dataclass(frozen=True)
class ValidScan:
    """An upload whose content was checked; `upload` is rewound, ready to store."""

    upload: Any
    content_type: str
    size: int
    sha256: str
    original_name: str



def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def scan_validate(upload) -> ValidScan:
    """Accept a PDF, JPEG or PNG by its content (never by its name or the browser's
    content type), not empty and not larger than settings.SCAN_MAX_BYTES. Images must
    open and verify in Pillow within its decompression-bomb pixel limit."""
    name = PurePath((upload.name or "").replace("\\", "/")).name[:200] or _("未命名文件")
    size = upload.size or 0
    if size == 0:
        raise RuleViolation("scan_empty", _("文件“%(name)s”是空文件。") % {"name": name},
                            name=name)
    limit = settings.SCAN_MAX_BYTES
    if size > limit:
        raise RuleViolation(
            "scan_too_large",
            _("文件“%(name)s”大小 %(size)s MB,超过上限 %(limit)s MB。")
            % {"name": name, "size": _megabytes(size), "limit": _megabytes(limit)},
            name=name, size=size, limit=limit,
        )
    upload.seek(0)
    head = upload.read(8192)
    kind = filetype.guess(head)
    content_type = kind.mime if kind else None
    if content_type not in ALLOWED_SCAN_TYPES or (
        content_type == "application/pdf" and not head.startswith(b"%PDF-")
    ):
        raise RuleViolation(
            "scan_type_not_allowed",
            _("文件“%(name)s”不是 PDF、JPEG 或 PNG 文件(按文件内容判断)。") % {"name": name},
            name=name,
        )
    if content_type in PILLOW_FORMATS:
        _verify_image(upload, name, PILLOW_FORMATS[content_type])
    else:
        pdf_refuse_active_content(upload, name)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return ValidScan(upload=upload, content_type=content_type, size=size,
                     sha256=digest.hexdigest(), original_name=name)


def _verify_image(upload, name: str, expected_format: str) -> None:
    upload.seek(0)
    invalid = RuleViolation(
        "scan_invalid", _("图片“%(name)s”已损坏或像素过多,无法作为扫描件。") % {"name": name},
        name=name,
    )
    with warnings.catch_warnings():
        # Above MAX_IMAGE_PIXELS Pillow only warns; a scan that large is refused too.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(upload) as image:
                found = image.format
                image.verify()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise invalid from exc
        except (OSError, SyntaxError, ValueError) as exc:
            raise invalid from exc
    if found != expected_format:
        raise invalid


def store_scans(*, actor, proof: KinshipProof, scans: Sequence[ValidScan],
                 written: list[str], reason: str) -> None:
    for valid in scans:
        scan = ProofScan(proof=proof, content_type=valid.content_type, size=valid.size,
                         sha256=valid.sha256, original_name=valid.original_name,
                         uploaded_by=actor)
        # The stored path comes from ProofScan's upload_to (proof id + random name).
        scan.file.save("scan", valid.upload, save=False)
        written.append(scan.file.name)
        save_audited(scan, actor=actor, reason=reason, action="scan_upload")


def delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


