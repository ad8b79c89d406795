"""WeeklyReportWorkflow: build one week's report (scheduled, or any past week on demand), tell supervisors."""

import asyncio

from temporalio import workflow

from workflows import notifying

with workflow.unsafe.imports_passed_through():
    from activities.reports import REPORT_RETRY, REPORT_TIMEOUT, ReportActivities
    from domain.notification import Audience, NotifyRequest
    from domain.report import REPORT_WORKFLOW_NAME, ReportBuilt, ReportInput, ReportRequest

NOTIFY_TEMPLATE = "weekly_report"


@workflow.defn(name=REPORT_WORKFLOW_NAME)
class WeeklyReportWorkflow:
    @workflow.run
    async def run(self, inp: ReportInput) -> ReportBuilt:
        built: ReportBuilt = await workflow.execute_activity_method(
            ReportActivities.build_weekly_report,
            ReportRequest(week=inp.week, at=workflow.now(), kind=inp.kind),
            start_to_close_timeout=REPORT_TIMEOUT,
            retry_policy=REPORT_RETRY,
        )
        if inp.notify:
            facts = {
                "week": built.week,
                "url": built.url,
                "opened": str(built.opened),
                "closed": str(built.closed),
                "inspections": str(built.inspections),
            }
            await asyncio.gather(
                *(
                    self._notify(
                        NotifyRequest(
                            key=f"report-{built.week}:{team}",
                            ticket_no=f"report-{built.week}",
                            audience=Audience.TEAM_SUPERVISOR,
                            team=team,
                            template=NOTIFY_TEMPLATE,
                            facts=facts,
                        )
                    )
                    for team in built.teams
                )
            )
        return built

    async def _notify(self, req: NotifyRequest) -> None:
        await notifying.notify(req)
