"""The custom search attributes operators filter tickets by in the Temporal UI. Declared once, here.

No PII ever goes into one: codecs do not encrypt search attributes.
"""

from temporalio.common import SearchAttributeKey

STATUS = SearchAttributeKey.for_keyword("TicketStatus")
PRIORITY = SearchAttributeKey.for_keyword("TicketPriority")
CATEGORY = SearchAttributeKey.for_keyword("TicketCategory")
KIND = SearchAttributeKey.for_keyword("TicketKind")
CHANNEL = SearchAttributeKey.for_keyword("TicketChannel")
TEAM = SearchAttributeKey.for_keyword("TicketTeam")
ASSIGNEE = SearchAttributeKey.for_keyword("TicketAssignee")
ESCALATION_LEVEL = SearchAttributeKey.for_int("TicketEscalationLevel")
SLA_BREACHED = SearchAttributeKey.for_bool("TicketSlaBreached")
DUE_AT = SearchAttributeKey.for_datetime("TicketDueAt")
# Corrective actions' workflows (issue 22): `CorrectiveStatus = "overdue"`, an owner's actions, the due ones.
CORRECTIVE_STATUS = SearchAttributeKey.for_keyword("CorrectiveStatus")
CORRECTIVE_OWNER = SearchAttributeKey.for_keyword("CorrectiveOwner")
CORRECTIVE_DUE_AT = SearchAttributeKey.for_datetime("CorrectiveDueAt")

ALL = (
    STATUS,
    PRIORITY,
    CATEGORY,
    KIND,
    CHANNEL,
    TEAM,
    ASSIGNEE,
    ESCALATION_LEVEL,
    SLA_BREACHED,
    DUE_AT,
    CORRECTIVE_STATUS,
    CORRECTIVE_OWNER,
    CORRECTIVE_DUE_AT,
)

# The `temporal server start-dev --search-attribute NAME=TYPE` spelling of each.
_CLI_TYPE = {"KEYWORD": "Keyword", "INT": "Int", "BOOL": "Bool", "DATETIME": "Datetime"}


def cli_flags() -> list[str]:
    flags = []
    for key in ALL:
        flags += ["--search-attribute", f"{key.name}={_CLI_TYPE[key.indexed_value_type.name]}"]
    return flags
