"""Parts of scripts/load_and_faults.py: setup, HTTP sessions and load phases, invariants."""
