"""Temporal workflows (deterministic): import domain and the activity functions they call, nothing else."""
