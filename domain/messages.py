"""The words of a notification: template + facts → subject and body, pure, for staff and for customers."""

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict


class RenderedMessage(BaseModel):
    model_config = ConfigDict(frozen=True)

    subject: str
    body: str


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


# Staff templates: (subject, headline). Facts are already masked by the workflow (it holds no raw contact);
# every fact is also listed under the headline so an unexpected fact is never silently dropped.
_STAFF: dict[str, tuple[str, str]] = {
    "urgent_intake": (
        "【紧急】新工单 Urgent ticket {ticket_no}",
        "紧急工单已创建,请立即关注。An urgent ticket was opened and needs attention now.",
    ),
    "complaint_intake": (
        "【投诉】新工单 Complaint {ticket_no}",
        "新的投诉工单已创建,请关注。A complaint was opened; please keep an eye on it.",
    ),
    "repeat_contact_intake": (
        "【重复来电】新工单 Repeat contact {ticket_no}",
        "该客户近期多次就同类问题联系我们,请优先关注。"
        "This customer has contacted us about the same kind of problem again; please give it priority.",
    ),
    "assigned": (
        "新工单分配 Ticket {ticket_no} assigned to you",
        "工单已分配给您,请在{ack_within}内确认接收。The ticket is yours; please acknowledge it.",
    ),
    "unassigned": (
        "工单待分配 Ticket {ticket_no} is waiting in the team queue",
        "团队暂无可用处理人,工单在队列中等待。No one in the team is available; the ticket waits.",
    ),
    "ack_overdue": (
        "工单未确认 Ticket {ticket_no} not acknowledged in time",
        "处理人未在规定时间内确认接收,工单将重新分配。"
        "The assignee did not acknowledge in time; the ticket is offered to the next handler.",
    ),
    "warning": (
        "即将超时 Ticket {ticket_no}: {target} due at {due}",
        "工单即将超过时限,请尽快处理。The ticket is close to its deadline.",
    ),
    "escalated": (
        "工单升级 L{level}: Ticket {ticket_no}",
        "工单已超时并升级至您处理。The ticket breached its deadline and is escalated to you.",
    ),
    "breached": (
        "工单超时 Ticket {ticket_no}: {target} missed",
        "工单已超过时限。The ticket missed its deadline.",
    ),
    "review_requested": (
        "待审核 Ticket {ticket_no}: solution awaiting review",
        "处理人已提交解决方案,请审核。A solution awaits your review.",
    ),
    "review_rejected": (
        "审核退回 Ticket {ticket_no}: solution sent back",
        "主管退回了解决方案,请补充后重新提交。The supervisor sent the solution back.",
    ),
    "reopened": (
        "客户不满意,工单重开 Ticket {ticket_no} reopened",
        "客户对处理结果不满意,工单已重开并提升优先级。"
        "The customer was dissatisfied; the ticket is reopened one priority level up.",
    ),
    "incident": (
        "共性问题 Incident: {category}",
        "短时间内同类工单集中出现,已合并为共性问题。Several tickets of one kind arrived together.",
    ),
    "customer_replied": (
        "客户新留言 Ticket {ticket_no}: the customer wrote",
        "客户补充了新的信息:{text}\nThe customer added: {text}",
    ),
    "call_customer": (
        "请回访客户 Call the customer back: ticket {ticket_no}",
        "请电话联系客户{customer}(电话 {phone}),完整号码请在工单中查看。"
        "Please call the customer {customer} at {phone}; open the ticket for the full number.",
    ),
}

# Customer templates: (subject, text). Only the facts a template names reach the customer.
_CUSTOMER: dict[str, tuple[str, str]] = {
    "callback": (
        "您的工单 {ticket_no} 已处理 Your request {ticket_no} is resolved",
        "您的问题已处理完毕。请告诉我们问题是否已解决,并为本次服务打分(1–5 分)。\n"
        "Your request has been handled. Please tell us whether it is solved and rate our service (1–5).",
    ),
    "extended": (
        "工单 {ticket_no} 处理时间调整 New time for your request {ticket_no}",
        "很抱歉,您的问题需要更多时间处理。新的预计完成时间:{new_due}。原因:{reason}\n"
        "We need more time for your request. New expected time: {new_due}. Reason: {reason}",
    ),
    "received": (
        "已收到您的工单 {ticket_no} We received your request {ticket_no}",
        "我们已收到您的问题,将尽快处理。We have received your request and will handle it soon.",
    ),
    "progress": (
        "工单 {ticket_no} 处理进展 Progress on your request {ticket_no}",
        "{note}",
    ),
    "closed": (
        "工单 {ticket_no} 已关闭 Your request {ticket_no} is closed",
        "感谢您的反馈,工单已关闭。Thank you; your request is closed.",
    ),
}


def _fill(text: str, ticket_no: str, facts: Mapping[str, str]) -> str:
    return text.format_map(_Missing({**facts, "ticket_no": ticket_no}))


def _fact_lines(facts: Mapping[str, str]) -> str:
    return "\n".join(f"- {k}: {v}" for k, v in sorted(facts.items()))


def render_staff(template: str, ticket_no: str, facts: Mapping[str, str]) -> RenderedMessage:
    """A message to a member of staff; an unknown template gets a generic text listing the facts."""
    subject, headline = _STAFF.get(
        template, (f"工单通知 Ticket {{ticket_no}}: {template}", "工单有新的动态。There is news on a ticket.")
    )
    parts = [_fill(headline, ticket_no, facts), f"工单 Ticket: {ticket_no}"]
    if facts:
        parts.append(_fact_lines(facts))
    return RenderedMessage(subject=_fill(subject, ticket_no, facts), body="\n\n".join(parts))


def render_customer(
    template: str, ticket_no: str, facts: Mapping[str, str], feedback_url: str | None = None
) -> RenderedMessage:
    """A message to the customer; `feedback_url` is the signed link of a callback."""
    subject, text = _CUSTOMER.get(
        template,
        (
            "关于您的工单 {ticket_no} About your request {ticket_no}",
            "您的工单有新的进展。There is news on your request.",
        ),
    )
    parts = ["尊敬的客户,您好!Dear customer,", _fill(text, ticket_no, facts)]
    if feedback_url:
        parts.append(f"反馈链接 Feedback link:\n{feedback_url}")
    parts.append(f"工单号 Request number: {ticket_no}\n—— 客户服务中心 Customer service")
    return RenderedMessage(subject=_fill(subject, ticket_no, facts), body="\n\n".join(parts))


def render_call_task(
    template: str, ticket_no: str, facts: Mapping[str, str], customer: str, masked_phone: str
) -> RenderedMessage:
    """The task that replaces a customer message when the customer can only be reached by phone."""
    task_facts = {**facts, "customer": customer, "phone": masked_phone, "about": template}
    return render_staff("call_customer", ticket_no, task_facts)
