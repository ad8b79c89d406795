"""The `ticketflow` command and the embedded dev stack it starts."""
