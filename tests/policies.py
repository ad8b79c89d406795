"""The policy the behaviour tests run under: the shipped one, or the copy `TICKETFLOW_TEST_POLICY` names.

`tests/mutate_policy.py` points that variable at a policy with one number changed, so the tests that
read the policy through here (the `policy` and `settings` fixtures) are the ones a changed number reaches.
"""

import os
from functools import cache
from pathlib import Path

from domain.policy import SHIPPED_POLICY, Policy, load_policy

TEST_POLICY_ENV = "TICKETFLOW_TEST_POLICY"


def policy_file() -> Path:
    """The file of the policy under test."""
    return Path(os.environ.get(TEST_POLICY_ENV) or SHIPPED_POLICY)


@cache
def policy_under_test() -> Policy:
    """The policy under test, loaded once a process."""
    return load_policy(policy_file())
