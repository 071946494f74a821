"""Invariants checked after the load and fault run (through the ORM)."""

from pathlib import Path

from loadfaults.setup import ROOT  # noqa: F401

# --- invariants ----------------------------------------------------------------------------


def check_invariants(media: Path) -> list[str]:
    from django.db import connections
    from django.db.models import Count, Q

    from audit.models import AuditEvent
    from families.models import Binding, CounterApplication, ProofScan
    from settlements.selectors import ledger_mismatches

    connections.close_all()
    problems = []
    live = Q(status__in=["pending", "active"])
    holder_max = Binding.objects.filter(live).values("holder").annotate(n=Count("id")) \
        .order_by("-n").values_list("n", flat=True).first() or 0
    member_max = Binding.objects.filter(live).values("member").annotate(n=Count("id")) \
        .order_by("-n").values_list("n", flat=True).first() or 0
    if holder_max > 5 or member_max > 6:
        problems.append(f"binding limits broken: holder {holder_max}, member {member_max}")
    if ledger_mismatches():
        problems.append(f"ledger mismatches: {ledger_mismatches()[:3]}")
    for application in CounterApplication.objects.select_related("binding__proof"):
        binding = application.binding
        expected = {"pending": 1, "approved": 2}.get(application.status)
        if binding is None or binding.proof is None:
            problems.append(f"application {application.number} incomplete")
            continue
        rows = binding.history.count()
        app_rows = application.history.count()
        if expected and (rows != expected or app_rows != expected):
            problems.append(f"{application.number}: {rows} binding / {app_rows} application "
                            f"history rows for status {application.status}")
        scans = list(ProofScan.objects.filter(proof=binding.proof))
        if not scans or not all((media / s.file.name).is_file() for s in scans):
            problems.append(f"{application.number}: scan missing")
    duplicated = AuditEvent.objects.exclude(history_id=None).values(
        "history_model", "history_id").annotate(n=Count("id")).filter(n__gt=1).count()
    if duplicated:
        problems.append(f"{duplicated} history rows with more than one audit event")
    for model in (Binding, CounterApplication):
        history = model.history.model
        label = history._meta.label_lower
        events = set(AuditEvent.objects.filter(history_model=label)
                     .values_list("history_id", flat=True))
        missing = history.objects.exclude(history_id__in=events).count()
        if missing:
            problems.append(f"{missing} {label} rows without an audit event")
    stray = [p for p in media.rglob("*") if p.is_file()] if media.exists() else []
    stored = {str(media / s.file.name) for s in ProofScan.objects.all()}
    orphans = [p for p in stray if str(p) not in stored]
    if orphans:
        problems.append(f"{len(orphans)} scan files without a database row (partial write)")
    return problems
