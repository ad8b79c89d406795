"""The words of a notification: template + facts → subject and body, pure, for staff and for customers."""

from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict

from domain.notices import Notice, load_notices, with_local_times


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
    "needs_triage_intake": (
        "【待分拣】新工单 Ticket {ticket_no} needs sorting",
        "系统无法确定该工单的类别或类型,请人工分拣(改类)。"
        "The desk could not tell this ticket's category or kind; please re-sort it.",
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
    "compensation_approval": (
        "补偿待审批 Ticket {ticket_no}: compensation {amount} {currency} awaits approval",
        "处理人提出的补偿超过审批额度,请审批:{type} {amount} {currency},理由:{reason}。"
        "A compensation above the approval threshold awaits your decision.",
    ),
    "compensation_approval_overdue": (
        "补偿审批超时 Ticket {ticket_no}: a compensation still awaits approval",
        "补偿审批未在规定时间内完成,请督办。A compensation has waited too long for approval.",
    ),
    "compensation_refused": (
        "补偿未获批准 Ticket {ticket_no}: compensation refused",
        "主管未批准补偿方案,原因:{comment}。请调整后重新提交。The supervisor refused the compensation.",
    ),
    "compensation_declined": (
        "客户拒绝补偿 Ticket {ticket_no}: the customer declined the compensation",
        "客户不接受补偿方案,工单已退回给您。The customer declined the compensation; the ticket is back.",
    ),
    "collaboration_requested": (
        "协同请求 Ticket {ticket_no}: your team is asked to help",
        "工单需要贵部门协同,请在{due}前反馈:{question}。"
        "Your team is asked a question; please answer by {due}.",
    ),
    "collaboration_reminder": (
        "协同即将超时 Ticket {ticket_no}: an answer is due at {due}",
        "协同请求即将超时,请尽快反馈。A collaboration request is close to its deadline.",
    ),
    "collaboration_overdue": (
        "协同超时 Ticket {ticket_no}: your team has not answered",
        "贵部门未在规定时间内反馈协同请求,请督办。Your team's answer is overdue; please follow up.",
    ),
    "collaboration_answered": (
        "协同已反馈 Ticket {ticket_no}: {team} answered",
        "{team}已反馈:{answer}\n{team} answered: {answer}",
    ),
    "reopened": (
        "客户不满意,工单重开 Ticket {ticket_no} reopened",
        "客户对处理结果不满意,工单已重开并提升优先级。"
        "The customer was dissatisfied; the ticket is reopened one priority level up.",
    ),
    "cause_disputed": (
        "客户对原因有异议,工单重开 Ticket {ticket_no} reopened: cause disputed",
        "客户不认可告知的问题原因,请重新收集信息并定位根本原因。"
        "The customer disputes the cause they were told; trace it again.\n{comment}",
    ),
    "corrective_reminder": (
        "整改提醒 Corrective action {action} due {due}",
        "您负责的整改措施即将到期:{change}\nThe corrective action you own is due soon: {change}",
    ),
    "corrective_overdue": (
        "整改逾期 Corrective action {action} overdue",
        "整改措施已逾期未完成:{change}\nThe corrective action is past its due date: {change}",
    ),
    "corrective_effective": (
        "整改有效 Corrective action {action} effective",
        "效果验证:同类问题由每天 {before} 降至 {after}。The rate fell from {before} to {after}.",
    ),
    "corrective_not_effective": (
        "整改无效,已重开 Corrective action {action} not effective",
        "效果验证:同类问题每天 {before} → {after},未下降,整改已重开,新截止 {due}。"
        "The rate did not fall ({before} → {after}); the action is reopened, due {due}.",
    ),
    "incident": (
        "共性问题 Incident: {category}",
        "短时间内同类工单集中出现,已合并为共性问题。Several tickets of one kind arrived together.",
    ),
    "customer_replied": (
        "客户新留言 Ticket {ticket_no}: the customer wrote",
        "客户补充了新的信息:{text}\nThe customer added: {text}",
    ),
    "call_overdue": (
        "回访超时 Ticket {ticket_no}: the customer was not called in time",
        "回访电话未在规定时间内完成,请跟进。The call to the customer is overdue; please follow up.",
    ),
    "call_customer": (
        "请回访客户 Call the customer back: ticket {ticket_no}",
        "请电话联系客户{customer}(电话 {phone}),完整号码请在工单中查看。"
        "Please call the customer {customer} at {phone}; open the ticket for the full number.",
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


_SHIPPED = load_notices()
_GENERIC = Notice(
    subject="关于您的工单 {ticket_no} | About your request {ticket_no}",
    body="您的工单有新的进展。There is news on your request.",
)


def render_customer(
    template: str,
    ticket_no: str,
    facts: Mapping[str, str],
    feedback_url: str | None = None,
    notices: Mapping[str, Notice] | None = None,
) -> RenderedMessage:
    """A message to the customer from the notices file; `feedback_url` is a callback's signed link."""
    notice = (notices or _SHIPPED).get(template, _GENERIC)
    facts = with_local_times(facts)
    subject, text = notice.subject, notice.body
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
