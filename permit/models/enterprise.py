"""Enterprises, their people (users) and the roles people hold."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base


class Role(StrEnum):
    principal = "principal"  # 主要负责人
    deputy = "deputy"  # 分管负责人
    approver = "approver"  # 审批人
    attendant = "attendant"  # 监护人
    entrant = "entrant"  # 作业人员
    rescuer = "rescuer"  # 应急救援人员
    contractor = "contractor"  # 承包单位
    admin = "admin"
    expert = "expert"  # 专家
    regulator = "regulator"  # 监管执法人员


ROLE_LABELS: dict[str, dict[str, str]] = {
    "principal": {"zh": "主要负责人", "en": "principal"},
    "deputy": {"zh": "分管负责人", "en": "deputy in charge"},
    "approver": {"zh": "审批人", "en": "approver"},
    "attendant": {"zh": "监护人", "en": "attendant"},
    "entrant": {"zh": "作业人员", "en": "entrant"},
    "rescuer": {"zh": "应急救援人员", "en": "rescuer"},
    "contractor": {"zh": "承包单位", "en": "contractor"},
    "admin": {"zh": "管理员", "en": "administrator"},
    "expert": {"zh": "专家", "en": "expert"},
    "regulator": {"zh": "监管执法人员", "en": "regulator"},
    "requester": {"zh": "申请人", "en": "requester"},
    "system": {"zh": "系统", "en": "system"},
}


def role_label(role: str | None, lang: str = "zh") -> str:
    return ROLE_LABELS.get(role or "", {}).get(lang, role or "—")


class Enterprise(Base):
    __tablename__ = "enterprises"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    industry: Mapped[str] = mapped_column(String(40))
    emergency_phone: Mapped[str | None] = mapped_column(String(40))
    permit_counter: Mapped[int] = mapped_column(default=0)
    # Where the rule pack leaves the drill period to the enterprise (令13 第十条).
    drill_period_months: Mapped[int | None]
    # Where the regulators find it (city → district → street); unplaced, no expert sees it.
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    created_at: Mapped[datetime]


class User(Base):
    """A person: staff or a contractor's worker. Only people with a password can sign in."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    contractor_id: Mapped[int | None] = mapped_column(ForeignKey("contractors.id"), index=True)
    # Experts and regulators belong to no enterprise: they see the enterprises of this node.
    jurisdiction_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    username: Mapped[str | None] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))  # where reminders are mailed
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]

    # Loaded when touched: most requests need neither a person's roles nor their training.
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="save-update, merge"
    )
    trainings: Mapped[list[TrainingRecord]] = relationship(  # noqa: F821
        back_populates="user", order_by="TrainingRecord.taken_on"
    )

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r.role) for r in self.role_rows)

    def has_role(self, *roles: Role | str) -> bool:
        held = {r.role for r in self.role_rows}
        return any(str(r) in held for r in roles)

    def __repr__(self) -> str:
        return f"<User {self.username or self.id} {self.name}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    # By role: the few keepers of the registers are found without reading everyone.
    __table_args__ = (
        UniqueConstraint("user_id", "role"),
        Index("ix_user_roles_role_user", "role", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20))

    user: Mapped[User] = relationship(back_populates="role_rows")
