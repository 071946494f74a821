from families.admin import bindings, copay, counter, persons, policy, proofs  # noqa: F401
