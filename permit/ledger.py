"""The ledger of confined spaces (台账, art. 8): the searchable list of one enterprise, the
validation a space passes (shared by the web form and the Excel import), changes with their
old → new values in the audit log, and retiring instead of deleting."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from . import access, audit, registers
from .catalogue import catalogue, is_key_supervision
from .clock import Clock
from .errors import Blocked, InvalidInput, NotFound, Reason, plain
from .models import AuditEntry, Enterprise, Permit, Space, User
from .spreadsheet import label_index as _label_index
from .spreadsheet import past_date, text
from .workflow import Workflow
from .workflow import get as get_workflow

# Who keeps the ledger: creates, edits, retires and imports. Every other staff member reads it.
KEEPERS = ("admin", "principal", "deputy")
STATUSES = ("active", "retired", "all")
# Paths of the ledger's own pages: a space code must never shadow them.
RESERVED_CODES = frozenset({"new", "import", "export.xlsx"})
MAX_ITEMS = 40  # measures or hazards of one space: more is a pasted paragraph, not a list
MAX_ITEM_CHARS = 200
LENGTHS = {"code": 40, "name": 200, "location": 200, "phone": 40}

# Items of a list cell: one a line, or separated by ； / ; — never by 、, which a measure
# itself may hold ("排空、蒸汽吹扫"). Hazard names hold no 、, so it separates them too.
MEASURE_SPLIT = re.compile(r"[\n\r；;]+")
HAZARD_SPLIT = re.compile(r"[\n\r；;、,，]+")
# A phone number as people write one: 0571-8888 0119, (0571) 88880119, +86 138 0000 0000,
# 119, 0571-88880119 转 8001. The digits are counted apart: 3 (119) to 20.
PHONE = re.compile(r"^\+?[0-9 ()（）-]+(?:\s*(?:转|ext\.?|x|#)\s*[0-9]{1,6})?$", re.IGNORECASE)
PHONE_DIGITS = (3, 20)
DEEP_WORDS = {"深", "是", "deep", "yes", "y", "true", "1"}
SHALLOW_WORDS = {"浅", "否", "shallow", "no", "n", "false", "0", ""}


@dataclass(frozen=True)
class SpaceData:
    """A space's fields as the ledger keeps them, validated and normalised."""

    code: str
    name: str
    location: str
    industry: str
    catalogue_class: str | None
    hazards: list[str]
    isolation_measures: list[str]
    control_measures: list[str]
    deep: bool
    sign_placed_on: date | None
    notice_board_placed_on: date | None
    emergency_phone: str | None = None  # printed on the sign; None: the enterprise's number


EDITABLE = tuple(f.name for f in fields(SpaceData) if f.name != "code")


@dataclass(frozen=True)
class FieldError:
    field: str
    reason: Reason


