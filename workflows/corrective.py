"""CorrectiveActionWorkflow: one corrective action, from its opening to the check that it worked (003)."""

import asyncio
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

from workflows import notifying

with workflow.unsafe.imports_passed_through():
    from activities.corrective import (
        CORRECTIVE_RETRY,
        CORRECTIVE_TIMEOUT,
        CorrectiveActivities,
        CorrectiveWrite,
    )
    from domain.corrective import (
        CORRECTIVE_WORKFLOW_NAME,
        WORKING,
        CorrectiveInput,
        CorrectiveStatus,
        CorrectiveView,
        Done,
        EffectQuery,
        effect,
        periods,
        reminder_times,
        workflow_id,
    )
    from domain.notification import Audience, NotifyRequest
    from infra import search_attributes as sa

# With nothing left to remind or escalate, the wait keeps a timeout all the same: the command shape stays.
IDLE = timedelta(days=365)


@workflow.defn(name=CORRECTIVE_WORKFLOW_NAME)
class CorrectiveActionWorkflow:
    @workflow.init
    def __init__(self, inp: CorrectiveInput) -> None:
        self._inp = inp
        self._policy = inp.policy
        self._lock = asyncio.Lock()
        self._step = 0
        self._v = CorrectiveView(
            action_id=inp.action_id,
            status=CorrectiveStatus.OPEN,
            owner=inp.owner,
            team=inp.team,
            change=inp.change,
            due=inp.due,
            category=inp.category,
            product=inp.product,
        )
        self._reminded = self._past_reminders(inp.opened_at)

    @workflow.run
    async def run(self, inp: CorrectiveInput) -> CorrectiveView:
        async with self._lock:
            await self._changed()
        while True:
            await self._until_done()
            done_at = self._v.done_at or workflow.now()
            wait = done_at + self._policy.effect_after - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait, summary="effect check")
            async with self._lock:
                if await self._check_effect():
                    break
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._v

    async def _until_done(self) -> None:
        """Remind the owner before the due date, tell their head once it passes, until it is done."""
        while self._v.status in WORKING:
            at, what = self._next()
            wait = at - workflow.now()
            if wait > timedelta(0):
                try:
                    await workflow.wait_condition(
                        lambda: self._v.status not in WORKING, timeout=wait, timeout_summary=what
                    )
                    continue
                except TimeoutError:
                    pass
            async with self._lock:
                if self._v.status in WORKING:
                    await self._fire(what)

    def _next(self) -> tuple[datetime, str]:
        times = reminder_times(self._v.due, self._policy)
        if self._reminded < len(times):
            return times[self._reminded], "reminder"
        if not self._v.escalated:
            return self._v.due, "overdue"
        return workflow.now() + IDLE, "idle"

    async def _fire(self, what: str) -> None:
        v = self._v
        if what == "reminder":
            self._reminded += 1
            v.reminders += 1
            await self._changed()
            await self._tell(Audience.MEMBER, "corrective_reminder", member=v.owner)
        elif what == "overdue":
            # Seed 003: overdue actions go up to the owner's head; the owner hears it too.
            v.escalated = True
            v.status = CorrectiveStatus.OVERDUE
            await self._changed()
            await self._tell(Audience.DEPARTMENT_HEAD, "corrective_overdue")
            await self._tell(Audience.MEMBER, "corrective_overdue", member=v.owner)

    async def _check_effect(self) -> bool:
        """Compare the category's rate after the action with before it; not effective reopens the action."""
        v, now = self._v, workflow.now()
        before, after = periods(v.done_at or now, self._policy)
        counts = await workflow.execute_activity_method(
            CorrectiveActivities.count_effect,
            EffectQuery(category=v.category, product=v.product, before=before, after=after),
            start_to_close_timeout=CORRECTIVE_TIMEOUT,
            retry_policy=CORRECTIVE_RETRY,
        )
        result = effect(counts, before, after, now, self._policy)
        v.effects.append(result)
        facts = {"before": f"{result.rate_before:g}/d", "after": f"{result.rate_after:g}/d"}
        if result.effective:
            v.status = CorrectiveStatus.EFFECTIVE
            await self._changed()
            await self._tell(Audience.MEMBER, "corrective_effective", member=v.owner, **facts)
            return True
        v.status = CorrectiveStatus.REOPENED
        v.due = now + self._policy.reopen_for
        v.escalated = False
        v.done_at = v.done_by = v.evidence = None
        self._reminded = self._past_reminders(now)
        await self._changed()
        await self._tell(Audience.DEPARTMENT_HEAD, "corrective_not_effective", **facts)
        await self._tell(Audience.MEMBER, "corrective_not_effective", member=v.owner, **facts)
        return False

    def _past_reminders(self, now: datetime) -> int:
        """Reminders whose time had passed when the due date was set: not sent late."""
        return sum(1 for t in reminder_times(self._v.due, self._policy) if t <= now)

    @workflow.update
    async def complete(self, d: Done) -> CorrectiveView:
        async with self._lock:
            self._refuse_unless_working()
            v = self._v
            v.status = CorrectiveStatus.DONE
            v.done_at = workflow.now()
            v.done_by = d.by
            v.evidence = d.evidence
            await self._changed()
            return v.model_copy(deep=True)

    @complete.validator
    def _validate_complete(self, d: Done) -> None:
        self._refuse_unless_working()

    def _refuse_unless_working(self) -> None:
        if self._v.status not in WORKING:
            raise ApplicationError(
                f"corrective action is {self._v.status.value}; only an open one can be done",
                type="InvalidTransition",
            )

    @workflow.query
    def view(self) -> CorrectiveView:
        return self._v

    async def _changed(self) -> None:
        """Every change: the search attributes operators filter by, and the row the API and reports read."""
        v = self._v
        self._step += 1
        workflow.upsert_search_attributes(
            [
                sa.CORRECTIVE_STATUS.value_set(v.status.value),
                sa.CORRECTIVE_OWNER.value_set(v.owner),
                sa.CORRECTIVE_DUE_AT.value_set(v.due),
            ]
        )
        await workflow.execute_activity_method(
            CorrectiveActivities.record_corrective,
            CorrectiveWrite(view=v, step=self._step),
            start_to_close_timeout=CORRECTIVE_TIMEOUT,
            retry_policy=CORRECTIVE_RETRY,
        )

    async def _tell(self, audience: Audience, template: str, member: str | None = None, **facts: str) -> None:
        v = self._v
        name = workflow_id(v.action_id)
        await notifying.notify(
            NotifyRequest(
                key=f"{name}:{self._step}:{audience.value}" + (f":{member}" if member else ""),
                ticket_no=name,
                audience=audience,
                member_id=member,
                team=v.team,
                template=template,
                facts={"action": str(v.action_id), "change": v.change, "due": v.due.isoformat(), **facts},
            )
        )
