"""The fault suite: real bot subprocesses killed, forged and scanned (`pytest -m faults`)."""
