"""ticketflow: durable customer-service tickets, one Temporal workflow per ticket."""
