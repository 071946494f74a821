from families.admin import bindings, counter, persons, policy, proofs  # noqa: F401
