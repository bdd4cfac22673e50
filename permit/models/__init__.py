"""All models, importable from one place so that the metadata is complete."""

from .api import ApiToken, IdempotencyKey
from .audit import AuditEntry, AuditHead
from .base import Base
from .contractor import Contractor, SafetyAgreement
from .enterprise import Enterprise, Role, User, UserRole
from .entry import EntryLog
from .equipment import Equipment
from .gas import GasTest, Reading
from .ledger import Space, new_qr_token
from .login import LoginFailure
from .monitoring import Alarm, ReadingBatch
from .permit import Permit, PermitCheck, PermitEquipment, PermitPerson, Signature
from .rules import Authorisation, RulePackChoice
from .training import TrainingRecord

__all__ = [
    "Alarm",
    "ApiToken",
    "IdempotencyKey",
    "ReadingBatch",
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
    "EntryLog",
    "LoginFailure",
    "Equipment",
    "GasTest",
    "Reading",
    "Space",
    "new_qr_token",
    "Permit",
    "PermitCheck",
    "PermitEquipment",
    "PermitPerson",
    "Signature",
    "TrainingRecord",
]
