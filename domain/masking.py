"""Privacy: the masked forms of contact that may leave Postgres (李*, 138****5678, l***@example.com)."""

import re


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


# Contact details typed into free text (seeds 000, 003): longest patterns first, digits not inside longer
# runs of digits. The raw text stays in Postgres; everything else sees these forms.
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_ID_CARD = re.compile(
    r"(?<![0-9])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9])"
)
_BANK_CARD = re.compile(r"(?<![0-9])\d(?:[ -]?\d){15,18}(?![0-9])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86[ -]?)?(1[3-9]\d(?:[ -]?\d{4}){2})(?![0-9])")
_LANDLINE = re.compile(r"(?<![0-9])0\d{2,3}[ -]?\d{7,8}(?![0-9])")


def _keep_last4(found: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", found.group())
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_text(text: str) -> str:
    """Phones, e-mail addresses, ID-card and bank-card numbers in free text, masked."""
    text = _EMAIL.sub(lambda m: mask_email(m.group()), text)
    text = _ID_CARD.sub(lambda m: f"{m.group()[:3]}{'*' * 11}{m.group()[-4:]}", text)
    text = _BANK_CARD.sub(_keep_last4, text)
    text = _MOBILE.sub(lambda m: mask_phone(m.group(1)), text)
    return _LANDLINE.sub(_keep_last4, text)
