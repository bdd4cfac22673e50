"""The penalty clause a problem found at a visit would fall under: the liability article and
item of the visited enterprise's own rule pack, with the fines for the enterprise and for the
persons responsible, all as the pack states them ([[penalties]] and [[evidence]]).

    penalty_for(session, inspection, finding) -> CheckpointPenalty   (one problem)
    penalties_for(session, inspection) -> {checkpoint: CheckpointPenalty}

A checkpoint whose obligation no liability article lists maps to no clause, and says so."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from .clock import local_date
from .models import Finding, Inspection
from .packs import Pack, pack_in_force, packs

ITEM_NUMERALS = "一二三四五六七八九十"
PARTIES = {
    "enterprise": {"zh": "企业", "en": "The enterprise"},
    "persons": {
        "zh": "直接负责的主管人员和其他直接责任人员",
        "en": "The persons directly responsible",
    },
}
STAGES = {
    "ordered": {"zh": "责令限期改正", "en": "when ordered to rectify"},
    "overdue": {"zh": "逾期未改正的", "en": "if not rectified in time"},
}


def _yuan(amount: int, lang: str) -> str:
    if lang == "zh":
        return f"{amount // 10000}万元" if amount % 10000 == 0 else f"{amount}元"
    return f"¥{amount:,}"


@dataclass(frozen=True)
class Fine:
    party: str  # enterprise / persons
    when: str  # ordered / overdue (逾期未改正)
    low: int  # yuan; 0: "up to" (以下)
    high: int

    def range(self, lang: str = "zh") -> str:
        if lang == "zh":
            if not self.low:
                return f"{_yuan(self.high, lang)}以下"
            return f"{_yuan(self.low, lang)}以上{_yuan(self.high, lang)}以下"
        if not self.low:
            return f"up to {_yuan(self.high, lang)}"
        return f"{_yuan(self.low, lang)} to {_yuan(self.high, lang)}"

    def text(self, lang: str = "zh") -> str:
        """One fine as a sentence: 逾期未改正的，罚款5万元以上20万元以下."""
        stage = STAGES[self.when][lang]
        if lang == "zh":
            return f"{stage}，罚款{self.range(lang)}"
        return f"a fine of {self.range(lang)} {stage}"


@dataclass(frozen=True)
class Clause:
    """One item of a liability article, with its fines."""

    article: str  # as the pack cites it: "003 第十八条"
    item: str  # the item's number in the article: 一, 二, …
    key: str
    text: Mapping[str, str]  # the item's wording, zh and en
    wording: Mapping[str, str]  # the article's own words on the fines: enterprise, persons
    fines: tuple[Fine, ...]
    cite: str

    def label(self, lang: str = "zh") -> str:
        if lang == "zh":
            return f"{self.article}第（{self.item}）项"
        return f"{self.article}, item ({self.item})"

    def fines_of(self, party: str) -> list[Fine]:
        return [f for f in self.fines if f.party == party]

    def fines_text(self, party: str, lang: str = "zh") -> str:
        sep = "；" if lang == "zh" else "; "
        return sep.join(f.text(lang) for f in self.fines_of(party)) or (
            "—" if lang == "zh" else "none"
        )


@dataclass(frozen=True)
class CheckpointPenalty:
    """A checkpoint of the consultation form as the enterprise's pack reads it."""

    checkpoint: int
    pack: str  # the pack's id
    pack_label: Mapping[str, str]
    article: str  # the obligation the checkpoint relates to
    clause: Clause | None  # None: no liability item of the pack lists it

    def summary(self, lang: str = "zh") -> str:
        if self.clause is not None:
            return f"{self.clause.label(lang)} {self.clause.text[lang]}"
        if lang == "zh":
            return f"《{self.pack_label['zh']}》的法律责任条款未列此项（对应{self.article}）"
        return (
            f"No item of the liability articles of “{self.pack_label['en']}” lists this "
            f"(obligation: {self.article})"
        )


def clause(pack: Pack, key: str | None) -> Clause | None:
    """The liability item of a pack by its key, with its fines."""
    if not key:
        return None
    for block in pack.section("penalties"):
        for number, item in enumerate(block["items"], 1):
            if item["key"] != key:
                continue
            return Clause(
                article=block["article"],
                item=ITEM_NUMERALS[number - 1] if number <= 10 else str(number),
                key=key,
                text={"zh": item["zh"], "en": item["en"]},
                wording={"enterprise": block["enterprise"], "persons": block["persons"]},
                fines=tuple(
                    Fine(f["party"], f["when"], f.get("min", 0), f["max"]) for f in block["fines"]
                ),
                cite=block["cite"],
            )
    return None


def for_checkpoint(pack: Pack, number: int) -> CheckpointPenalty:
    entry = next(e for e in pack.section("evidence") if e["checkpoint"] == number)
    return CheckpointPenalty(
        checkpoint=number,
        pack=pack.id,
        pack_label={"zh": pack.label("zh"), "en": pack.label("en")},
        article=entry["article"],
        clause=clause(pack, entry.get("penalty")),
    )


def found_on(inspection: Inspection) -> date:
    """The day the problems were found: the consultation's, else the day planned."""
    started = inspection.consultation_started_at
    return local_date(started) if started else inspection.planned_on


def pack_of(session: Session, inspection: Inspection) -> Pack:
    """The rule pack the visited enterprise was judged by when its problems were found."""
    return packs()[pack_in_force(session, inspection.enterprise_id, found_on(inspection))]


def penalties_for(session: Session, inspection: Inspection) -> dict[int, CheckpointPenalty]:
    pack = pack_of(session, inspection)
    return {
        e["checkpoint"]: for_checkpoint(pack, e["checkpoint"]) for e in pack.section("evidence")
    }


def penalty_for(
    session: Session, inspection: Inspection, finding: Finding | int
) -> CheckpointPenalty:
    number = finding if isinstance(finding, int) else finding.checkpoint
    return for_checkpoint(pack_of(session, inspection), number)


__all__ = [
    "Clause",
    "Fine",
    "CheckpointPenalty",
    "clause",
    "pack_of",
    "penalties_for",
    "penalty_for",
]
