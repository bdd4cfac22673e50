"""All models, importable from one place so that the metadata is complete."""

from .api import ApiToken, IdempotencyKey
from .attachment import Attachment
from .audit import AuditEntry, AuditHead
from .base import Base
from .contractor import Contractor, SafetyAgreement
from .emergency import DisposalPlan, Drill
from .enterprise import Enterprise, Role, User, UserRole
from .entry import EntryLog
from .equipment import Equipment, EquipmentCertificate, EquipmentCheck
from .gas import GasTest, Reading
from .inspection import (
    Campaign,
    Finding,
    FindingPhoto,
    Inspection,
    InspectionAttendee,
    InspectionMember,
    Jurisdiction,
)
from .ledger import Space, new_qr_token
from .login import LoginFailure
from .management import ApprovalTable, ManagementDocument
from .monitoring import Alarm, DetectorSilence, ReadingBatch
from .permit import Permit, PermitCheck, PermitEquipment, PermitPerson, Signature
from .reminders import OutboxMessage, Reminder
from .rules import Authorisation, RulePackChoice
from .signs import ScanMiss, SignToken
from .tallies import ApprovalTally, EntryTally, TrainingTally, WorkforceTally
from .training import TrainingPlanItem, TrainingRecord, TrainingSession

__all__ = [
    "ApprovalTally",
    "EntryTally",
    "TrainingTally",
    "WorkforceTally",
    "Finding",
    "FindingPhoto",
    "Campaign",
    "Inspection",
    "InspectionAttendee",
    "InspectionMember",
    "Jurisdiction",
    "Alarm",
    "ApiToken",
    "ApprovalTable",
    "ManagementDocument",
    "Attachment",
    "IdempotencyKey",
    "ReadingBatch",
    "DetectorSilence",
    "Reminder",
    "OutboxMessage",
    "AuditEntry",
    "AuditHead",
    "Authorisation",
    "RulePackChoice",
    "Base",
    "Contractor",
    "SafetyAgreement",
    "Enterprise",
    "Role",
    "User",
    "UserRole",
    "DisposalPlan",
    "Drill",
    "EntryLog",
    "LoginFailure",
    "Equipment",
    "EquipmentCertificate",
    "EquipmentCheck",
    "GasTest",
    "Reading",
    "Space",
    "new_qr_token",
    "Permit",
    "PermitCheck",
    "PermitEquipment",
    "PermitPerson",
    "Signature",
    "TrainingPlanItem",
    "TrainingRecord",
    "TrainingSession",
    "SignToken",
    "ScanMiss",
]
