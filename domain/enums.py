"""The closed vocabularies of a ticket: priority, kind, category, channel, status, roles."""

from enum import StrEnum


class Priority(StrEnum):
    """紧急 / 高 / 中 / 低; seeds 002 (P1–P3) and 001 (H/M/L) map onto these."""

    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    def raised(self) -> "Priority":
        """One level up (a dissatisfied customer reopens a ticket one level higher); urgent stays."""
        order = list(Priority)
        return order[max(order.index(self) - 1, 0)]


class Kind(StrEnum):
    CONSULTATION = "consultation"  # 咨询
    COMPLAINT = "complaint"  # 投诉
    FAULT_REPORT = "fault_report"  # 报修
    SERVICE_REQUEST = "service_request"  # 服务请求
    SUGGESTION = "suggestion"  # 建议


class Category(StrEnum):
    SYSTEM_FAULT = "system_fault"  # 系统异常
    LOGISTICS = "logistics"  # 物流配送
    HOW_TO = "how_to"  # 操作咨询
    AFTER_SALES_REFUND = "after_sales_refund"  # 售后退款
    PRODUCT_QUALITY = "product_quality"  # 产品质量
    SERVICE_ATTITUDE = "service_attitude"  # 服务态度
    PROCESS_EXPERIENCE = "process_experience"  # 流程体验
    OTHER = "other"  # 其他


class Channel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    APP = "app"
    WEB = "web"
    SOCIAL = "social"


class CustomerType(StrEnum):
    INDIVIDUAL = "individual"  # 个人客户
    ENTERPRISE = "enterprise"  # 企业客户
    PARTNER = "partner"  # 合作伙伴
    INTERNAL = "internal"  # 内部员工


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"
    RESOLVED = "resolved"
    IN_REVIEW = "in_review"
    AWAITING_FEEDBACK = "awaiting_feedback"
    CLOSED = "closed"


class Role(StrEnum):
    """Roles of people in the directory; the escalation ladder climbs supervisor → head → director."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    HEAD = "head"
    DIRECTOR = "director"


class ApiRole(StrEnum):
    """What an API key may do."""

    INTEGRATOR = "integrator"
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    HEAD = "head"
    DIRECTOR = "director"
    ADMIN = "admin"


class Fishbone(StrEnum):
    """鱼骨图 factors of seed 003."""

    PEOPLE = "people"  # 人
    MACHINE = "machine"  # 机
    MATERIAL = "material"  # 料
    METHOD = "method"  # 法
    ENVIRONMENT = "environment"  # 环
    MEASUREMENT = "measurement"  # 测


class EvidenceKind(StrEnum):
    """How a root cause was checked (seed 003, 第五步 验证方法)."""

    DATA_COMPARISON = "data_comparison"  # 数据比对
    LOGS = "logs"  # 系统核查: 后台日志
    CROSS_DEPARTMENT = "cross_department"  # 跨部门协同确认
    OTHER = "other"
