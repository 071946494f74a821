"""Bindings and co-pay authorizations of the load generator (see families/loadgen/__init__.py)."""

from __future__ import annotations

import datetime

from families.loadgen.data import (
    APPLICATION_STATUS,
    BINDING_STATUSES,
    CHANNELS,
    CHINA,
    COPAY_STATUSES,
    CORE,
    END_REASONS,
    NO_FACE,
    RELATIONSHIPS,
    SPAN_DAYS,
)
from families.loadgen.helpers import _weighted
from families.loadgen.sql import (
    CopyStream,
)
from families.models import (
    Binding,
    CoPayAuthorization,
    CounterApplication,
)


class LinkRows:
    """Mixin of LoadGenerator (families/loadgen/__init__.py)."""

    # bindings and co-pay authorizations --------------------------------------------------
    def _links(self, kind: str) -> tuple[int, int]:
        """Links of every generated person (as holder / authorizer) and the counter
        applications of counter-channel links. Returns the id range written."""
        o, rng = self.o, self.rng
        rnd = rng.random
        n = o.persons
        is_binding = kind == "binding"
        model = Binding if is_binding else CoPayAuthorization
        per_person = o.links_per_person if is_binding else o.copay_per_person
        status_pick = _weighted(rng, BINDING_STATUSES if is_binding else COPAY_STATUSES)
        channel_pick = _weighted(rng, CHANNELS)
        relationships = RELATIONSHIPS if is_binding else CORE
        a_col, b_col = ("holder_id", "member_id") if is_binding else (
            "authorizer_id", "beneficiary_id")
        link_out = CopyStream(model, self.factory, self.result.rows)
        app_out = CopyStream(CounterApplication, self.factory, self.result.rows)
        first_link = link_id = self._next_id(model)
        app_id = self._next_id(CounterApplication)
        now = o.now
        whole, fraction = int(per_person), per_person - int(per_person)
        span = min(40, n - 1)
        bar = self.progress(model._meta.db_table, n)
        for i in range(n):
            if i % 10_000 == 9_999:
                bar.update(10_000)
            count = whole + (1 if rnd() < fraction else 0)
            if count == 0:
                continue
            holder = self.first_person + i
            halls = self.staff[self.region_ids[self.person_region[i]]]
            # distinct members near the holder (own household first): pairs never repeat
            for d in rng.sample(range(1, span + 1), min(count, span)):
                status = status_pick()
                counter = channel_pick() == "counter"
                staff = halls[int(rnd() * len(halls))]
                if status == "pending":  # older pending applications would have expired
                    applied = now - datetime.timedelta(seconds=int(rnd() * 25 * 86400))
                else:
                    applied = now - datetime.timedelta(
                        seconds=int(30 * 86400 + rnd() * SPAN_DAYS * 86400))
                decided = applied + datetime.timedelta(seconds=int(600 + rnd() * 5 * 86400))
                row = {
                    "id": link_id, a_col: holder, b_col: self.first_person + (i + d) % n,
                    "relationship": relationships[int(rnd() * len(relationships))],
                    "channel": "counter" if counter else CHANNELS[int(rnd() * 4)][0],
                    "status": status, "consent_method": "counter" if counter else "face",
                    "commitment_signed": "t" if counter else "f", "applied_at": applied,
                    "applied_by_id": staff.clerk_id if counter else None,
                }
                if not is_binding:
                    row["reserve"] = 0
                    if status == "suspended":
                        row["suspended_reason"] = "授权人申请暂停"
                if status in ("active", "unbound", "rejected", "suspended", "revoked"):
                    row["decided_at"] = decided
                    row["decided_by_id"] = staff.supervisor_id if counter else None
                    row["decision_reason"] = "材料不全" if status == "rejected" else "原件核验无误"
                if status in ("unbound", "revoked", "withdrawn", "expired"):
                    row["ended_at"] = min(now, decided + datetime.timedelta(
                        seconds=int(rnd() * 200 * 86400)))
                    row["end_reason"] = END_REASONS[status]
                    row["ended_by_id"] = staff.supervisor_id if counter else None
                link_out.write(row)
                if counter:
                    day = applied.astimezone(CHINA).date()
                    key = (staff.hall_id, day)
                    self.app_numbers[key] += 1
                    app_status = APPLICATION_STATUS[status]
                    reviewed = app_status in ("approved", "rejected")
                    app_out.write({
                        "id": app_id, "number": f"{staff.hall_code}-{day:%Y%m%d}-"
                                                f"{self.app_numbers[key]:04d}",
                        "kind": kind, "hall_id": staff.hall_id,
                        "binding_id": link_id if is_binding else None,
                        "copay_id": None if is_binding else link_id,
                        "status": app_status, "no_face_reason": NO_FACE[int(rnd() * 5)],
                        "holder_id_seen": "t", "member_id_seen": "t", "proof_seen": "t",
                        "commitment_signed": "t", "submitted_at": applied,
                        "submitted_by_id": staff.clerk_id,
                        "reviewed_at": decided if reviewed else None,
                        "reviewed_by_id": staff.supervisor_id if reviewed else None,
                        "review_reason": row.get("decision_reason", ""),
                    })
                    app_id += 1
                link_id += 1
        bar.update(n % 10_000)
        bar.close()
        link_out.close()
        app_out.close()
        return first_link, link_id - 1
