"""The weekly report as one self-contained HTML page: inline CSS, charts drawn here as SVG, no script."""

from collections.abc import Sequence
from datetime import UTC, timedelta
from html import escape

from domain.report import WeeklyReport

_CSS = """
body{font-family:"Noto Sans CJK SC","PingFang SC","Microsoft YaHei",system-ui,sans-serif;margin:2rem auto;
max-width:1100px;color:#1f2933;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d9e2ec}
.sub{color:#52606d;margin-top:0}
.cards{display:flex;flex-wrap:wrap;gap:1rem}
.card{border:1px solid #d9e2ec;border-radius:6px;padding:.6rem 1rem;min-width:8rem}
.card .v{font-size:1.5rem;font-weight:600}.card .k{color:#52606d;font-size:.85rem}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:1rem}
figure{margin:.5rem 0}
table{border-collapse:collapse;margin:.5rem 0}
th,td{border:1px solid #d9e2ec;padding:.25rem .6rem;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.empty{color:#7b8794}
svg text{font-size:12px;fill:#1f2933}
"""

_BAR = "#2f80ed"
_BAR_ALT = "#f2994a"


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def _hours(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds / 3600:.2f} h"


def bar_chart(
    chart_id: str,
    title: str,
    items: Sequence[tuple[str, float]],
    *,
    label: str = "{:g}",
    maximum: float | None = None,
    color: str = _BAR,
) -> str:
    """A horizontal bar chart: one row a label, bar length proportional to the value, the value printed."""
    if not items:
        return f'<figure><figcaption>{_e(title)}</figcaption><p class="empty">无数据 No data</p></figure>'
    row, left, width = 24, 130, 230
    top = max([maximum or 0.0, *(v for _, v in items)]) or 1.0
    height = row * len(items) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" data-chart="{_e(chart_id)}" role="img"'
        f' aria-label="{_e(title)}" width="100%" style="max-width:{left + width + 70}px"'
        f' viewBox="0 0 {left + width + 70} {height}">'
    ]
    for i, (name, value) in enumerate(items):
        y = 4 + i * row
        length = round(width * value / top, 1)
        parts.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{_e(name)}</text>'
            f'<rect class="bar" x="{left}" y="{y + 3}" width="{length}" height="{row - 8}" fill="{color}"'
            f' data-label="{_e(name)}" data-value="{value:g}"><title>{_e(name)}: {_e(label.format(value))}'
            f"</title></rect>"
            f'<text class="value" x="{left + length + 6}" y="{y + 15}">{_e(label.format(value))}</text>'
        )
    parts.append("</svg>")
    return f"<figure><figcaption>{_e(title)}</figcaption>{''.join(parts)}</figure>"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], table_id: str) -> str:
    if not rows:
        return '<p class="empty">无 None</p>'
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(c)}</td>' if isinstance(c, int | float) else f"<td>{_e(c)}</td>" for c in r
        )
        + "</tr>"
        for r in rows
    )
    return f'<table data-table="{_e(table_id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _card(metric: str, name: str, value: str) -> str:
    return (
        f'<div class="card"><div class="v" data-metric="{_e(metric)}">{_e(value)}</div>'
        f'<div class="k">{_e(name)}</div></div>'
    )


