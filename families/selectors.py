"""Reads: policy in force, facts for the rules, lookups. Query shapes decided once here."""

import datetime
import functools
import operator

from django.db.models import Q, QuerySet

from accounts.models import Region
from accounts.prebuilt import PrebuiltQuery
from families.chinatime import china_date, natural_month_bounds
from families.choices import BINDING_COUNTS_MONTHLY, BINDING_HOLDS_SLOT, COPAY_HOLDS_SLOT
from families.copay_rules import CoPayPolicy
from families.models import (
    Binding,
    CalendarOverride,
    CoPayAuthorization,
    KinshipProof,
    Person,
    RegionPolicy,
)
from families.rules import BindingPolicy, PartyFacts, ProofFacts
from families.settlement_facts import settlement_facts
from families.workdays import WorkCalendar


def policy_in_force(region: Region | int, on: datetime.date) -> RegionPolicy:
    """The region's policy version in force on `on`; the seeds' defaults if none."""
    region_id = region if isinstance(region, int) else region.pk
    found = (
        RegionPolicy.objects.filter(region_id=region_id, effective_from__lte=on)
        .select_related("region")
        .order_by("-effective_from")
        .first()
    )
    if found:
        return found
    if isinstance(region, Region):  # the seeds' defaults, the region already at hand
        return RegionPolicy(region=region, effective_from=on)
    return RegionPolicy(region_id=region_id, effective_from=on)


@functools.cache
def _policy_versions(regions: int) -> PrebuiltQuery:
    """Every policy version of `regions` distinct regions, newest first per region (a
    region has a handful; the day is picked in Python so the SQL stays one shape)."""
    return PrebuiltQuery(
        lambda *ids: RegionPolicy.objects.filter(region_id__in=ids)
        .order_by("region_id", "-effective_from"),
        *range(-1, -regions - 1, -1))


def policies_in_force(regions: list[Region], on: datetime.date) -> dict[int, RegionPolicy]:
    """`policy_in_force` for several regions in one query: {region id: policy}."""
    by_id = {r.pk: r for r in regions}
    found: dict[int, RegionPolicy] = {}
    for policy in _policy_versions(len(by_id)).instances(*by_id):
        if policy.region_id not in found and policy.effective_from <= on:
            policy.region = by_id[policy.region_id]
            found[policy.region_id] = policy
    for region_id, region in by_id.items():
        found.setdefault(region_id, RegionPolicy(region=region, effective_from=on))
    return found


def binding_policy(policy: RegionPolicy) -> BindingPolicy:
    region_code = policy.region.code
    return BindingPolicy(
        holder_limit=policy.holder_limit,
        member_limit=policy.member_limit,
        monthly_limit=policy.monthly_limit,
        binding_relationships=tuple(policy.binding_relationships),
        face_verification_age=policy.face_verification_age,
        birth_exemption_enabled=policy.birth_exemption_enabled,
        birth_exemption_cutoff=policy.birth_exemption_cutoff,
        birth_exemption_region_code=region_code,
    )


def party_facts(person: Person) -> PartyFacts:
    return PartyFacts(
        person_id=person.pk,
        name=person.name,
        birth_date=person.birth_date,
        insurance_status=person.insurance_status,
        insurance_type=person.insurance_type,
        deceased=person.is_deceased,
        region_code=person.insured_region.code,
        birth_region_code=person.birth_region.code if person.birth_region_id else None,
        evoucher_activated=person.evoucher_activated_at is not None,
    )


def proof_facts(proof: KinshipProof | None) -> ProofFacts | None:
    if proof is None:
        return None
    return ProofFacts(
        proof_type=proof.proof_type,
        person_a_id=proof.person_a_id,
        person_b_id=proof.person_b_id,
        relationship=proof.relationship,
        revoked=proof.revoked_at is not None,
    )


def live_bindings(*, holder: Person | None = None, member: Person | None = None) -> QuerySet:
    qs = Binding.objects.filter(status__in=BINDING_HOLDS_SLOT)
    if holder is not None:
        qs = qs.filter(holder=holder)
    if member is not None:
        qs = qs.filter(member=member)
    return qs


def binding_counts(
    holder: Person, member: Person, at: datetime.datetime, exclude_id: int | None = None
) -> dict:
    """The figures rules 1-3 and 5 count, from one read of the holder's live bindings and
    the member's bindings that count at all (the (holder, status) / (member, status)
    indexes; a few rows each: the limits bound them), counted here (a query of nine
    filtered counts cost more to build than to run). Pending applications hold their
    slot; the natural month counts bindings applied for in `at`'s China-time month that
    were not refused (pending, active or already unbound). The member's live bindings are
    also counted per channel (the pre-check shows "其中微信 3、窗口 2")."""
    start, end = natural_month_bounds(at)
    ids = (holder.pk, member.pk) if exclude_id is None else (holder.pk, member.pk, exclude_id)
    holds = set(BINDING_HOLDS_SLOT)
    holder_live = member_month = 0
    pair = False
    by_channel: dict[str, int] = {}
    for holder_id, member_id, status, channel, applied_at in _counted_bindings(
            exclude=exclude_id is not None).tuples(*ids):
        live = status in holds
        if holder_id == holder.pk and live:
            holder_live += 1
            pair = pair or member_id == member.pk
        if member_id == member.pk:
            if live:
                by_channel[channel] = by_channel.get(channel, 0) + 1
            if start <= applied_at < end:
                member_month += 1
    return {
        "holder_live_count": holder_live,
        "member_live_count": sum(by_channel.values()),
        "member_live_by_channel": tuple(sorted(by_channel.items(), key=lambda kv: (-kv[1], kv[0]))),
        "member_month_count": member_month,
        "pair_live_exists": pair,
    }


