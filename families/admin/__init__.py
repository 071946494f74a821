from families.admin import bindings, persons, policy, proofs  # noqa: F401  (registration)
