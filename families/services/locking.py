from families.models import Person


def lock_persons(*persons: Person) -> dict[int, Person]:
    """Row-lock the persons a rule counts, in primary-key order (no deadlocks between two
    services locking the same pair), and return fresh copies read under the lock."""
    ids = sorted({p.pk for p in persons})
    rows = (
        Person.objects.select_for_update(of=("self",))
        .select_related("insured_region", "birth_region")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    return {p.pk: p for p in rows}