@functools.cache
def _counted_bindings(*, exclude: bool) -> PrebuiltQuery:
    """The holder's live bindings and the member's bindings that count at all (the
    (holder, status) / (member, status) indexes), optionally without one binding."""
    def build(holder_id, member_id, exclude_id=None):
        rows = Binding.objects.filter(
            Q(holder_id=holder_id, status__in=BINDING_HOLDS_SLOT)
            | Q(member_id=member_id, status__in=BINDING_COUNTS_MONTHLY))
        if exclude_id is not None:
            rows = rows.exclude(pk=exclude_id)
        return rows.values_list("holder_id", "member_id", "status", "channel", "applied_at")
    return PrebuiltQuery(build, *((-1, -2, -3) if exclude else (-1, -2)))


@functools.cache
def _persons_by_identity(count: int, *, lock: bool) -> PrebuiltQuery:
    """`count` persons by (ID type, number) with their regions, in primary-key order;
    with `lock`, row-locked (the persons only, as lock_persons)."""
    def build(*values):
        wanted = [Q(id_type=t, id_number=n) for t, n in zip(values[::2], values[1::2],
                                                              strict=True)]
        rows = Person.objects.select_related("insured_region", "birth_region")
        if lock:
            rows = rows.select_for_update(of=("self",))
        return rows.filter(functools.reduce(operator.or_, wanted)).order_by("pk")
    return PrebuiltQuery(build, *(f"\x00sample-{i}" for i in range(2 * count)))


def persons_by_identity(keys: list[tuple[str, str]], *, lock: bool = False) -> list[Person]:
    """The registered persons of these (ID type, normalized number) keys, in primary-key
    order; with `lock`, row-locked in that order (inside a transaction)."""
    if not keys:
        return []
    return _persons_by_identity(len(keys), lock=lock).instances(
        *(value for key in keys for value in key))


def find_person(id_type: str, id_number: str) -> Person | None:
    found = persons_by_identity([(id_type, id_number)])
    return found[0] if found else None


def copay_policy(policy: RegionPolicy) -> CoPayPolicy:
    region_code = policy.region.code
    return CoPayPolicy(
        region_code=region_code,
        scope=policy.copay_scope,
        scope_effective_from=policy.effective_from,
        cross_region_in_province=policy.copay_cross_region_in_province,
        cross_province=policy.copay_cross_province,
        beneficiary_limit=policy.copay_beneficiary_limit,
        filing_required=policy.copay_filing_required,
        min_balance=policy.copay_min_balance,
    )


def live_copays(*, authorizer: Person | None = None,
                beneficiary: Person | None = None) -> QuerySet:
    qs = CoPayAuthorization.objects.filter(status__in=COPAY_HOLDS_SLOT)
    if authorizer is not None:
        qs = qs.filter(authorizer=authorizer)
    if beneficiary is not None:
        qs = qs.filter(beneficiary=beneficiary)
    return qs


def personal_account_balance(person: Person):
    """The authorizer's personal-account balance, or None without an account."""
    return settlement_facts().personal_account_balance(person)


def work_calendar(region: Region | int | None = None) -> WorkCalendar:
    """The official calendar with the override table merged for one region (regional rows
    win over national ones): one query, build it once per request or command."""
    region_id = region.pk if isinstance(region, Region) else region
    rows = CalendarOverride.objects.filter(
        Q(region__isnull=True) | Q(region_id=region_id)
    ).values_list("day", "is_working_day", "region_id")
    overrides: dict[datetime.date, bool] = {}
    national_years: set[int] = set()
    for day, working, row_region in sorted(rows, key=lambda r: r[2] is not None):
        overrides[day] = working
        if row_region is None:
            national_years.add(day.year)
    return WorkCalendar(overrides=overrides, override_years=frozenset(national_years))


def review_policy_for(applications) -> dict[int, RegionPolicy]:
    """application pk → the policy version in force on its submission day (what its
    receipt promised); one query for all the applications' regions."""
    applications = list(applications)
    region_ids = {a.hall.region_id for a in applications}
    versions: dict[int, list[RegionPolicy]] = {}
    for policy in RegionPolicy.objects.filter(region_id__in=region_ids).order_by(
            "-effective_from"):
        versions.setdefault(policy.region_id, []).append(policy)
    found = {}
    for a in applications:
        day = china_date(a.submitted_at)
        region_id = a.hall.region_id
        found[a.pk] = next((p for p in versions.get(region_id, []) if p.effective_from <= day),
                           RegionPolicy(region_id=region_id, effective_from=day))
    return found
