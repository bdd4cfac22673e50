"""Warning signs (安全警示标志): whose they are to print and replace, and their QR tokens.

A space's current token is `Space.qr_token`; every token ever issued is kept in
`sign_tokens`. Reissuing gives the space a new random token and marks the old one replaced:
the old sign's QR then leads to a page that says only that the sign was replaced.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import access, audit
from .clock import Clock
from .errors import InvalidInput, NotFound, plain
from .models import Enterprise, Role, SignToken, Space, User, new_qr_token

# Who answers for the signs at the entrances: the principal and the deputy in charge, and the
# administrator who keeps the ledger. Reissuing invalidates every printed copy of the old sign.
REISSUERS = (Role.admin, Role.principal, Role.deputy)
SIZES = ("A4", "A3")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def fingerprint(token: str) -> str:
    """What the audit log keeps of a token: enough to tell two signs apart, not to forge one."""
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def space_of(session: Session, user: User, code: str) -> Space:
    """A ledger space of the user's enterprise by its code, or NotFound."""
    space = session.scalars(access.visible_spaces(user).where(Space.code == code)).first()
    if space is None:
        raise NotFound(
            [plain("not_found", "没有找到有限空间 {code}", "No space {code}", code=code)]
        )
    return space


def printable_spaces(session: Session, user: User, location: str = "") -> list[Space]:
    """The active spaces of the user's enterprise, by code, optionally those whose location
    contains `location` (a site, a workshop)."""
    if not access.is_staff(user):
        raise NotFound([])
    query = access.visible_spaces(user).where(Space.retired_at.is_(None))
    if location.strip():
        query = query.where(Space.location.contains(location.strip(), autoescape=True))
    spaces = list(session.scalars(query.order_by(Space.code)))
    if not spaces:
        raise InvalidInput(
            [
                plain(
                    "no_spaces",
                    "没有符合条件的在用有限空间",
                    "No active space matches",
                )
            ]
        )
    return spaces


def check_size(size: str) -> str:
    if size not in SIZES:
        raise InvalidInput(
            [
                plain(
                    "sign_size",
                    "标志尺寸只能是 A4 或 A3，而不是 {size}",
                    "A sign is printed on A4 or A3, not {size}",
                    size=size[:10],
                )
            ]
        )
    return size


def can_reissue(user: User | None, space: Space) -> bool:
    return (
        user is not None
        and access.is_staff(user)
        and user.enterprise_id == space.enterprise_id
        and user.has_role(*REISSUERS)
    )


def space_by_token(session: Session, token: str) -> Space | None:
    """The active space whose current sign carries this token; None for anything else
    (unknown, replaced, malformed, or a retired space): the caller cannot tell which."""
    if not TOKEN_SHAPE.fullmatch(token or ""):
        return None
    return session.scalars(
        select(Space).where(Space.qr_token == token, Space.retired_at.is_(None))
    ).first()


def history(session: Session, space: Space) -> list[SignToken]:
    """The signs issued for a space, oldest first (the first one is recorded when it is first
    replaced, with the space's creation time)."""
    return list(
        session.scalars(
            select(SignToken).where(SignToken.space_id == space.id).order_by(SignToken.id)
        )
    )


def reissue(session: Session, space: Space, *, actor: User, clock: Clock) -> SignToken:
    """Give the space a new sign token; the old one is marked replaced. Audited."""
    if not can_reissue(actor, space):
        raise NotFound([])  # outside one's scope a space has no sign to replace
    now = clock.now()
    old = space.qr_token
    current = session.scalars(select(SignToken).where(SignToken.token == old)).first()
    if current is None:  # the space's first sign, issued with the space
        current = SignToken(space_id=space.id, token=old, issued_at=space.created_at)
        session.add(current)
    current.replaced_at = now
    current.replaced_by_id = actor.id
    new = SignToken(space_id=space.id, token=new_qr_token(), issued_at=now, issued_by_id=actor.id)
    session.add(new)
    space.qr_token = new.token
    session.flush()
    audit.append(
        session,
        enterprise_id=space.enterprise_id,
        actor_id=actor.id,
        actor_role=next(str(r) for r in REISSUERS if actor.has_role(r)),
        subject_type="spaces",
        subject_id=space.id,
        event="reissue_sign",
        data={"code": space.code, "replaced": fingerprint(old), "issued": fingerprint(new.token)},
        at=now,
    )
    return new


def emergency_phone(space: Space, enterprise: Enterprise) -> str:
    return (space.emergency_phone or enterprise.emergency_phone or "").strip()


def spaces_for_cli(
    session: Session, codes: Sequence[str], enterprise: str | None, every: bool
) -> list[Space]:
    """The spaces the `permit sign` command prints: the given codes (of one enterprise when
    codes repeat across enterprises), or every active space of the enterprise."""
    ent = None
    if enterprise is not None:
        ent = session.scalars(select(Enterprise).where(Enterprise.code == enterprise)).first()
        if ent is None:
            raise InvalidInput(
                [plain("enterprise", "没有企业 {code}", "No enterprise {code}", code=enterprise)]
            )
    if every:
        if ent is None:
            all_ents = list(session.scalars(select(Enterprise)))
            if len(all_ents) != 1:
                raise InvalidInput(
                    [
                        plain(
                            "which_enterprise",
                            "有多家企业：请用 --enterprise 指定",
                            "There are several enterprises: name one with --enterprise",
                        )
                    ]
                )
            ent = all_ents[0]
        return list(
            session.scalars(
                select(Space)
                .where(Space.enterprise_id == ent.id, Space.retired_at.is_(None))
                .order_by(Space.code)
            )
        )
    if not codes:
        raise InvalidInput(
            [plain("no_codes", "请给出有限空间编号，或用 --all", "Give space codes, or --all")]
        )
    found = []
    for code in codes:
        query = select(Space).where(Space.code == code)
        if ent is not None:
            query = query.where(Space.enterprise_id == ent.id)
        matches = list(session.scalars(query))
        if not matches:
            raise InvalidInput(
                [plain("not_found", "没有找到有限空间 {code}", "No space {code}", code=code)]
            )
        if len(matches) > 1:
            raise InvalidInput(
                [
                    plain(
                        "ambiguous",
                        "编号 {code} 在多家企业中都有：请用 --enterprise 指定",
                        "Code {code} exists in several enterprises: name one with --enterprise",
                        code=code,
                    )
                ]
            )
        if matches[0].retired_at is not None:
            raise InvalidInput(
                [
                    plain(
                        "retired",
                        "有限空间 {code} 已停用，不再印制标志",
                        "Space {code} is retired: no sign is printed for it",
                        code=code,
                    )
                ]
            )
        found.append(matches[0])
    return found
