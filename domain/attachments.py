"""Evidence files: the types a ticket accepts, told from their first bytes (never from the file name)."""

from pathlib import PurePosixPath

from pydantic import BaseModel, Field

# Accepted types and the extensions each is known by; the first names a download whose name lies.
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "audio/mpeg": (".mp3",),
    "audio/wav": (".wav",),
    "audio/mp4": (".m4a", ".mp4"),
    "application/zip": (".zip", ".docx", ".xlsx", ".pptx"),
    "text/plain": (".txt", ".log", ".csv"),
}


def sniff(head: bytes) -> str | None:
    """The content type of a file from its first bytes, or None when it is none the desk accepts."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if head[4:8] == b"ftyp":
        return "audio/mp4"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    return "text/plain" if _text(head) else None


def _text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start >= len(head) - 3  # a multi-byte character cut at the end of the sample
    return True


def safe_name(name: str | None, content_type: str) -> str:
    """The file's own name without any path, its extension corrected when the content says otherwise."""
    base = PurePosixPath((name or "").replace("\\", "/")).name.strip()[:200] or "attachment"
    known = EXTENSIONS[content_type]
    if PurePosixPath(base).suffix.lower() in known:
        return base
    return PurePosixPath(base).stem + known[0]


class AttachmentAdded(BaseModel):
    """Signalled to the ticket so the file is on its timeline (the content stays in the store)."""

    id: int
    name: str = Field(max_length=200)
    content_type: str
    size: int
    by: str
