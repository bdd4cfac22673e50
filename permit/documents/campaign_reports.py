"""The monthly brief (工作简报) and a campaign's summary report (总结报告) as printed documents
(Chinese: they are official records), from the figures of permit.campaign_reports."""

from __future__ import annotations

from typing import Any

from . import PdfCache, render


def brief_pdf(figures: dict[str, Any], *, cache: PdfCache | None = None) -> bytes:
    return render("campaign_brief.html", cache=cache, r=figures)


def summary_pdf(figures: dict[str, Any], *, cache: PdfCache | None = None) -> bytes:
    return render("campaign_summary.html", cache=cache, r=figures)
