"""Jurisdictions (city → district → street) and the expert visits (专家指导服务) made in them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .attachment import Attachment
from .base import Base
from .enterprise import Enterprise, User

LEVELS = ("city", "district", "street")


class Jurisdiction(Base):
    """One node of the regulators' tree; a user or enterprise placed on it belongs to it."""

    __tablename__ = "jurisdictions"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime]


class Campaign(Base):
    """A regulator's expert-guidance campaign (专家指导服务) in one jurisdiction over a period:
    the visits it plans, its monthly briefs (工作简报) and its summary report (总结报告)."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    # 000 三：总结成效、梳理经验、发现不足 — written by the regulator for the summary report.
    effects: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    shortcomings: Mapped[str] = mapped_column(Text, default="")


class Inspection(Base):
    """One visit to one enterprise, run by the engine like a permit (workflow `visit`)."""

    __tablename__ = "inspections"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdictions.id"), index=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id"), index=True)
    workflow: Mapped[str] = mapped_column(String(40))
    workflow_version: Mapped[str] = mapped_column(String(40))
    state: Mapped[str] = mapped_column(String(30), index=True)
    version: Mapped[int] = mapped_column(nullable=False)

    planned_on: Mapped[date]
    lead_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the regulator in charge
    equipment_confirmed_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]
    documents: Mapped[list] = mapped_column(default=list)  # the keys the notice listed
    kickoff_at: Mapped[datetime | None]
    consultation_started_at: Mapped[datetime | None]
    consultation_ended_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    conclusion: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    last_event: Mapped[str | None] = mapped_column(String(40))

    enterprise: Mapped[Enterprise] = relationship(lazy="joined", innerjoin=True)
    lead: Mapped[User] = relationship(foreign_keys=[lead_id])
    members: Mapped[list[InspectionMember]] = relationship(order_by="InspectionMember.id")
    attendees: Mapped[list[InspectionAttendee]] = relationship(order_by="InspectionAttendee.id")
    findings: Mapped[list[Finding]] = relationship(order_by="Finding.checkpoint")

    __mapper_args__ = {"version_id_col": version}

    @property
    def experts(self) -> list[User]:
        return [m.user for m in self.members]


class InspectionMember(Base):
    """An expert of the visit's team (专家组)."""

    __tablename__ = "inspection_members"
    __table_args__ = (UniqueConstraint("inspection_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime]

    user: Mapped[User] = relationship(lazy="joined")


class InspectionAttendee(Base):
    """A person at the kickoff meeting, by the role they attend in."""

    __tablename__ = "inspection_attendees"

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(120))
    recorded_at: Mapped[datetime]


class Finding(Base):
    """One checkpoint of the 现场会诊表 at one visit; each field saved as it is entered."""

    __tablename__ = "inspection_findings"
    __table_args__ = (UniqueConstraint("inspection_id", "checkpoint"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspections.id"), index=True)
    checkpoint: Mapped[int]
    methods: Mapped[list] = mapped_column(default=list)
    result: Mapped[str | None] = mapped_column(String(20))  # meets / problem / na
    description: Mapped[str] = mapped_column(Text, default="")
    suggestion: Mapped[str] = mapped_column(Text, default="")
    deadline: Mapped[date | None]
    responsible: Mapped[str] = mapped_column(String(120), default="")  # who rectifies it
    answer: Mapped[str] = mapped_column(Text, default="")  # the enterprise's rectification reply
    answered_at: Mapped[datetime | None]
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # 回头看: the team's judgement of the rectification; not_fixed flags it for enforcement.
    followup: Mapped[str | None] = mapped_column(String(20))  # fixed / not_fixed
    followup_note: Mapped[str] = mapped_column(Text, default="")
    followed_up_at: Mapped[datetime | None]
    followed_up_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    photos: Mapped[list[FindingPhoto]] = relationship(order_by="FindingPhoto.id")


class FindingPhoto(Base):
    """A photo of a checkpoint's problem: the original as taken, and a copy sized for reports."""

    __tablename__ = "inspection_photos"
    __table_args__ = (UniqueConstraint("finding_id", "attachment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    finding_id: Mapped[int] = mapped_column(ForeignKey("inspection_findings.id"), index=True)
    attachment_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    resized_id: Mapped[int] = mapped_column(ForeignKey("attachments.id"))
    # problem: taken by the team at the consultation; answer: the enterprise's evidence of
    # the rectification.
    kind: Mapped[str] = mapped_column(String(20), default="problem")
    added_at: Mapped[datetime]
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    attachment: Mapped[Attachment] = relationship(foreign_keys=[attachment_id])
    resized: Mapped[Attachment] = relationship(foreign_keys=[resized_id])
