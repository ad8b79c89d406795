"""The traced cause's rules (seed 003): five whys at most, verified only with evidence, required by kind."""

import pytest
from pydantic import ValidationError

from domain.actions import MAX_WHYS, Evidence, RootCause
from domain.enums import EvidenceKind, Fishbone, Kind
from domain.policy import SHIPPED_POLICY, load_policy
from domain.root_cause import disputed, missing_cause, stamped

BASE = {"what": "包裹破损", "why": "仓库人员未按操作规范执行", "factor": "people"}
CHECKED = [Evidence(kind=EvidenceKind.CROSS_DEPARTMENT, detail="物流部确认搬运未轻拿轻放")]


def test_the_six_fishbone_factors_of_seed_003() -> None:
    assert [f.value for f in Fishbone] == [
        "people",
        "machine",
        "material",
        "method",
        "environment",
        "measurement",
    ]


def test_five_whys_at_most_each_a_sentence() -> None:
    assert MAX_WHYS == 5
    RootCause.model_validate({**BASE, "whys": ["为何破损?"] * 5})
    with pytest.raises(ValidationError, match="at most 5 items"):
        RootCause.model_validate({**BASE, "whys": ["为何破损?"] * 6})
    with pytest.raises(ValidationError, match="whys.0"):
        RootCause.model_validate({**BASE, "whys": [""]})


def test_a_verified_cause_names_its_evidence() -> None:
    with pytest.raises(ValidationError, match="a verified cause names its evidence"):
        RootCause.model_validate({**BASE, "verified": True})
    cause = RootCause.model_validate({**BASE, "verified": True, "evidence": CHECKED})
    assert stamped(cause, "agent-7").verified_by == "agent-7"
    assert stamped(cause.model_copy(update={"verified": False}), "agent-7").verified_by is None
    reopened = disputed(stamped(cause, "agent-7"))
    assert reopened is not None and (reopened.verified, reopened.verified_by) == (False, None)


def test_factors_start_with_the_main_one_each_once() -> None:
    cause = RootCause.model_validate({**BASE, "factors": ["method", "people", "method"]})
    assert cause.factors == [Fishbone.PEOPLE, Fishbone.METHOD]
    assert RootCause.model_validate(BASE).factors == [Fishbone.PEOPLE]


def test_the_shipped_policy_requires_a_cause_for_complaints_and_faults_only() -> None:
    policy = load_policy(SHIPPED_POLICY)
    required = {k for k in Kind if missing_cause(policy, k, None) is not None}
    assert required == {Kind.COMPLAINT, Kind.FAULT_REPORT}
    assert missing_cause(policy, Kind.COMPLAINT, RootCause.model_validate(BASE)) is None
