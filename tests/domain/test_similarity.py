"""Word overlap between two tickets: what a similar-ticket suggestion's score means."""

from domain.knowledge import highlight
from domain.similarity import overlap


def test_the_score_is_shared_words_over_the_root_of_both_counts() -> None:
    score, shared = overlap(["付款", "页面", "转圈", "订单"], ["页面", "转圈"])
    assert shared == ["页面", "转圈"] and score == 2 / (4 * 2) ** 0.5
    assert overlap(["付款"], []) == (0.0, [])


def test_a_highlight_marks_the_longest_match_first() -> None:
    assert highlight("查询订单物流信息", ["物流", "物流信息"]) == "查询订单【物流信息】"
