"""Sorting a contact from its words: the policy's keyword rules, a classifier's guess, and the threshold
below which a person sorts it (`needs_triage`)."""

from collections import Counter
from collections.abc import Iterable
from typing import Literal, TypeVar

from pydantic import BaseModel, Field

from domain.enums import Category, Kind
from domain.policy import Policy

Source = Literal["given", "rules", "model", "triage"]
E = TypeVar("E", Category, Kind)


class Guess(BaseModel):
    """A trained classifier's answer for one text: the likeliest category and kind, each with its
    probability."""

    category: Category
    category_p: float = Field(ge=0, le=1)
    kind: Kind
    kind_p: float = Field(ge=0, le=1)


class Sorted(BaseModel):
    """How intake sorted a ticket: each field's value, how sure, and where it came from."""

    category: Category
    kind: Kind
    category_source: Source
    kind_source: Source
    confidence: float = Field(ge=0, le=1, description="the lesser of the two fields' confidences")
    needs_triage: bool = False
    guess_category: Category | None = Field(
        default=None, description="the best guess, when it was too unsure"
    )
    guess_kind: Kind | None = None


def _best(hits: Iterable[E]) -> E | None:
    # Most hits wins. A tie is no answer: "快递客服态度冷淡" names logistics and attitude once each, and the
    # classifier, which weighs every word, decides better than the order of the rules.
    counted = Counter(hits).most_common(2)
    if not counted or (len(counted) == 2 and counted[0][1] == counted[1][1]):
        return None
    return counted[0][0]


def keyword_match(policy: Policy, text: str) -> tuple[Category | None, Kind | None]:
    """The category and kind the policy's keyword rules find in `text` (None: no rule matched)."""
    lowered = text.lower()
    categories: list[Category] = []
    kinds: list[Kind] = []
    for rule in policy.classification.rules:
        n = sum(1 for word in rule.keywords if word.lower() in lowered)
        if rule.category is not None:
            categories += [rule.category] * n
        if rule.kind is not None:
            kinds += [rule.kind] * n
    return _best(categories), _best(kinds)


def needs_sorting(category: Category | None, kind: Kind | None) -> bool:
    return category is None or kind is None


def decide(
    policy: Policy, text: str, category: Category | None, kind: Kind | None, guess: Guess | None
) -> Sorted:
    """Given values stand; else a keyword rule; else the classifier's guess. A field less sure than the
    threshold takes the policy's triage value, and the ticket needs a person to sort it."""
    c = policy.classification
    rule_category, rule_kind = keyword_match(policy, text)

    def pick(given: E | None, ruled: E | None, guessed: E | None, p: float) -> tuple[E | None, Source, float]:
        if given is not None:
            return given, "given", 1.0
        if ruled is not None:
            return ruled, "rules", c.rule_confidence
        return guessed, "model", p if guessed is not None else 0.0

    cat, cat_source, cat_p = pick(
        category, rule_category, guess.category if guess else None, guess.category_p if guess else 0.0
    )
    knd, kind_source, kind_p = pick(
        kind, rule_kind, guess.kind if guess else None, guess.kind_p if guess else 0.0
    )
    confidence = min(cat_p, kind_p)
    sorted_ = Sorted(
        category=cat if cat is not None and cat_p >= c.threshold else c.triage_category,
        kind=knd if knd is not None and kind_p >= c.threshold else c.triage_kind,
        category_source=cat_source if cat is not None and cat_p >= c.threshold else "triage",
        kind_source=kind_source if knd is not None and kind_p >= c.threshold else "triage",
        confidence=round(confidence, 4),
        needs_triage=confidence < c.threshold,
    )
    if sorted_.needs_triage:
        sorted_.guess_category, sorted_.guess_kind = cat, knd
    return sorted_
