from families.admin import bindings, calendar, copay, counter, persons, policy, proofs  # noqa: F401
