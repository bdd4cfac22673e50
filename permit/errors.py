"""Domain errors. Each carries reasons; a reason names the rule and the article it enforces."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

LANGUAGES = ("zh", "en")


def _localise(params: Mapping[str, Any], lang: str) -> dict[str, Any]:
    """Params may be plain values or {"zh": ..., "en": ...}; pick the user's language."""
    out = {}
    for key, value in params.items():
        if isinstance(value, Mapping) and lang in value:
            value = value[lang]
        out[key] = value
    return out


@dataclass(frozen=True)
class Reason:
    rule: str
    cite: str
    template: Mapping[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)

    def message(self, lang: str = "zh") -> str:
        template = self.template.get(lang) or self.template["zh"]
        return template.format(**_localise(self.params, lang))

    def text(self, lang: str = "zh") -> str:
        """The message with its citation, as a user reads it."""
        if not self.cite:
            return self.message(lang)
        sep = "：" if lang == "zh" else ": "
        return f"{self.cite}{sep}{self.message(lang)}"

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        return {"rule": self.rule, "cite": self.cite, "message": self.message(lang)}

    def __str__(self) -> str:
        return self.text("zh")


def plain(rule: str, zh: str, en: str, **params: Any) -> Reason:
    """A reason about the request itself (unknown event, missing field): no article to cite."""
    return Reason(rule=rule, cite="", template={"zh": zh, "en": en}, params=params)


class DomainError(Exception):
    """Base of every refusal the domain makes. Nothing has been changed when it is raised."""

    def __init__(self, reasons: list[Reason]) -> None:
        self.reasons = list(reasons)
        super().__init__("; ".join(r.text("en") for r in self.reasons))

    def messages(self, lang: str = "zh") -> list[str]:
        return [r.text(lang) for r in self.reasons]


class Blocked(DomainError):
    """A guard refused the event: the reasons say which rule and which article."""


class InvalidInput(DomainError):
    """The request itself is malformed: unknown event, missing field, unknown person."""


class Conflict(DomainError):
    """The permit or visit changed meanwhile; reload and try again."""


class NotFound(DomainError):
    """No such record within the caller's scope."""
