"""Scan downloads: the only way to a scan (private storage, no public URL).

Every answer is audited, once per look: a page that shows scans (the review page)
records one 查看扫描件 event for all its scans and gives each scan an inline URL with a
signed token (this user, this scan, a few minutes); the thumbnails and the full-size
view behind such a URL are covered by that event. Any other request, and every download
(`?download=1`, every PDF), records its own 下载扫描件 event.
"""

from django.core import signing
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.scoping import scope_to_region
from audit.access import record_access_event
from audit.actions import AuditAction
from families.models import CounterApplication, KinshipProof, ProofScan
from families.views.common import VIEW_SCAN, require_perm


def _application_of(proof_id: int):
    return CounterApplication.objects.filter(
        Q(binding__proof_id=proof_id) | Q(copay__proof_id=proof_id)
    ).select_related("hall").first()


def _visible(user, scan: ProofScan, application) -> bool:
    """A scan belongs to the region of the hall that took its application; a proof
    registered without an application belongs to the first party's region."""
    if application is not None:
        return scope_to_region(CounterApplication.objects.filter(pk=application.pk), user,
                               "hall__region").exists()
    return scope_to_region(KinshipProof.objects.filter(pk=scan.proof_id), user,
                           "person_a__insured_region").exists()


# A scan never runs in our origin: PDFs are always downloaded (never rendered inline by
# the browser's viewer), images are shown only as <img>; every answer is sandboxed,
# not sniffed, and not usable by other sites.
SCAN_CSP = ("sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; "
            "frame-ancestors 'none'")


_VIEW_SALT = "families.scan_view"
SCAN_VIEW_MAX_AGE = 15 * 60  # seconds a page's inline scan URLs stay covered by its event


def record_scan_view(request, application, scans) -> list[dict]:
    """One 查看扫描件 event for the scans a page shows; each scan with its inline URL."""
    scans = list(scans)
    if not scans:
        return []
    record_access_event(
        request.user, AuditAction.SCAN_VIEW, application, request=request,
        application_number=application.number,
        details={"scans": [scan.pk for scan in scans]},
    )
    return [
        {"scan": scan,
         "inline_url": reverse("counter:scan", args=[scan.pk]) + "?view="
                       + signing.dumps([request.user.pk, scan.pk], salt=_VIEW_SALT)}
        for scan in scans
    ]


def _view_covers(request, scan: ProofScan) -> bool:
    """Whether this inline request comes from a page whose view was recorded."""
    token = request.GET.get("view")
    if not token:
        return False
    try:
        user_pk, scan_pk = signing.loads(token, salt=_VIEW_SALT, max_age=SCAN_VIEW_MAX_AGE)
    except (signing.BadSignature, ValueError, TypeError):
        return False
    return user_pk == request.user.pk and scan_pk == scan.pk


@require_perm(VIEW_SCAN)
def scan_download(request, pk: int):
    scan = get_object_or_404(ProofScan.objects.select_related("proof"), pk=pk)
    application = _application_of(scan.proof_id)
    if not _visible(request.user, scan, application):
        raise Http404
    try:
        handle = scan.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("扫描件文件不存在。")) from exc
    as_attachment = request.GET.get("download") == "1" or not scan.content_type.startswith(
        "image/")
    number = application.number if application else "scan"
    if as_attachment or not _view_covers(request, scan):
        record_access_event(
            request.user, AuditAction.SCAN_DOWNLOAD, scan, request=request,
            application_number=application.number if application else "",
            details={"disposition": "attachment" if as_attachment else "inline"},
        )
    response = FileResponse(handle, content_type=scan.content_type,
                            as_attachment=as_attachment,
                            filename=f"{number}-{scan.pk}{scan.extension}")
    response["Content-Security-Policy"] = SCAN_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
