"""Reads of the channel API: a party's link by id, a person's live links."""

from django.db.models import Q, QuerySet

from families.choices import BINDING_HOLDS_SLOT, COPAY_HOLDS_SLOT
from families.models import Binding, CoPayAuthorization, Person

BINDING_RELATED = ("holder", "member")
COPAY_RELATED = ("authorizer", "beneficiary")


def binding_of_party(binding_id: int, person: Person) -> Binding | None:
    return (Binding.objects.select_related(*BINDING_RELATED)
            .filter(Q(holder=person) | Q(member=person), pk=binding_id).first())


def copay_of_party(authorization_id: int, person: Person) -> CoPayAuthorization | None:
    return (CoPayAuthorization.objects.select_related(*COPAY_RELATED)
            .filter(Q(authorizer=person) | Q(beneficiary=person), pk=authorization_id).first())


def live_links(person: Person) -> tuple[QuerySet, QuerySet]:
    """Pending and active bindings, and live co-pay authorizations, on either side."""
    bindings = (Binding.objects.select_related(*BINDING_RELATED)
                .filter(Q(holder=person) | Q(member=person), status__in=BINDING_HOLDS_SLOT)
                .order_by("-applied_at", "-pk"))
    copays = (CoPayAuthorization.objects.select_related(*COPAY_RELATED)
              .filter(Q(authorizer=person) | Q(beneficiary=person),
                      status__in=COPAY_HOLDS_SLOT)
              .order_by("-applied_at", "-pk"))
    return bindings, copays