def render_weekly(report: WeeklyReport) -> str:
    """The page for one week's report."""
    r = report
    v = r.volume
    s = r.satisfaction
    cards = "".join(
        [
            _card("opened", "新建工单 Opened", str(v.total)),
            _card("closed", "已关闭 Closed", str(r.closed)),
            _card("csat_average", "平均满意度 Avg. score", "—" if s.average is None else f"{s.average:.2f}"),
            _card("satisfied_share", "满意率 Satisfied", _pct(s.satisfied_share)),
            _card("reopen_rate", "重开率 Reopened", _pct(r.reopen_rate)),
            _card("no_response_rate", "未回复率 No response", _pct(r.no_response_rate)),
        ]
    )
    volume = "".join(
        bar_chart(f"volume-{dim}", title, [(c.key, c.count) for c in counts])
        for dim, title, counts in (
            ("kind", "类型 By kind", v.by_kind),
            ("category", "问题类别 By category", v.by_category),
            ("priority", "优先级 By priority", v.by_priority),
            ("channel", "渠道 By channel", v.by_channel),
            ("team", "团队 By team", v.by_team),
        )
    )
    sla = bar_chart(
        "sla",
        "达标率 Share of targets met",
        [(t.target, round((t.rate or 0.0) * 100, 1)) for t in r.sla],
        label="{:g}%",
        maximum=100.0,
    ) + _table(
        ["目标 Target", "达标 Met", "总数 Total", "达标率 Rate"],
        [(t.target, t.met, t.total, _pct(t.rate)) for t in r.sla],
        "sla",
    )
    durations = bar_chart(
        "durations-median",
        "中位数(小时) Median hours",
        [(d.name, round((d.median_seconds or 0.0) / 3600, 2)) for d in r.durations if d.count],
        label="{:g} h",
    ) + _table(
        ["时长 Duration", "工单 Tickets", "中位数 Median", "P90"],
        [(d.name, d.count, _hours(d.median_seconds), _hours(d.p90_seconds)) for d in r.durations],
        "durations",
    )
    escalations = bar_chart(
        "escalations", "升级 Escalations by level", [(f"L{e.level}", e.escalations) for e in r.escalations]
    )
    satisfaction = bar_chart(
        "satisfaction",
        f"满意度分布 Scores ({s.answered} answered)",
        [(f"{score}★", n) for score, n in sorted(s.distribution.items())],
        color=_BAR_ALT,
    )
    factors: dict[str, int] = {}
    for c in r.root_causes:
        factors[c.factor] = factors.get(c.factor, 0) + c.count
    root_causes = bar_chart(
        "root-causes",
        "鱼骨图因素 Root causes by factor",
        sorted(factors.items(), key=lambda kv: (-kv[1], kv[0])),
    ) + _table(
        ["因素 Factor", "类别 Category", "工单 Tickets", "共性 Common"],
        [(c.factor, c.category, c.count, c.common) for c in r.root_causes],
        "root-causes",
    )
    issues = _table(
        ["类别 Category", "问题 Issue", "次数 Count"],
        [(i.category, i.what, i.count) for i in r.top_issues],
        "top-issues",
    )
    incidents = _table(
        [
            "#",
            "类别 Category",
            "产品/批次 Product / batch",
            "团队 Team",
            "状态 Status",
            "开始 Opened",
            "工单 Tickets",
        ],
        [
            (
                f"#{i.id}",
                i.category,
                i.product or i.order_batch or "—",
                i.team or "—",
                i.status,
                i.opened_at.astimezone(r.start.tzinfo).strftime("%Y-%m-%d %H:%M"),
                i.tickets,
            )
            for i in r.incidents
        ],
        "incidents",
    )
    teams = bar_chart(
        "team-load", "团队负载 Open at week end", [(t.team, t.open_at_end) for t in r.teams]
    ) + _table(
        ["团队 Team", "新建 Opened", "关闭 Closed", "周末未结 Open at end", "超时 Breached"],
        [(t.team, t.opened, t.closed, t.open_at_end, t.breached) for t in r.teams],
        "teams",
    )
    quality = _table(
        ["首次解决 First contact", "率 Rate", "重复来电 Repeat contacts", "率 Rate"],
        [
            (
                r.first_contact_resolved,
                _pct(r.first_contact_rate),
                r.repeat_contacts,
                _pct(r.repeat_contact_rate),
            )
        ],
        "first-contact",
    ) + _table(
        ["目标 Target", "团队/优先级 Team / priority", "达标 Met", "总数 Total", "达标率 Rate"],
        [(t.target, t.key, t.met, t.total, _pct(t.rate)) for t in r.sla_by_team + r.sla_by_priority],
        "sla-by",
    )
    agents = _table(
        [
            "处理人 Agent",
            "处理 Handled",
            "响应中位 Median response",
            "解决中位 Median resolution",
            "满意度 CSAT",
            "质检 Inspection",
        ],
        [
            (
                a.agent,
                a.handled,
                _hours(a.median_response_seconds),
                _hours(a.median_resolution_seconds),
                "—" if a.csat_average is None else f"{a.csat_average:g} ({a.csat_answered})",
                "—" if a.inspection_average is None else f"{a.inspection_average:g} ({a.inspected})",
            )
            for a in r.agents
        ],
        "agents",
    )
    backlog = bar_chart(
        "backlog", "期末未结工单账龄 Backlog by age", [(b.bucket, b.count) for b in r.backlog]
    )
    k = r.corrective
    corrective = _table(
        ["新开 Opened", "完成 Done", "有效 Effective", "无效 Not effective"],
        [(k.opened, k.done, k.effective, k.not_effective)],
        "corrective",
    )
    collaboration, compensation = _working_together(r)
    g = r.suggestions
    suggested = _table(
        ["展示 Shown", "采用 Used", "采用率 Use rate", "次数 Uses", "结案采用 Closed with one", "率 Rate"],
        [(g.shown, g.used, _pct(g.use_rate), g.uses, g.closed_with_suggestion,
          _pct(g.closed_with_suggestion_rate))],
        "suggestions",
    )  # fmt: skip
    period = f"{r.start:%Y-%m-%d} – {(r.end - timedelta(days=1)):%Y-%m-%d} ({r.timezone})"
    heading = "客服问题分析月报 Monthly report" if r.kind == "monthly" else "客服问题分析周报 Weekly report"
    sections = [
        ("summary", "概览 Summary", f'<div class="cards">{cards}</div>'),
        ("volume", "工单量 Volume", f'<div class="grid">{volume}</div>'),
        ("sla", "服务时效 Service levels", sla),
        ("durations", "处理时长 Durations", durations),
        ("escalations", "升级 Escalations", escalations),
        ("satisfaction", "客户满意度 Satisfaction", satisfaction),
        ("top-issues", "高频问题 Top recurring issues", issues),
        ("root-causes", "根本原因 Root causes", root_causes),
        ("incidents", "共性问题事件 Hotspot incidents", incidents),
        ("teams", "团队负载 Team load", teams),
        ("quality", "首次解决与分组达标 First contact and service levels by group", quality),
        ("agents", "处理人 Agents", agents),
        ("backlog", "未结账龄 Backlog", backlog),
        ("corrective", "整改措施 Corrective actions", corrective),
        ("collaboration", "协同处理 Collaboration requests", collaboration),
        ("compensation", "补偿 Compensation", compensation),
        ("suggestions", "建议答案 Suggested answers", suggested),
    ]
    body = "".join(
        f'<section id="{sid}"><h2>{_e(title)}</h2>{html}</section>' for sid, title, html in sections
    )
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{heading} {_e(r.week)}</title><style>{_CSS}</style></head><body>"
        f'<h1>{heading} <span data-metric="week">{_e(r.week)}</span></h1>'
        f'<p class="sub">{_e(period)} · generated {r.generated_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC</p>'
        f"{body}</body></html>"
    )