class LedgerInvalid(InvalidInput):
    """Bad values, each tied to the field it is about."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__([e.reason for e in self.errors])

    def by_field(self, lang: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for error in self.errors:
            out.setdefault(error.field, []).append(error.reason.message(lang))
        return out


# -- reading values as people type them -------------------------------------------------------


def items(value: Any, split: re.Pattern[str] = MEASURE_SPLIT) -> list[str]:
    """A list from a list or from text; trimmed, empty ones dropped, first occurrence kept."""
    if value is None:
        raw: Iterable[Any] = []
    elif isinstance(value, str):
        raw = split.split(value)
    elif isinstance(value, Iterable):
        raw = [part for v in value for part in split.split(text(v))]
    else:
        raw = [value]
    out: list[str] = []
    for item in raw:
        item = text(item)
        if item and item not in out:
            out.append(item)
    return out


def _bad(field: str, zh: str, en: str, **params: Any) -> FieldError:
    return FieldError(field, plain(f"ledger_{field}", zh, en, **params))


def _required_text(raw: Mapping[str, Any], field: str, errors: list[FieldError]) -> str:
    value = text(raw.get(field))
    if not value:
        errors.append(_bad(field, "不能为空", "must not be empty"))
    elif len(value) > LENGTHS[field]:
        errors.append(_bad(field, "超过 {n} 个字", "longer than {n} characters", n=LENGTHS[field]))
    return value


def _code(raw: Mapping[str, Any], errors: list[FieldError]) -> str:
    code = _required_text(raw, "code", errors)
    if code and ("/" in code or " " in code or "\\" in code):
        errors.append(
            _bad("code", "编号不能包含空格或斜杠", "a code cannot hold spaces or slashes")
        )
    elif code.lower() in RESERVED_CODES:
        errors.append(
            _bad("code", "编号 '{code}' 不可用", "the code '{code}' is reserved", code=code)
        )
    return code


def _industry_and_class(raw: Mapping[str, Any], errors: list[FieldError]) -> tuple[str, str | None]:
    cat = catalogue()
    given = text(raw.get("industry"))
    industry = _label_index(cat.industries).get(given.lower()) if given else None
    if not given:
        errors.append(_bad("industry", "不能为空", "must not be empty"))
    elif industry is None:
        errors.append(_bad("industry", "未知行业 '{v}'", "unknown industry '{v}'", v=given))
    wanted = text(raw.get("catalogue_class"))
    if not wanted or industry is None:
        return industry or given, None
    own = {c.key: {"zh": c.zh} for c in cat.classes_of(industry)}
    key = _label_index(own).get(wanted.lower())
    if key is None:
        names = {k: c.zh for (_, k), c in cat.classes.items()}
        elsewhere = _label_index({k: {"zh": zh} for k, zh in names.items()})
        if wanted.lower() in elsewhere:
            errors.append(
                _bad(
                    "catalogue_class",
                    "类别 '{v}' 不属于{industry}（{cite}）",
                    "class '{v}' is not listed for {industry} ({cite})",
                    v=names[elsewhere[wanted.lower()]],  # its name, also when a form sent its key
                    industry=cat.industries[industry],
                    cite=cat.cite,
                )
            )
        else:
            errors.append(
                _bad(
                    "catalogue_class",
                    "目录中没有类别 '{v}'",
                    "unknown class '{v}' (not in the catalogue)",
                    v=wanted,
                )
            )
    return industry, key


def _hazards(raw: Mapping[str, Any], wf: Workflow, errors: list[FieldError]) -> list[str]:
    index = _label_index(wf.section("hazards"))
    out = []
    for given in items(raw.get("hazards"), HAZARD_SPLIT):
        key = index.get(given.lower())
        if key is None:
            errors.append(
                _bad("hazards", "未知危险有害因素 '{v}'", "unknown hazard '{v}'", v=given)
            )
        elif key not in out:
            out.append(key)
    return out


def _measures(raw: Mapping[str, Any], field: str, errors: list[FieldError]) -> list[str]:
    out = items(raw.get(field))
    if len(out) > MAX_ITEMS:
        errors.append(_bad(field, "最多 {n} 项", "at most {n} items", n=MAX_ITEMS))
    for item in out:
        if len(item) > MAX_ITEM_CHARS:
            errors.append(
                _bad(
                    field,
                    "每项不超过 {n} 个字：'{v}…'",
                    "each item at most {n} characters: '{v}…'",
                    n=MAX_ITEM_CHARS,
                    v=item[:20],
                )
            )
    return out


def _deep(raw: Mapping[str, Any], errors: list[FieldError]) -> bool:
    value = raw.get("deep")
    if isinstance(value, bool):
        return value
    word = text(value)
    if word.lower() in DEEP_WORDS:
        return True
    if word.lower() not in SHALLOW_WORDS:
        errors.append(
            _bad("deep", "'{v}' 应为“深”或“浅”", "'{v}' is neither deep nor shallow", v=word)
        )
    return False


def _placed_on(
    raw: Mapping[str, Any], field: str, today: date, errors: list[FieldError]
) -> date | None:
    day, problem = past_date(raw.get(field), today, rule=f"ledger_{field}")
    if problem is not None:
        errors.append(FieldError(field, problem))
    return day


def _phone(raw: Mapping[str, Any], errors: list[FieldError]) -> str | None:
    phone = text(raw.get("emergency_phone"))
    if not phone:
        return None
    digits = sum(c.isdigit() for c in phone)
    low, high = PHONE_DIGITS
    if not PHONE.match(phone) or not low <= digits <= high or len(phone) > LENGTHS["phone"]:
        errors.append(
            _bad(
                "emergency_phone",
                "'{v}' 不是电话号码（如 0571-12345678 或 13800000000）",
                "'{v}' is not a phone number (e.g. 0571-12345678 or 13800000000)",
                v=phone,
            )
        )
    return phone


def check(
    raw: Mapping[str, Any], *, wf: Workflow, today: date
) -> tuple[SpaceData | None, list[FieldError]]:
    """Validate a space as a form or a spreadsheet row gives it: every error, not the first."""
    errors: list[FieldError] = []
    code = _code(raw, errors)
    name = _required_text(raw, "name", errors)
    location = text(raw.get("location"))
    if len(location) > LENGTHS["location"]:
        errors.append(
            _bad("location", "超过 {n} 个字", "longer than {n} characters", n=LENGTHS["location"])
        )
    industry, cls = _industry_and_class(raw, errors)
    data = SpaceData(
        code=code,
        name=name,
        location=location,
        industry=industry,
        catalogue_class=cls,
        hazards=_hazards(raw, wf, errors),
        isolation_measures=_measures(raw, "isolation_measures", errors),
        control_measures=_measures(raw, "control_measures", errors),
        deep=_deep(raw, errors),
        sign_placed_on=_placed_on(raw, "sign_placed_on", today, errors),
        notice_board_placed_on=_placed_on(raw, "notice_board_placed_on", today, errors),
        emergency_phone=_phone(raw, errors),
    )
    return (None if errors else data), errors


def validate(raw: Mapping[str, Any], *, wf: Workflow, today: date) -> SpaceData:
    data, errors = check(raw, wf=wf, today=today)
    if errors:
        raise LedgerInvalid(errors)
    assert data is not None
    return data


def current(space: Space) -> dict[str, Any]:
    """A stored space as the raw input that would keep it as it is."""
    return {f.name: getattr(space, f.name) for f in fields(SpaceData)}


# -- the list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    q: str = ""
    industry: str = ""
    cls: str = ""
    key: str = ""  # "1": key supervision only, "0": the others, "": all
    hazard: str = ""
    sign: str = ""  # "missing": no warning sign placed, "placed": one is
    status: str = "active"

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        """Unknown values are ignored, never an error: a filter link may be old."""
        cat = catalogue()
        industry = args.get("industry", "")
        klass = args.get("class", "")
        return cls(
            q=text(args.get("q", ""))[:100],
            industry=industry if industry in cat.industries else "",
            cls=klass if any(k == klass for _, k in cat.classes) else "",
            key=args.get("key", "") if args.get("key") in ("0", "1") else "",
            hazard=text(args.get("hazard", ""))[:40],
            sign=args.get("sign", "") if args.get("sign") in ("missing", "placed") else "",
            status=args.get("status") if args.get("status") in STATUSES else "active",
        )

    def args(self) -> dict[str, str]:
        """The query arguments that give these filters back (defaults left out)."""
        values = {
            "q": self.q,
            "industry": self.industry,
            "class": self.cls,
            "key": self.key,
            "hazard": self.hazard,
            "sign": self.sign,
            "status": "" if self.status == "active" else self.status,
        }
        return {k: v for k, v in values.items() if v}

    @property
    def narrowed(self) -> bool:
        """Any filter beyond the default 'active spaces'."""
        return bool(set(self.args()) - {"q"})


def spaces(session: Session, user: User, filters: Filters, wf: Workflow) -> list[Space]:
    """The user's enterprise's spaces that pass the filters, by code."""
    query = access.visible_spaces(user)
    if filters.status == "active":
        query = query.where(Space.retired_at.is_(None))
    elif filters.status == "retired":
        query = query.where(Space.retired_at.is_not(None))
    if filters.q:
        query = query.where(
            or_(
                Space.code.icontains(filters.q, autoescape=True),
                Space.name.icontains(filters.q, autoescape=True),
                Space.location.icontains(filters.q, autoescape=True),
            )
        )
    if filters.industry:
        query = query.where(Space.industry == filters.industry)
    if filters.cls:
        query = query.where(Space.catalogue_class == filters.cls)
    if filters.sign == "missing":
        query = query.where(Space.sign_placed_on.is_(None))
    elif filters.sign == "placed":
        query = query.where(Space.sign_placed_on.is_not(None))
    found = session.scalars(query.order_by(Space.code)).all()
    # Hazards are a JSON list and key supervision is derived from the pack: filtered here,
    # over one enterprise's ledger (hundreds of rows, not millions).
    if filters.hazard:
        found = [s for s in found if filters.hazard in s.hazards]
    if filters.key:
        wanted = filters.key == "1"
        found = [s for s in found if is_key_supervision(s, wf) == wanted]
    return list(found)


def space_for(session: Session, user: User, code: str) -> Space:
    space = session.scalars(access.visible_spaces(user).where(Space.code == code)).first()
    if space is None:
        raise NotFound(
            [plain("not_found", "台账中没有 {code}", "No space {code} in the ledger", code=code)]
        )
    return space


def may_keep(user: User) -> bool:
    return access.is_staff(user) and user.has_role(*KEEPERS)


def _role(actor: User) -> str:
    return next((r for r in KEEPERS if actor.has_role(r)), "admin")


# -- changes ---------------------------------------------------------------------------------


def create_space(
    session: Session,
    enterprise_id: int,
    data: SpaceData,
    *,
    clock: Clock,
    actor: User,
) -> Space:
    # Codes differing only in case would be two spaces to the database and one to a person.
    taken = session.scalar(
        select(Space.code).where(
            Space.enterprise_id == enterprise_id, func.lower(Space.code) == data.code.lower()
        )
    )
    if taken is not None:
        raise LedgerInvalid(
            [
                _bad(
                    "code",
                    "编号 '{v}' 已在台账中",
                    "the code '{v}' is already in the ledger",
                    v=taken,
                )
            ]
        )
    enterprise = session.get(Enterprise, enterprise_id)
    values = asdict(data)
    return registers.add_space(
        session,
        enterprise,
        clock=clock,
        actor=actor,
        actor_role=_role(actor),
        **values,
    )


def changes(space: Space, data: SpaceData) -> dict[str, tuple[Any, Any]]:
    """field → (old, new) for every field the data would change."""
    out = {}
    for name in EDITABLE:
        old, new = getattr(space, name), getattr(data, name)
        if old != new:
            out[name] = (old, new)
    return out


def _not_retired(space: Space) -> None:
    if not space.active:
        raise Blocked(
            [
                plain(
                    "space_retired",
                    "{code} 已停用：台账保留其记录，不能再修改",
                    "{code} is retired: the ledger keeps its record but it can no longer change",
                    code=space.code,
                )
            ]
        )


def update_space(
    session: Session, space: Space, data: SpaceData, *, clock: Clock, actor: User
) -> dict[str, tuple[Any, Any]]:
    """Apply the changes (the code stays: signs and spreadsheets know the space by it) and
    audit each old → new. Nothing changed: nothing written, not even an audit entry."""
    _not_retired(space)
    diff = changes(space, data)
    if not diff:
        return diff
    for name, (_, new) in diff.items():
        setattr(space, name, list(new) if isinstance(new, list) else new)
    session.flush()
    audit.append(
        session,
        enterprise_id=space.enterprise_id,
        actor_id=actor.id,
        actor_role=_role(actor),
        subject_type=Space.__tablename__,
        subject_id=space.id,
        event="update",
        data={"code": space.code, "changes": {k: [old, new] for k, (old, new) in diff.items()}},
        at=clock.now(),
    )
    return diff


def live_permits(session: Session, space: Space) -> list[Permit]:
    """Permits of the space not yet in a final state of their own workflow."""
    permits = session.scalars(
        select(Permit).where(Permit.space_id == space.id).order_by(Permit.id)
    ).all()
    return [p for p in permits if p.state not in get_workflow(p.workflow, p.workflow_version).final]


def retire_refusals(session: Session, space: Space) -> list[Reason]:
    """Why the space cannot be retired now: its permits still open. Empty: it can."""
    return [
        plain(
            "live_permit",
            "作业票 {number}（{state}）尚未关闭或取消，不能停用该有限空间",
            "Permit {number} ({state}) is not closed or cancelled: the space cannot be retired",
            number=p.number,
            state={
                lang: get_workflow(p.workflow, p.workflow_version).state_label(p.state, lang)
                for lang in ("zh", "en")
            },
        )
        for p in live_permits(session, space)
    ]


def retire_space(session: Session, space: Space, reason: str, *, clock: Clock, actor: User) -> None:
    _not_retired(space)
    reason = text(reason)[:500]
    if not reason:
        raise InvalidInput([plain("reason", "请填写停用原因", "Give the reason for retiring it")])
    refusals = retire_refusals(session, space)
    if refusals:
        raise Blocked(refusals)
    registers.retire_space(
        session, space, clock=clock, actor=actor, reason=reason, actor_role=_role(actor)
    )


def history(session: Session, space: Space) -> list[AuditEntry]:
    """The space's audit entries, newest first."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.chain == audit.chain_of(space.enterprise_id),
                AuditEntry.subject_type == Space.__tablename__,
                AuditEntry.subject_id == space.id,
            )
            .order_by(AuditEntry.seq.desc())
        )
    )


def retired_because(session: Session, space: Space) -> str:
    if space.active:
        return ""
    for entry in history(session, space):
        if entry.event == "retire":
            return entry.data.get("reason", "")
    return ""
