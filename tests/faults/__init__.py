"""Fault tests: real processes broken on purpose, each test ending with exact counts."""
