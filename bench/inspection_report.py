"""The filled consultation form (现场会诊表) as a PDF, for a visit with 20 photos, beside two
same-run baselines: WeasyPrint alone on a one-line page, and WeasyPrint alone on the
report's own HTML. Run by bench/inspection.py (its `report_pdf` figures), or alone.

The photos are what a phone's camera gives: 4000×3000 JPEGs of some 6 MB with sensor-like
noise, so that they do not compress to nothing; they go through the expert's upload
(permit.inspections.add_photo), and the report embeds the resized copies kept then.
"""

from __future__ import annotations

import io
import os
import tempfile
import time
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.enterprise import percentiles
from bench.harness import fresh_schema
from permit import db, documents, inspections
from permit.clock import FixedClock, local_date
from permit.documents import PdfCache, consultation
from permit.models import FindingPhoto, Inspection

PHOTOS = 20
PHOTO_SIZE = (4000, 3000)
# Ten problems of two photos each; the other checkpoints meet, but two that do not apply.
PROBLEMS = (1, 3, 5, 6, 8, 9, 12, 14, 15, 17)
NOT_APPLICABLE = (18, 19)
GOAL_MS = 2000.0  # p95 of the report PDF, warm

REPORT_DOES = (
    "permit.documents.consultation.consultation_pdf(session, visit): the visit's findings and "
    "the resized copies of their problem photos read from the database, the form's data and "
    "HTML (the photos handed to WeasyPrint beside it), WeasyPrint with the CJK face subset "
    "and embedded; no cache"
)
BASELINES_DO = {
    "one_line_page": "WeasyPrint alone writing a one-line page of Chinese in the form's face",
    "weasyprint_only": (
        "WeasyPrint alone writing the report's own HTML and photos, prepared beforehand"
    ),
}
ONE_LINE = (
    '<html lang="zh-CN"><body style="font-family: \'{font}\'">工贸重点企业现场会诊表</body></html>'
)


@cache
def _sensor_noise(size: tuple[int, int]) -> Any:
    """Per-channel Gaussian noise over the whole frame, made once: each photo takes it at
    another offset (a few percent of the cost of making it again)."""
    from PIL import Image

    return Image.merge("RGB", [Image.effect_noise(size, sigma) for sigma in (40, 45, 50)])


