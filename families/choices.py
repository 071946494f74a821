"""Enumerations shared by models, rules and forms."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class IdType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    PASSPORT = "passport", _("护照")
    HK_MACAO_PERMIT = "hk_macao", _("港澳居民来往内地通行证")
    TAIWAN_PERMIT = "taiwan", _("台湾居民来往大陆通行证")
    FOREIGN_PR = "foreign_pr", _("外国人永久居留身份证")


class Sex(models.TextChoices):
    MALE = "M", _("男")
    FEMALE = "F", _("女")


class InsuranceType(models.TextChoices):
    EMPLOYEE = "employee", _("职工医保")
    RESIDENT = "resident", _("居民医保")


class InsuranceStatus(models.TextChoices):
    NORMAL = "normal", _("正常")
    SUSPENDED = "suspended", _("暂停")
    TERMINATED = "terminated", _("终止")


class Relationship(models.TextChoices):
    """Stored from the holder's side: "the member is the holder's <relationship>"."""

    SPOUSE = "spouse", _("配偶")
    PARENT = "parent", _("父母")
    CHILD = "child", _("子女")
    GRANDPARENT = "grandparent", _("祖父母/外祖父母")
    GRANDCHILD = "grandchild", _("孙子女/外孙子女")
    SIBLING = "sibling", _("兄弟姐妹")


INVERSE_RELATIONSHIP = {
    Relationship.SPOUSE: Relationship.SPOUSE,
    Relationship.PARENT: Relationship.CHILD,
    Relationship.CHILD: Relationship.PARENT,
    Relationship.GRANDPARENT: Relationship.GRANDCHILD,
    Relationship.GRANDCHILD: Relationship.GRANDPARENT,
    Relationship.SIBLING: Relationship.SIBLING,
}

CORE_RELATIONSHIPS = [Relationship.SPOUSE, Relationship.PARENT, Relationship.CHILD]
NEAR_RELATIONSHIPS = [*CORE_RELATIONSHIPS, Relationship.GRANDPARENT, Relationship.GRANDCHILD,
                      Relationship.SIBLING]


class ProofType(models.TextChoices):
    HOUSEHOLD_REGISTER = "household_register", _("户口簿")
    MARRIAGE_CERTIFICATE = "marriage_certificate", _("结婚证")
    BIRTH_CERTIFICATE = "birth_certificate", _("出生医学证明")
    POLICE_CERTIFICATE = "police_certificate", _("公安机关亲属关系证明")


ACCEPTED_PROOFS = {
    Relationship.SPOUSE: {ProofType.MARRIAGE_CERTIFICATE, ProofType.POLICE_CERTIFICATE},
    Relationship.PARENT: {ProofType.HOUSEHOLD_REGISTER, ProofType.BIRTH_CERTIFICATE,
                          ProofType.POLICE_CERTIFICATE},
    Relationship.CHILD: {ProofType.HOUSEHOLD_REGISTER, ProofType.BIRTH_CERTIFICATE,
                         ProofType.POLICE_CERTIFICATE},
    Relationship.GRANDPARENT: {ProofType.HOUSEHOLD_REGISTER, ProofType.POLICE_CERTIFICATE},
    Relationship.GRANDCHILD: {ProofType.HOUSEHOLD_REGISTER, ProofType.POLICE_CERTIFICATE},
    Relationship.SIBLING: {ProofType.HOUSEHOLD_REGISTER, ProofType.POLICE_CERTIFICATE},
}


class Channel(models.TextChoices):
    NATIONAL_APP = "national_app", _("国家医保服务平台APP")
    WECHAT = "wechat", _("微信")
    ALIPAY = "alipay", _("支付宝")
    BANK_APP = "bank_app", _("银行APP")
    COUNTER = "counter", _("窗口")


class ConsentMethod(models.TextChoices):
    FACE = "face", _("渠道刷脸认证")
    COUNTER = "counter", _("窗口线下核验")
    GUARDIAN = "guardian", _("未成年人监护人办理")
    BIRTH_EXEMPTION = "birth_exemption", _("出生登记免材料")


class BindingStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACTIVE = "active", _("已绑定")
    UNBOUND = "unbound", _("已解绑")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXPIRED = "expired", _("已过期")


# Statuses that hold a slot in the binding limits (DOMAIN.md binding rules 1-3).
BINDING_HOLDS_SLOT = [BindingStatus.PENDING, BindingStatus.ACTIVE]
# Statuses counted by the natural-month limit: applied this month and not refused.
BINDING_COUNTS_MONTHLY = [BindingStatus.PENDING, BindingStatus.ACTIVE, BindingStatus.UNBOUND]


class CoPayStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    ACTIVE = "active", _("生效中")
    SUSPENDED = "suspended", _("已暂停")
    REVOKED = "revoked", _("已撤销")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXPIRED = "expired", _("已过期")


COPAY_HOLDS_SLOT = [CoPayStatus.PENDING, CoPayStatus.ACTIVE, CoPayStatus.SUSPENDED]


class CoPayScope(models.TextChoices):
    CORE = "core", _("核心家庭(配偶、父母、子女)")
    NEAR = "near", _("近亲属(含祖孙、兄弟姐妹)")


class NoFaceReason(models.TextChoices):
    ELDERLY = "elderly", _("高龄")
    AWAY = "away", _("身在异地/境外")
    DISABILITY = "disability", _("残障")
    NO_SMARTPHONE = "no_smartphone", _("无智能手机")
    MINOR = "minor", _("未成年人")
    OTHER = "other", _("其他")


class ApplicationKind(models.TextChoices):
    BINDING = "binding", _("亲情账户绑定")
    COPAY = "copay", _("家庭共济授权")


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("已驳回")
    WITHDRAWN = "withdrawn", _("已撤回")
    EXPIRED = "expired", _("已过期")
