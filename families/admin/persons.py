from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.admin_actions import confirm_then_call
from accounts.admin_mixins import ReadOnlyAdminMixin
from accounts.paginator import EstimatedCountPaginator
from accounts.scoping import RegionScopedAdminMixin
from families.admin.search import PersonSearchMixin
from families.chinatime import age_on, china_date
from families.models import Binding, Person
from families.services import evoucher_activate
from families.views.reveal import reveal_link

# Counter clerks record e-voucher activation (the clerk's own intake permission).
ACTIVATE_PERMISSION = "families.add_counterapplication"


class _BindingInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = Binding
    extra = 0
    can_delete = False
    show_change_link = True
    ordering = ["-applied_at"]


class BindingsAsHolderInline(_BindingInline):
    fk_name = "holder"
    verbose_name = _("作为绑定人的绑定")
    verbose_name_plural = _("作为绑定人的绑定")
    fields = ["member_masked", "relationship", "channel", "status", "applied_at", "ended_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        # both parties: each row's title (Binding.__str__) names holder and member
        return super().get_queryset(request).select_related("holder", "member")

    @admin.display(description=_("被绑定人"))
    def member_masked(self, obj):
        return str(obj.member)


class BindingsAsMemberInline(_BindingInline):
    fk_name = "member"
    verbose_name = _("作为被绑定人的绑定")
    verbose_name_plural = _("作为被绑定人的绑定")
    fields = ["holder_masked", "relationship", "channel", "status", "applied_at", "ended_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        # both parties: each row's title (Binding.__str__) names holder and member
        return super().get_queryset(request).select_related("holder", "member")

    @admin.display(description=_("绑定人"))
    def holder_masked(self, obj):
        return str(obj.holder)


@admin.register(Person)
class PersonAdmin(RegionScopedAdminMixin, PersonSearchMixin, ReadOnlyAdminMixin,
                  admin.ModelAdmin):
    """Persons come from the registry feed (`import_persons`); the counter only reads.
    ID numbers and phones are masked; revealing them is an audited action."""

    region_field = "insured_region"
    list_display = ["name", "masked_id_number", "sex", "age", "insurance_type",
                    "insured_region", "insurance_status", "evoucher", "death_date"]
    list_select_related = ["insured_region"]
    list_filter = ["insurance_status", "insurance_type"]
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    paginator = EstimatedCountPaginator
    ordering = ["-id"]
    fields = ["name", "id_type", "masked_id_number", "sex", "age", "masked_phone",
              "insurance_type", "insured_region", "insurance_status", "evoucher_activated_at",
              "death_date", "birth_region", "reveal"]
    readonly_fields = fields
    inlines = [BindingsAsHolderInline, BindingsAsMemberInline]
    actions = ["record_evoucher_activation"]

    @admin.action(description=_("登记电子凭证已激活(线下激活)"), permissions=["activate"])
    def record_evoucher_activation(self, request, queryset):
        """Binding rule 9: staff record an offline e-voucher activation, with a reason;
        the person page and the counter pre-check show it."""
        return confirm_then_call(
            self, request, queryset, permission=ACTIVATE_PERMISSION,
            action_name="record_evoucher_activation", title=_("登记电子凭证已激活"),
            explanation=_("核验本人身份后登记其医保电子凭证已激活;已激活的不会重复登记。"),
            call=lambda person, **kw: evoucher_activate(person=person, **kw),
            label=lambda person: f"{person.name} {person.masked_id_number}",
        )

    def has_activate_permission(self, request) -> bool:
        return request.user.has_perm(ACTIVATE_PERMISSION)

    def get_queryset(self, request):
        # the person page shows both regions; the changelist joins the small region table
        return super().get_queryset(request).select_related("insured_region", "birth_region")

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not request.user.has_perm("families.reveal_person_identity"):
            fields.remove("reveal")
        return fields

    @admin.display(description=_("完整证件号码和电话"))
    def reveal(self, obj: Person) -> str:
        # Showing the full values is an explicit, audited action on its own page.
        return reveal_link(obj)

    @admin.display(description=_("年龄"))
    def age(self, obj: Person) -> str:
        # Age, never the birth date: the birth date is the masked part of the ID number.
        return _("%(age)s岁") % {"age": age_on(obj.birth_date, china_date())}

    @admin.display(description=_("证件号码"))
    def masked_id_number(self, obj: Person) -> str:
        return obj.masked_id_number

    @admin.display(description=_("联系电话"))
    def masked_phone(self, obj: Person) -> str:
        return obj.masked_phone

    @admin.display(description=_("电子凭证"), boolean=True)
    def evoucher(self, obj: Person) -> bool:
        return obj.evoucher_activated_at is not None
