"""Temporal activities: every side effect of a ticket. Thin, idempotent, explicit retry policies."""