def _working_together(r: WeeklyReport) -> tuple[str, str]:
    """Issue 23's sections: collaboration requests per asked team, compensation by month and category."""
    collaboration = bar_chart(
        "collaboration-on-time",
        "协同按时率 On time per team",
        [(c.team, round((c.on_time_rate or 0.0) * 100, 1)) for c in r.collaboration],
        label="{:g}%",
        maximum=100.0,
    ) + _table(
        [
            "团队 Team",
            "请求 Asked",
            "已答复 Answered",
            "按时 On time",
            "升级 Escalated",
            "逾期未答 Late",
            "按时率 Rate",
        ],
        [
            (c.team, c.asked, c.answered, c.on_time, c.escalated, c.late_open, _pct(c.on_time_rate))
            for c in r.collaboration
        ],
        "collaboration",
    )
    compensation = _table(
        ["月份 Month", "类别 Category", "类型 Type", "币种 Currency", "提供 Offered", "金额 Amount",
         "接受 Accepted", "金额 Amount", "拒绝 Declined"],
        [
            (c.month, c.category, c.type, c.currency, c.offered, f"{c.offered_amount:.2f}", c.accepted,
             f"{c.accepted_amount:.2f}", c.declined)
            for c in r.compensation
        ],
        "compensation",
    )  # fmt: skip
    return collaboration, compensation
