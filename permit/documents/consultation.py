"""The filled 工贸重点企业现场会诊表 (seed 000) as a PDF, in the seed's own layout: ten topics,
twenty checkpoints, the methods, the finding, the problem and its photos, the suggestion."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, undefer

from ..clock import local_date, local_text
from ..engine import workflow_of
from ..models import Attachment, Finding, FindingPhoto, Inspection
from ..workflow import Workflow
from . import PdfCache, attachment_url, render

TEMPLATE = "consultation.html"
TITLE = "工贸重点企业现场会诊表"  # the seed's name for the form
# Only the team's own photos of a problem go on the form; the enterprise's evidence of its
# rectification (kind "answer") belongs to the rectification record, not to the consultation.
PROBLEM = "problem"


def _method_sections(group: Mapping[str, Any], methods: list[Mapping[str, Any]]) -> dict:
    """The group's 方式方法 text cut at each method's heading (查阅资料：…), each into its
    numbered points（1）（2）…, as the seed prints them one under the other."""
    labels = {m["zh"]: m["key"] for m in methods}
    pattern = "(" + "|".join(re.escape(label) for label in labels) + ")："
    parts = re.split(pattern, group.get("guidance", ""))
    sections: dict[str, list[str]] = {}
    for label, body in zip(parts[1::2], parts[2::2], strict=True):
        sections[labels[label]] = [p for p in re.split(r"(?=（\d+）)", body) if p.strip()]
    return sections


def _methods(
    group: Mapping[str, Any], wf: Workflow, numbers: list[int], findings: Mapping[int, Finding]
) -> list[dict[str, Any]]:
    """Each method of the group's guidance, ticked with the checkpoints the team used it for;
    a method the team used that the guidance does not name is listed too."""
    methods = wf.section("methods")["items"]
    sections = _method_sections(group, methods)
    out = []
    for method in methods:
        used_at = [n for n in numbers if n in findings and method["key"] in findings[n].methods]
        if method["key"] in sections or used_at:
            out.append(
                {
                    "label": method["zh"],
                    "used_at": used_at,
                    "points": sections.get(method["key"], []),
                }
            )
    return out


def form(session: Session, inspection: Inspection) -> dict[str, Any]:
    """What the form prints, as plain data (Chinese: it is an official record). The date
    and times are left blank until the consultation starts: before that it is the blank
    form for the team to take along."""
    wf = workflow_of(inspection)
    findings = {
        f.checkpoint: f
        for f in session.scalars(
            select(Finding)
            .where(Finding.inspection_id == inspection.id)
            .options(
                selectinload(Finding.photos)
                .selectinload(FindingPhoto.resized)
                .options(undefer(Attachment.data))
            )
            .execution_options(populate_existing=True)
        )
    }
    verdicts = wf.section("findings")["items"]
    files: dict[str, tuple[str, bytes]] = {}
    moments = [inspection.updated_at]
    groups = []
    for group in wf.section("checkpoint_groups"):
        numbers = [p["number"] for p in group["checkpoints"]]
        rows = []
        for point in group["checkpoints"]:
            found = findings.get(point["number"])
            photos = [p for p in found.photos if p.kind == PROBLEM] if found else []
            for p in photos:
                files[attachment_url(p.resized.sha256)] = (p.resized.content_type, p.resized.data)
            if found:
                moments += [found.updated_at, *(p.added_at for p in photos)]
            rows.append(
                {
                    "number": point["number"],
                    "text": point["zh"],
                    "verdicts": [
                        {"label": v["zh"], "ticked": found is not None and found.result == v["key"]}
                        for v in verdicts
                    ],
                    "description": found.description if found else "",
                    "photos": [attachment_url(p.resized.sha256) for p in photos],
                    "suggestion": found.suggestion if found else "",
                    "deadline": found.deadline.isoformat() if found and found.deadline else "",
                    "responsible": found.responsible if found else "",
                }
            )
        groups.append(
            {
                "numeral": group["number"],
                "title": group["zh"],
                "methods": _methods(group, wf, numbers, findings),
                "rows": rows,
            }
        )
    started, ended = inspection.consultation_started_at, inspection.consultation_ended_at
    day = local_date(started) if started else None
    experts = [e.name for e in inspection.experts]
    lead = inspection.lead.name
    as_of = local_text(max(moments))
    return {
        "title": TITLE,
        "enterprise": inspection.enterprise.name,
        "date": {"year": day.year, "month": day.month, "day": day.day} if day else None,
        "groups": groups,
        "number": inspection.number,
        "files": files,  # the photos, handed to the renderer beside the HTML
        # On every page, as the signed foot of the paper form.
        "footer": (
            f"专家组：{'、'.join(experts) or '—'}　监管负责人：{lead}　"
            f"现场会诊：{local_text(started) if started else '—'} 至 "
            f"{local_text(ended) if ended else '—'}　编号 {inspection.number}　记录截至 {as_of}"
        ),
    }


def consultation_pdf(
    session: Session, inspection: Inspection, *, cache: PdfCache | None = None
) -> bytes:
    """The form as a PDF. Its text depends only on the records (it says "as of" the last
    change, not when it was printed), so an unchanged form comes from the cache."""
    data = form(session, inspection)
    return render(TEMPLATE, cache=cache, files=data.pop("files"), f=data)
