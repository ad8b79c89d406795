"""Delivery channels of notifications: structured log (always), signed webhook, SMTP e-mail."""
