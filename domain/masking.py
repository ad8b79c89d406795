"""Privacy: the masked forms of contact that may leave Postgres (李*, 138****5678, l***@example.com)."""


def mask_name(name: str) -> str:
    """Keep the first character: 李四 → 李*, Alice → A*."""
    name = name.strip()
    return f"{name[0]}*" if name else ""


def mask_phone(phone: str) -> str:
    """Keep the first 3 and last 4 digits of a mobile number; shorter numbers keep the last 4 only."""
    digits = "".join(c for c in phone if c.isdigit())
    if len(digits) >= 11:
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return f"****{digits[-4:]}"
    return "****"


def mask_email(email: str) -> str:
    """l***@example.com: the domain stays (it routes), the mailbox does not."""
    local, sep, domain = email.strip().partition("@")
    if not sep:
        return "***"
    return f"{local[:1]}***@{domain}"
