import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.history import HistoricalRecords
from families.choices import ProofType, Relationship


class KinshipProof(models.Model):
    """亲属关系证明: proves `person_b` is `person_a`'s <relationship>."""

    proof_type = models.CharField(_("证明类型"), max_length=32, choices=ProofType.choices)
    document_number = models.CharField(_("证明编号"), max_length=64)
    person_a = models.ForeignKey(
        "families.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("当事人甲")
    )
    person_b = models.ForeignKey(
        "families.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("当事人乙")
    )
    relationship = models.CharField(
        _("乙是甲的"), max_length=16, choices=Relationship.choices
    )
    issued_date = models.DateField(_("签发日期"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    revoked_reason = models.CharField(_("作废原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("登记人"),
    )
    history = HistoricalRecords(verbose_name=_("亲属关系证明历史"))

    class Meta:
        verbose_name = _("亲属关系证明")
        verbose_name_plural = _("亲属关系证明")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(person_a=models.F("person_b")), name="proof_two_persons"
            ),
        ]
        indexes = [models.Index(fields=["person_a", "person_b"], name="proof_persons_idx")]

    def __str__(self) -> str:
        return f"{self.get_proof_type_display()} {self.document_number}"


def scan_upload_to(instance: "ProofScan", filename: str) -> str:
    # Never trust the client's file name for the path (path tricks, collisions).
    return f"scans/{instance.proof_id}/{uuid.uuid4().hex}{instance.extension}"


class ProofScan(models.Model):
    """A scanned page of a proof or ID document, kept in private storage."""

    proof = models.ForeignKey(
        KinshipProof, on_delete=models.PROTECT, related_name="scans", verbose_name=_("证明")
    )
    file = models.FileField(_("扫描件"), upload_to=scan_upload_to, max_length=200)
    content_type = models.CharField(_("文件类型"), max_length=40)
    size = models.PositiveIntegerField(_("大小(字节)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    original_name = models.CharField(_("原文件名"), max_length=200)
    uploaded_at = models.DateTimeField(_("上传时间"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("上传人"),
    )
    history = HistoricalRecords(verbose_name=_("扫描件历史"))

    EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}

    class Meta:
        verbose_name = _("扫描件")
        verbose_name_plural = _("扫描件")

    def __str__(self) -> str:
        return self.original_name

    @property
    def extension(self) -> str:
        return self.EXTENSIONS.get(self.content_type, ".bin")
