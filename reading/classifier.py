"""The intake classifier: TF-IDF over jieba tokens and character n-grams, and a logistic regression per
field (category, kind), trained deterministically on the desk's labelled contacts (shipped, plus the
corrections re-sorting made)."""

import pickle
import threading
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from domain.classification import Guess
from domain.enums import Category, Kind
from domain.masking import mask_text
from reading.segment import tokens

SHIPPED_LABELLED = Path(__file__).with_name("labelled.tsv")


class Example(BaseModel):
    """One labelled contact."""

    text: str
    category: Category
    kind: Kind


def load_examples(path: Path = SHIPPED_LABELLED) -> list[Example]:
    """The labelled set of a TSV file: `category<TAB>kind<TAB>text`, `#` lines are comments."""
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        category, kind, text = line.split("\t", 2)
        examples.append(Example(text=text, category=Category(category), kind=Kind(kind)))
    return examples


def with_desk(desk: Iterable[tuple[str, Category, Kind]]) -> list[Example]:
    """The shipped contacts, then the desk's own (contact details masked: a phone number is no feature)."""
    return load_examples() + [Example(text=mask_text(text), category=c, kind=k) for text, c, k in desk]


def _union() -> FeatureUnion:
    # Words and word pairs, plus single characters and character pairs: a word jieba splits differently
    # (驿站, 跑毛, 狡辩) still shares its characters. Chosen by 5-fold cross-validation on the training split
    # only (accuracy there 0.84 → 0.89).
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=_features, sublinear_tf=True)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 2), sublinear_tf=True)),
        ]
    )


def _model() -> LogisticRegression:
    # Classes weighted by their rarity, since the desk's own examples are not balanced; lbfgs with a fixed
    # seed gives the same model from the same examples.
    return LogisticRegression(C=20.0, max_iter=2_000, random_state=0, class_weight="balanced")


def _features(text: str) -> list[str]:
    words = tokens(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


class TextClassifier:
    """One set of features, a model a field on it; `guess` is safe to call from several threads."""

    def __init__(self, examples: Iterable[Example]) -> None:
        rows = list(examples)
        self.size = len(rows)
        # Both fields read the same features: a text is segmented once a guess, not once a field.
        self._features = _union()
        x = self._features.fit_transform([e.text for e in rows])
        self._category = _model().fit(x, [e.category.value for e in rows])
        self._kind = _model().fit(x, [e.kind.value for e in rows])

    def guess(self, text: str) -> Guess:
        x = self._features.transform([text])
        cat_p = self._category.predict_proba(x)[0]
        kind_p = self._kind.predict_proba(x)[0]
        ci, ki = int(cat_p.argmax()), int(kind_p.argmax())
        return Guess(
            category=Category(self._category.classes_[ci]),
            category_p=float(cat_p[ci]),
            kind=Kind(self._kind.classes_[ki]),
            kind_p=float(kind_p[ki]),
        )


def to_bytes(model: TextClassifier) -> bytes:
    """The trained model as stored in `classifier_models`."""
    return pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL)


def from_bytes(blob: bytes) -> TextClassifier:
    """A stored model. Pickle, since scikit-learn models have no other format; the table is written only by
    the desk's own trainer (the schedule's activity and `ticketflow classifier train`)."""
    model = pickle.loads(blob)  # noqa: S301
    if not isinstance(model, TextClassifier):
        raise TypeError(f"not a TextClassifier: {type(model).__name__}")
    return model


def held_out(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """Every fourth example of each category held out: a stratified, deterministic train/test split."""
    train: list[Example] = []
    test: list[Example] = []
    seen: Counter[Category] = Counter()
    for e in examples:
        seen[e.category] += 1
        (test if seen[e.category] % 4 == 0 else train).append(e)
    return train, test


def accuracy(model: TextClassifier, test: list[Example]) -> tuple[float, float]:
    """The share of `test` whose category, and whose kind, the model guesses right."""
    guesses = [model.guess(e.text) for e in test]
    n = max(1, len(test))
    return (
        sum(g.category is e.category for g, e in zip(guesses, test, strict=True)) / n,
        sum(g.kind is e.kind for g, e in zip(guesses, test, strict=True)) / n,
    )


_lock = threading.Lock()


@lru_cache(maxsize=1)
def _shipped() -> TextClassifier:
    return TextClassifier(load_examples())


def default_classifier() -> TextClassifier:
    """The classifier trained on the shipped labelled set, at first use (once per process)."""
    with _lock:
        return _shipped()
