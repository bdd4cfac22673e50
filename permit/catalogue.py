"""The key-supervision catalogue (appendix of 003) and the derived 重点监管 status of a space."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .models import Space
from .workflow import WORKFLOWS_DIR, Workflow


@dataclass(frozen=True)
class EquipmentClass:
    industry: str
    key: str
    zh: str
    group_zh: str
    group_en: str


@dataclass(frozen=True)
class Catalogue:
    cite: str
    note_cite: str
    industries: dict[str, dict[str, str]]  # key → {"zh", "en"}
    classes: dict[tuple[str, str], EquipmentClass]

    def classes_of(self, industry: str) -> list[EquipmentClass]:
        return [c for (ind, _), c in self.classes.items() if ind == industry]

    def is_listed(self, industry: str, key: str | None) -> bool:
        return key is not None and (industry, key) in self.classes


@cache
def catalogue(path: Path = WORKFLOWS_DIR / "draft-2023" / "catalogue.toml") -> Catalogue:
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    classes = {}
    industries = {}
    for ind_key, ind in raw["industries"].items():
        industries[ind_key] = {"zh": ind["zh"], "en": ind["en"]}
        for group in ind["groups"]:
            for cls in group["classes"]:
                classes[(ind_key, cls["key"])] = EquipmentClass(
                    ind_key, cls["key"], cls["zh"], group["zh"], group["en"]
                )
    head = raw["catalogue"]
    return Catalogue(head["cite"], head["note_cite"], industries, classes)


def key_supervision_reasons(space: Space, workflow: Workflow) -> list[str]:
    """Why a space is 重点监管, each with its citation; empty when it is not."""
    reasons = []
    cat = catalogue()
    if cat.is_listed(space.industry, space.catalogue_class):
        cls = cat.classes[(space.industry, space.catalogue_class)]
        reasons.append(
            f"{cat.cite}：{cat.industries[space.industry]['zh']} {cls.group_zh} {cls.zh}"
        )
    hazards = workflow.section("hazards")
    for hazard in space.hazards:
        spec = hazards.get(hazard, {})
        if spec.get("key_supervision"):
            reasons.append(f"{spec['cite']}（{spec['zh']}）")
    return reasons


def is_key_supervision(space: Space, workflow: Workflow) -> bool:
    return bool(key_supervision_reasons(space, workflow))
