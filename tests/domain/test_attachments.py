"""Evidence types are told from the first bytes; a name whose extension lies is corrected."""

import pytest

from domain.attachments import safe_name, sniff


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"%PDF-1.7\n", "application/pdf"),
        (b"\x89PNG\r\n\x1a\n\x00", "image/png"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg"),
        (b"GIF89a\x01\x00", "image/gif"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"ID3\x04\x00\x00", "audio/mpeg"),
        (b"\x00\x00\x00\x20ftypM4A ", "audio/mp4"),
        (b"PK\x03\x04\x14\x00", "application/zip"),
        ("通话记录 13:05 客户来电".encode(), "text/plain"),
        ("截断的中".encode()[:-1], "text/plain"),
        (b"MZ\x90\x00\x03\x00\x00\x00", None),
        (b"\x7fELF\x02\x01\x01\x00", None),
        (b"", None),
    ],
)
def test_sniff(head: bytes, expected: str | None) -> None:
    assert sniff(head) == expected


def test_safe_name_drops_paths_and_corrects_the_extension() -> None:
    assert safe_name("../../etc/报告.PDF", "application/pdf") == "报告.PDF"
    assert safe_name("C:\\Users\\a\\截图.pdf", "image/png") == "截图.png"
    assert safe_name("call.jpeg", "image/jpeg") == "call.jpeg"
    assert safe_name(None, "text/plain") == "attachment.txt"
