"""Scan downloads: the only way to a scan (private storage, no public URL)."""

from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
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
