"""The intake classifier trains deterministically on the shipped labelled set (runs in `make test`)."""

from domain.enums import Category, Kind
from reading.classifier import TextClassifier, default_classifier, load_examples
from reading.segment import tokens


def test_segmentation_splits_chinese_without_spaces_and_folds_numbers() -> None:
    assert tokens("订单号230930001, 支付成功后未收到发货短信") == [
        "订单号", "<num>", "支付", "成功", "后", "未", "收到", "发货", "短信",
    ]  # fmt: skip


def test_the_shipped_set_covers_every_category_and_kind() -> None:
    examples = load_examples()
    assert len(examples) >= 100
    assert {e.category for e in examples} == set(Category)
    assert {e.kind for e in examples} == set(Kind)


def test_training_twice_gives_the_same_answers() -> None:
    again = TextClassifier(load_examples())
    for text in ["快递三天没动了", "APP登录一直失败", "收到的衣服线头很多", "今天心情一般"]:
        assert again.guess(text) == default_classifier().guess(text)
    assert default_classifier().guess("快递三天没动了").category is Category.LOGISTICS
