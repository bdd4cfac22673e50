"""API bearer tokens: a person's, or a detector gateway's bound to one enterprise and one gas
detector. A token is 256 random bits shown once; only its SHA-256 is stored, so a copy of the
database holds no usable token. Tokens are revoked, never deleted; issuing and revoking are
audited."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, bindparam, false, or_, select
from sqlalchemy.orm import Session

from . import audit, db
from .access import is_staff
from .clock import Clock
from .errors import InvalidInput, NotFound, plain
from .models import ApiToken, Equipment, Role, User

PREFIX = "ptw_"
SECRET_BYTES = 32  # 256 bits
USER, DEVICE = "user", "device"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    """A new token: the secret itself exists only here, in the one answer that hands it out."""

    token: str
    row: ApiToken


@dataclass(frozen=True)
class Detector:
    """What a gateway's token knows of its gas detector: enough to judge its readings."""

    id: int
    serial: str
    status: str
    due_on: date | None
    gases: tuple[str, ...]


@dataclass(frozen=True)
class Bearer:
    """Who a request's token speaks for: a person (user_id), or one detector of one
    enterprise. Plain data, read in one query: a gateway posts readings many times a minute."""

    token_id: int
    kind: str
    enterprise_id: int | None
    user_id: int | None
    detector: Detector | None

    @property
    def owner(self) -> str:
        """Whose idempotency keys these are: a person's survive a new sign-in."""
        return f"user:{self.user_id}" if self.user_id is not None else f"token:{self.token_id}"


def _new(session: Session, row: ApiToken, actor: User | None, now: datetime) -> Issued:
    token = PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    row.digest = digest(token)
    session.add(row)
    session.flush()
    audit.append(
        session,
        enterprise_id=row.enterprise_id,
        actor_id=actor.id if actor else None,
        actor_role=("admin" if actor else "system") if row.kind == DEVICE else "user",
        subject_type="api_tokens",
        subject_id=row.id,
        event="issue",
        data={
            "kind": row.kind,
            "user": row.user_id,
            "detector": row.equipment_id,
            "label": row.label,
            "expires_at": row.expires_at,
        },
        at=now,
    )
    return Issued(token, row)


def issue_user_token(
    session: Session, user: User, *, clock: Clock, lifetime: timedelta, label: str = ""
) -> Issued:
    """A token for a person who has just signed in with their password."""
    now = clock.now()
    row = ApiToken(
        kind=USER,
        enterprise_id=user.enterprise_id,
        user_id=user.id,
        label=label[:120],
        created_at=now,
        created_by_id=user.id,
        expires_at=now + lifetime,
    )
    return _new(session, row, user, now)


def issue_device_token(
    session: Session,
    enterprise_id: int,
    serial: str,
    *,
    clock: Clock,
    actor: User | None = None,
    label: str = "",
) -> Issued:
    """A token for the gateway of one gas detector of the enterprise: it can send readings
    for the permits that detector is assigned to, and nothing else. Issued by the
    enterprise's admin, or (actor None) by an operator at the command line."""
    if actor is not None and not (
        is_staff(actor) and actor.has_role(Role.admin) and actor.enterprise_id == enterprise_id
    ):
        raise NotFound([])
    detector = session.scalar(
        select(Equipment).where(
            Equipment.enterprise_id == enterprise_id,
            Equipment.serial == str(serial).strip(),
            Equipment.kind == "gas_detector",
            Equipment.status != "retired",
        )
    )
    if detector is None:
        raise InvalidInput(
            [
                plain(
                    "no_detector",
                    "本单位设备台账中没有编号为 {serial} 的在用气体检测仪",
                    "No gas detector with serial {serial} in the enterprise's equipment",
                    serial=str(serial),
                )
            ]
        )
    now = clock.now()
    row = ApiToken(
        kind=DEVICE,
        enterprise_id=enterprise_id,
        equipment_id=detector.id,
        label=(label or detector.serial)[:120],
        created_at=now,
        created_by_id=actor.id if actor else None,
    )
    row.equipment = detector
    return _new(session, row, actor, now)


TOKENS = ApiToken.__table__
USERS = User.__table__
EQUIPMENT = Equipment.__table__
_BEARER = (
    select(
        TOKENS.c.id,
        TOKENS.c.kind,
        TOKENS.c.enterprise_id,
        TOKENS.c.user_id,
        TOKENS.c.revoked_at,
        TOKENS.c.expires_at,
        USERS.c.active,
        EQUIPMENT.c.id.label("detector_id"),
        EQUIPMENT.c.serial,
        EQUIPMENT.c.status,
        EQUIPMENT.c.due_on,
        EQUIPMENT.c.gases,
    )
    .select_from(
        TOKENS.outerjoin(USERS, USERS.c.id == TOKENS.c.user_id).outerjoin(
            EQUIPMENT, EQUIPMENT.c.id == TOKENS.c.equipment_id
        )
    )
    .where(TOKENS.c.digest == bindparam("digest"))
)
# read on every API request: compiled once, run on the driver's cursor
_PREPARED_BEARER = db.Prepared(lambda dialect: db.PreparedRead(_BEARER, dialect))


def authenticate(session: Session, token: str, *, now: datetime) -> Bearer | None:
    """The bearer of a token, or None when it is unknown, revoked or expired (the caller
    cannot tell which: every one of them is simply not a valid token)."""
    if not token.startswith(PREFIX) or len(token) > 200:
        return None
    conn = session.connection()
    row = _PREPARED_BEARER(conn).first(conn, {"digest": digest(token)})
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.kind == USER:
        if row.user_id is None or not row.active:
            return None
        return Bearer(row.id, row.kind, row.enterprise_id, row.user_id, None)
    if row.detector_id is None or row.status == "retired":
        return None
    detector = Detector(row.detector_id, row.serial, row.status, row.due_on, tuple(row.gases))
    return Bearer(row.id, row.kind, row.enterprise_id, None, detector)


def visible_tokens(user: User) -> Select[tuple[ApiToken]]:
    """A person sees their own tokens; an enterprise's admin also sees its device tokens and
    its people's tokens (to revoke a lost phone's)."""
    own = ApiToken.user_id == user.id
    if is_staff(user) and user.has_role(Role.admin):
        return select(ApiToken).where(or_(own, ApiToken.enterprise_id == user.enterprise_id))
    if user.id is None:
        return select(ApiToken).where(false())
    return select(ApiToken).where(own)


def revoke(session: Session, actor: User, token_id: int, *, clock: Clock) -> ApiToken:
    """Revoke a token within the actor's sight; revoking it again changes nothing."""
    row = session.scalar(visible_tokens(actor).where(ApiToken.id == token_id))
    if row is None:
        raise NotFound(
            [plain("not_found", "没有找到令牌 {id}", "No token {id}", id=token_id)]
        )
    if row.revoked_at is None:
        now = clock.now()
        row.revoked_at = now
        row.revoked_by_id = actor.id
        session.flush()
        audit.append(
            session,
            enterprise_id=row.enterprise_id,
            actor_id=actor.id,
            actor_role="admin" if row.user_id != actor.id else "user",
            subject_type="api_tokens",
            subject_id=row.id,
            event="revoke",
            data={"kind": row.kind},
            at=now,
        )
    return row
