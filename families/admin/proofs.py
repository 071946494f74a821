from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_mixins import ReadOnlyAdminMixin, masked_id_column
from accounts.paginator import EstimatedCountPaginator
from accounts.scoping import RegionScopedAdminMixin
from families.admin.search import PersonSearchMixin
from families.models import KinshipProof, ProofScan


class ProofScanInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ProofScan
    extra = 0
    fields = ["original_name", "content_type", "size", "uploaded_at", "uploaded_by"]
    readonly_fields = fields


@admin.register(KinshipProof)
class KinshipProofAdmin(RegionScopedAdminMixin, PersonSearchMixin, ReadOnlyAdminMixin,
                        admin.ModelAdmin):
    """Proofs are registered through the counter intake; read-only here."""

    region_field = "person_a__insured_region"
    person_search_paths = ("person_a__", "person_b__")
    list_display = ["proof_type", "document_number", "person_a_masked", "relationship",
                    "person_b_masked", "issued_date", "revoked_at"]
    list_select_related = ["person_a", "person_b"]
    list_filter = ["proof_type"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    paginator = EstimatedCountPaginator
    fields = ["proof_type", "document_number", "person_a_masked", "relationship",
              "person_b_masked", "issued_date", "revoked_at", "revoked_reason",
              "created_at", "created_by"]
    readonly_fields = fields
    inlines = [ProofScanInline]

    person_a_masked = masked_id_column("person_a", _("当事人甲"))
    person_b_masked = masked_id_column("person_b", _("当事人乙"))
