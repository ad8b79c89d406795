"""The processes: the Temporal worker, and the `ticketflow` command that starts the stack."""
