"""窗口受理: offline counter verification (DOMAIN.md "Offline counter verification").

A clerk takes the application (`application_submit`: kinship proof + scans + pending
binding + application, one transaction); a *different* supervisor approves or rejects it
(`application_approve` / `application_reject`, four-eyes); the citizen may withdraw it
(`application_withdraw`); `expire_applications` ends those that waited too long
(`application_expire`). Each operation changes the application and its target (the
binding) in the same transaction, through the target's own services, so no rule is
re-implemented here.

What is applied for is `CounterApplication.kind`; `KIND_OPERATIONS` maps each enabled
kind to its operations: 亲情账户绑定 (families.services.bindings) and 家庭共济授权
(families.services.copay).
"""
from families.services.counter.kinds import (
    KIND_OPERATIONS,
    IntakeData,
    KindOperations,
    application_precheck,
    application_review_checks,
    application_target,
    consent_method_for,
    enabled_kinds,
)
from families.services.counter.operations import (
    SUBMIT_PERMISSION,
    application_approve,
    application_expire,
    application_reject,
    application_submit,
    application_withdraw,
    next_application_number,
)

__all__ = [
    "KIND_OPERATIONS",
    "SUBMIT_PERMISSION",
    "IntakeData",
    "KindOperations",
    "application_approve",
    "application_expire",
    "application_precheck",
    "application_reject",
    "application_review_checks",
    "application_submit",
    "application_target",
    "application_withdraw",
    "consent_method_for",
    "enabled_kinds",
    "next_application_number",
]
