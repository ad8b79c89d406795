"""Sorting a contact by the policy's keyword rules and the classifier's guess (seeds 000, 003)."""

from datetime import timedelta

from domain.classification import Guess, decide, keyword_match
from domain.enums import Category, Kind
from domain.policy import load_policy

POLICY = load_policy()


def test_the_shipped_policy_has_keywords_for_every_category_and_every_kind() -> None:
    rules = POLICY.classification.rules
    assert {r.category for r in rules if r.category} == set(Category)
    assert {r.kind for r in rules if r.kind} == set(Kind)
    c = POLICY.classification
    assert (c.threshold, c.rule_confidence, c.desk_examples) == (0.5, 0.9, 5_000)
    assert c.retrain_every == timedelta(days=7)


def test_the_category_with_most_keyword_hits_wins() -> None:
    # 退款 and 到账 (after-sales) outnumber 快递 (logistics).
    assert keyword_match(POLICY, "快递退回后退款还没到账") == (Category.AFTER_SALES_REFUND, None)
    assert keyword_match(POLICY, "天气不错") == (None, None)


def test_a_tie_between_categories_is_left_to_the_classifier() -> None:
    # 快递 (logistics) once, 态度 (attitude) once: no rule answer, whichever rule comes first.
    assert keyword_match(POLICY, "快递客服态度冷淡")[0] is None
    assert keyword_match(POLICY, "快递客服态度冷淡,爱答不理")[0] is Category.SERVICE_ATTITUDE
    guess = Guess(category=Category.SERVICE_ATTITUDE, category_p=0.6, kind=Kind.COMPLAINT, kind_p=0.8)
    sorted_ = decide(POLICY, "快递客服态度冷淡", None, None, guess)
    assert (sorted_.category, sorted_.category_source) == (Category.SERVICE_ATTITUDE, "model")


def test_other_has_rules_of_its_own() -> None:
    assert keyword_match(POLICY, "想申请成为你们的代理商,怎么联系商务")[0] is Category.OTHER


def test_a_rule_beats_the_guess_and_a_sure_guess_fills_what_no_rule_knows() -> None:
    guess = Guess(category=Category.OTHER, category_p=0.8, kind=Kind.COMPLAINT, kind_p=0.7)
    sorted_ = decide(POLICY, "支付成功后未收到发货短信", None, None, guess)
    assert (sorted_.category, sorted_.category_source) == (Category.LOGISTICS, "rules")
    assert (sorted_.kind, sorted_.kind_source) == (Kind.COMPLAINT, "model")
    assert sorted_.confidence == 0.7 and not sorted_.needs_triage


def test_below_the_threshold_the_field_takes_the_triage_value_and_a_person_sorts_it() -> None:
    guess = Guess(category=Category.LOGISTICS, category_p=0.49, kind=Kind.COMPLAINT, kind_p=0.9)
    sorted_ = decide(POLICY, "天气不错", None, None, guess)
    assert sorted_.needs_triage and sorted_.confidence == 0.49
    assert (sorted_.category, sorted_.category_source) == (Category.OTHER, "triage")
    assert (sorted_.guess_category, sorted_.kind) == (Category.LOGISTICS, Kind.COMPLAINT)
    at_threshold = decide(POLICY, "天气不错", None, None, guess.model_copy(update={"category_p": 0.5}))
    assert not at_threshold.needs_triage


def test_given_values_stand() -> None:
    sorted_ = decide(POLICY, "快递没到", Category.OTHER, Kind.SUGGESTION, None)
    assert (sorted_.category, sorted_.kind, sorted_.confidence) == (Category.OTHER, Kind.SUGGESTION, 1.0)
