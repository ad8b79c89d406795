"""The traced cause a ticket is resolved with: when it is required, and who it is verified by (seed 003)."""

from domain.actions import RootCause
from domain.enums import Kind
from domain.policy import Policy


def missing_cause(policy: Policy, kind: Kind, cause: RootCause | None) -> str | None:
    """Why a resolution without its cause is refused (complaints and faults by default), else None."""
    if cause is None and kind in policy.root_cause.required_for:
        return (
            f"a {kind.value} is resolved with its root cause (5W1H, 5-Why, fishbone factors, evidence);"
            " see the policy's root_cause.required_for"
        )
    return None


def stamped(cause: RootCause, by: str) -> RootCause:
    """The cause as recorded: verified by the one who resolved it when they say it is verified, else by nobody
    (a caller cannot name someone else as the verifier)."""
    return cause.model_copy(update={"verified_by": by if cause.verified else None})


def disputed(cause: RootCause | None) -> RootCause | None:
    """The customer disputes the cause: it is no longer verified until traced again (seed 003, 第六步)."""
    if cause is None:
        return None
    return cause.model_copy(update={"verified": False, "verified_by": None})