def phone_photo(seed: int, size: tuple[int, int] = PHOTO_SIZE) -> bytes:
    """A 4000×3000 camera JPEG of some 6 MB: a gradient, a few shapes and sensor noise
    (which compresses about as badly as a real scene does), each seed another picture."""
    from PIL import Image, ImageChops, ImageDraw

    w, h = size
    scene = Image.linear_gradient("L").resize(size).convert("RGB")
    noise = ImageChops.offset(_sensor_noise(size), seed * 7919 % w, seed * 104729 % h)
    image = Image.blend(scene, noise, 0.5)
    draw = ImageDraw.Draw(image)
    for i in range(12):
        x, y = (seed * 997 + i * 331) % w, (seed * 463 + i * 577) % h
        draw.rectangle([x, y, x + 600, y + 400], outline=(200, (40 * i) % 255, 40), width=25)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def prepare(url: str) -> dict[str, Any]:
    """Fresh schema; one visit (tests.factories.VisitWorld) at the debrief, its form filled
    by the team: ten problems with two photos each, eight checkpoints met, two not
    applicable."""
    from tests.factories import VisitWorld

    engine = db.make_engine(url)
    try:
        fresh_schema(engine)
        clock = FixedClock()
        with db.session_factory(engine)() as s:
            world = VisitWorld(s, clock).build()
            visit = world.drive(world.plan(), "consultation")
            deadline = (local_date(clock.now()) + timedelta(days=30)).isoformat()
            photo_bytes = 0
            for point in inspections.checkpoints():
                n = point.number
                fields: list[tuple[str, Any]] = [("methods", ["records", "site"])]
                if n in PROBLEMS:
                    fields += [
                        ("result", "problem"),
                        ("description", f"{point.text['zh'][:24]}……现场未落实，记录不全。"),
                        ("suggestion", "按要求立即整改，完善记录并组织复查。"),
                        ("deadline", deadline),
                    ]
                else:
                    fields.append(("result", "na" if n in NOT_APPLICABLE else "meets"))
                for field, value in fields:
                    inspections.save_field(
                        s, visit, n, field, value, actor=world.expert, clock=clock
                    )
                if n in PROBLEMS:
                    for k in range(PHOTOS // len(PROBLEMS)):
                        data = phone_photo(n * 10 + k)
                        photo_bytes += len(data)
                        inspections.add_photo(
                            s,
                            visit,
                            n,
                            filename=f"IMG_{n:02d}{k}.jpg",
                            data=data,
                            actor=world.expert,
                            clock=clock,
                        )
                s.commit()
            clock.advance(hours=4, minutes=30)
            world.fire(visit, "end_consultation")
            s.commit()
            return {"number": visit.number, "photo_bytes": photo_bytes}
    finally:
        engine.dispose()


def report_times(url: str, runs: int, warmup: int) -> dict[str, Any]:
    started = time.perf_counter()
    scene = prepare(url)
    prepared_s = round(time.perf_counter() - started, 1)
    engine = db.make_engine(url)
    folder = tempfile.TemporaryDirectory(prefix="permit-bench-report-")
    try:
        with db.session_factory(engine)() as s:
            visit = s.scalars(select(Inspection).where(Inspection.number == scene["number"])).one()
            photos = list(s.scalars(select(FindingPhoto)))
            embedded = sum(len(p.resized.data) for p in photos)
            data = consultation.form(s, visit)
            files = data.pop("files")
            html = documents.html(consultation.TEMPLATE, f=data)
            one_line = ONE_LINE.format(font=documents.FORM_FONT)
            kept = PdfCache(Path(folder.name))
            arms = {
                "report_pdf": lambda: (s.expire_all(), consultation.consultation_pdf(s, visit)),
                "cached": lambda: (
                    s.expire_all(),
                    consultation.consultation_pdf(s, visit, cache=kept),
                ),
                "one_line_page": lambda: documents._write_pdf(one_line),
                "weasyprint_only": lambda: documents._write_pdf(html, files),
            }
            for work in arms.values():
                for _ in range(warmup):
                    work()
            wall: dict[str, list[float]] = {name: [] for name in arms}
            cpu: dict[str, list[float]] = {name: [] for name in arms}
            for i in range(runs):
                order = list(arms) if i % 2 == 0 else list(reversed(arms))
                for name in order:
                    start, start_cpu = time.perf_counter(), time.process_time()
                    arms[name]()
                    cpu[name].append(time.process_time() - start_cpu)
                    wall[name].append(time.perf_counter() - start)
            pdf = consultation.consultation_pdf(s, visit)
            load = [round(x, 2) for x in os.getloadavg()]
    finally:
        engine.dispose()
        folder.cleanup()

    def figures(name: str) -> dict[str, float]:
        # CPU time beside wall time: on a shared machine the wall clock also counts the
        # time other processes held the cores.
        return {
            **percentiles(wall[name]),
            "cpu_p50_ms": percentiles(cpu[name])["p50_ms"],
        }

    report = figures("report_pdf")
    result: dict[str, Any] = {
        "prepare_s": prepared_s,
        "photos": len(photos),
        "photo_originals_mb": round(scene["photo_bytes"] / 2**20, 1),
        "photos_embedded_kb": round(embedded / 1024),
        "html_kb": round(len(html.encode()) / 1024),
        "pdf_kb": round(len(pdf) / 1024),
        "load_average_after": load,
        "report_pdf": report,
        "cached": figures("cached"),
        **{name: figures(name) for name in BASELINES_DO},
    }
    for name in BASELINES_DO:
        result[f"p50_over_{name}"] = round(report["p50_ms"] / result[name]["p50_ms"], 1)
    result["within_goal"] = report["p95_ms"] <= GOAL_MS
    return result


def describe(runs: int, warmup: int) -> dict[str, Any]:
    """The report part's wording for the JSON document."""
    return {
        "does": REPORT_DOES,
        "cached_does": (
            "the same call with the on-disk PDF cache keyed by the HTML's hash (an unchanged "
            "form downloaded again): records and photos read, HTML rendered and hashed"
        ),
        "baselines_do": BASELINES_DO,
        "data": (
            f"one visit at the debrief: 20 checkpoints judged ({len(PROBLEMS)} problems, "
            f"{len(NOT_APPLICABLE)} not applicable), {PHOTOS} photos of "
            f"{PHOTO_SIZE[0]}×{PHOTO_SIZE[1]} uploaded through inspections.add_photo"
        ),
        "figures": f"p50/p95 over {runs} warm runs per arm ({warmup} untimed first); "
        "the arms alternate, same process and session",
        "goal": f"report PDF p95 <= {GOAL_MS:g} ms",
    }
