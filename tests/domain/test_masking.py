"""Contact details typed into free text are masked wherever the text goes (seeds 000, 003)."""

import pytest

from domain.masking import mask_text


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("请拨打13812345678联系我", "请拨打138****5678联系我"),
        ("手机 138 1234 5678 或 +86 139-1234-5678", "手机 138****5678 或 139****5678"),
        ("座机 010-12345678", "座机 *******5678"),
        ("邮箱 li.si@example.com", "邮箱 l***@example.com"),
        ("身份证110101199003071234", "身份证110***********1234"),
        ("身份证 11010119900307123X", "身份证 110***********123X"),
        ("卡号 6222 0212 3456 7890", "卡号 ************7890"),
        ("卡号6222021234567890123", "卡号***************0123"),
    ],
)
def test_phones_emails_id_and_card_numbers_are_masked(typed: str, shown: str) -> None:
    assert mask_text(typed) == shown


@pytest.mark.parametrize(
    "plain", ["订单号230930001", "工单 202612-000123", "退款 12345.67 元", "2026-12-04 18:00前", "第3次来电"]
)
def test_order_numbers_ticket_numbers_amounts_and_dates_stay_as_typed(plain: str) -> None:
    assert mask_text(plain) == plain
