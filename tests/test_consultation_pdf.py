"""The filled 现场会诊表 as a PDF: the seed's twenty checkpoints in its own words, each finding
ticked, the team's problem photos embedded, one CJK face, and only for those who see the visit."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from PIL import Image

from permit import attachments, inspections, registers
from permit.clock import local_date, local_text
from permit.documents import FORM_FONT, css_string
from permit.documents.consultation import consultation_pdf
from permit.models import FindingPhoto

from . import documents
from .factories import PASSWORD
from .test_web import signed_in

PROBLEM_PHOTOS = {5: 2, 9: 1}  # checkpoint → photos the team took of its problem
NOT_APPLICABLE = 18


def photo(seed: int) -> bytes:
    """A phone's photo, each seed another (the same bytes twice would be one photo)."""
    out = io.BytesIO()
    Image.new("RGB", (1800, 1200), (seed * 40 % 256, 120, 200 - seed)).save(out, "JPEG")
    return out.getvalue()


def one_line(words: str) -> str:
    """pdftotext breaks a cell's text over lines; the form's wording is read across them."""
    return "".join(words.split())


def between(flat: str, start: str, end: str | None) -> str:
    """The text of one checkpoint's row: from its wording to the next checkpoint's."""
    tail = flat.split(one_line(start), 1)[1]
    return tail.split(one_line(end), 1)[0] if end else tail


@pytest.fixture
def judged(vw):
    """A visit whose consultation ran 4½ hours: two problems with photos (and the
    enterprise's own rectification photo on one, which is not the team's), one checkpoint
    not applicable, the rest met; the methods the team used ticked."""
    visit = vw.drive(vw.plan(), "consultation")
    deadline = (local_date(vw.clock.now()) + timedelta(days=30)).isoformat()
    seed = 0
    for point in inspections.checkpoints():
        n = point.number
        fields = [("methods", ["records"] if n == 1 else ["site"])]
        if n in PROBLEM_PHOTOS:
            fields += [
                ("result", "problem"),
                ("description", f"第{n}项：台账缺少3处污水井"),
                ("suggestion", f"第{n}项：补齐台账并张贴告知牌"),
                ("deadline", deadline),
            ]
        else:
            fields.append(("result", "na" if n == NOT_APPLICABLE else "meets"))
        for field, value in fields:
            inspections.save_field(
                vw.session, visit, n, field, value, actor=vw.expert, clock=vw.clock
            )
        for _ in range(PROBLEM_PHOTOS.get(n, 0)):
            seed += 1
            inspections.add_photo(
                vw.session,
                visit,
                n,
                filename=f"IMG_{seed}.jpg",
                data=photo(seed),
                actor=vw.expert,
                clock=vw.clock,
            )
    # The enterprise's evidence of its rectification, kept beside the team's photos.
    row = inspections.findings_of(vw.session, visit)[4]
    evidence = attachments.store(
        vw.session,
        enterprise_id=visit.enterprise_id,
        filename="fixed.jpg",
        data=photo(99),
        clock=vw.clock,
        actor=vw.principal,
    )
    vw.session.add(
        FindingPhoto(
            finding_id=row.id,
            attachment_id=evidence.id,
            resized_id=evidence.id,
            kind="answer",
            added_at=vw.clock.now(),
            added_by_id=vw.principal.id,
        )
    )
    vw.clock.advance(hours=4, minutes=30)
    vw.fire(visit, "end_consultation")
    vw.session.commit()
    return visit


def test_the_form_holds_the_seeds_twenty_checkpoints_the_enterprise_and_the_date(vw, judged):
    pdf = consultation_pdf(vw.session, judged)
    flat = one_line(documents.text(pdf))
    wf = inspections.workflow()
    wording = [f"{p.number}.{p.text['zh']}" for p in inspections.checkpoints(wf)]
    titles = [g["zh"] for g in wf.section("checkpoint_groups")]
    missing = [w for w in [*wording, *titles] if one_line(w) not in flat]
    assert not missing, missing
    assert len(wording) == 20 and wording[4] == "5.企业应当建立有限空间管理台账。"
    for column in ("序号", "项目", "会诊要点", "方式方法", "问题描述", "问题图片", "整改建议"):
        assert column in flat
    day = local_date(judged.consultation_started_at)
    assert f"企业名称：{vw.ent.name}".replace(" ", "") in flat
    assert f"指导服务时间：{day.year}年{day.month}月{day.day}日" in flat
    sizes = documents.pages(pdf)
    assert sizes and all(round(w) == 842 and round(h) == 595 for w, h in sizes)  # A4 landscape


def test_each_finding_is_ticked_and_a_problem_carries_its_description_and_suggestion(vw, judged):
    flat = one_line(documents.text(consultation_pdf(vw.session, judged)))
    points = inspections.checkpoints()
    rows = {
        p.number: between(
            flat,
            f"{p.number}.{p.text['zh']}",
            f"{points[i + 1].number}.{points[i + 1].text['zh']}" if i + 1 < len(points) else None,
        )
        for i, p in enumerate(points)
    }
    for n, row in rows.items():
        ticked = {label for label in ("符合", "存在问题", "不适用") if f"✓{label}" in row}
        expected = (
            "存在问题" if n in PROBLEM_PHOTOS else "不适用" if n == NOT_APPLICABLE else "符合"
        )
        assert ticked == {expected}, (n, row)
    assert "第5项：台账缺少3处污水井" in rows[5] and "第5项：补齐台账并张贴告知牌" in rows[5]
    deadline = min(f.deadline for f in inspections.problems(vw.session, judged))
    assert f"整改期限：{deadline.isoformat()}" in rows[5]


def test_the_methods_the_team_used_are_ticked_beside_the_seeds_guidance(vw, judged):
    flat = one_line(documents.text(consultation_pdf(vw.session, judged)))
    group_one = between(flat, "1.主要负责人作为第一责任", "二有限空间安全管理制度")
    # Checkpoint 1 was checked in the records, 2 on site (a method group 一 does not name).
    assert "✓查阅资料（第1项）：" in group_one
    assert "✓现场查看（第2项）：" in group_one
    assert "沟通交流：" in group_one and "✓沟通交流" not in group_one
    seed_point = (
        "（3）与作业人员沟通，了解企业主要负责人、监护人（作业负责人）履行安全生产职责的情况。"
    )
    assert one_line(seed_point) in group_one


def test_the_team_problem_photos_are_embedded_as_resized_and_no_other_photo(vw, judged):
    pdf = consultation_pdf(vw.session, judged)
    found = documents.images(pdf)
    team = [
        p
        for f in inspections.findings_of(vw.session, judged)
        for p in f.photos
        if p.kind == "problem"
    ]
    assert len(team) == sum(PROBLEM_PHOTOS.values()) == 3
    assert len(found) == len(team), found  # the enterprise's answer photo is not on the form
    sizes = sorted(Image.open(io.BytesIO(p.resized.data)).size for p in team)
    assert sorted((i.width, i.height) for i in found) == sizes == [(1280, 853)] * 3
    assert {i.encoding for i in found} == {"jpeg"}  # embedded as kept, not re-encoded


def test_the_form_embeds_one_subset_cjk_face(vw, judged):
    fonts = documents.fonts(consultation_pdf(vw.session, judged))
    assert [f.name.split("+", 1)[-1] for f in fonts] == [FORM_FONT.replace(" ", "-")], fonts
    assert all(f.embedded and f.subset and "+" in f.name for f in fonts), fonts


def test_every_page_carries_the_team_the_lead_the_times_and_the_number(vw, judged):
    pdf = consultation_pdf(vw.session, judged)
    pages = documents.text(pdf).split("\f")[: len(documents.pages(pdf))]
    assert len(pages) > 1
    for number, page in enumerate(pages, start=1):
        flat = one_line(page)
        assert "专家组：刘专家、陈专家" in flat and "监管负责人：黄执法" in flat
        assert (
            one_line(
                f"现场会诊：{local_text(judged.consultation_started_at)} 至 "
                f"{local_text(judged.consultation_ended_at)}"
            )
            in flat
        )
        assert f"编号{judged.number}" in flat
        assert f"第{number}页/共{len(pages)}页" in flat


def test_before_the_consultation_the_form_is_blank_to_take_along(vw):
    visit = vw.plan()
    vw.session.commit()
    pdf = consultation_pdf(vw.session, visit)
    flat = one_line(documents.text(pdf))
    assert "指导服务时间：年月日" in flat and "✓" not in flat
    assert "现场会诊：—至—" in flat
    assert all(one_line(p.text["zh"]) in flat for p in inspections.checkpoints())
    assert documents.images(pdf) == []


def test_a_quote_or_markup_in_a_name_prints_as_written_and_breaks_nothing(vw, clock):
    odd = registers.add_user(
        vw.session,
        enterprise=None,
        name='周"工"\\</style>&',
        roles=["expert"],
        username="odd",
        password=PASSWORD,
        clock=clock,
    )
    from permit import jurisdictions

    jurisdictions.place(vw.session, odd, vw.district, clock=clock)
    visit = vw.plan(experts=[vw.expert, odd])
    vw.session.commit()
    flat = one_line(documents.text(consultation_pdf(vw.session, visit)))
    assert '专家组：刘专家、周"工"\\</style>&' in flat
    assert css_string('a"b\\c</style>\nd') == '"a\\"b\\\\c\\3C /style>\\A d"'


# -- over the web -------------------------------------------------------------------------------


@pytest.fixture
def app(make_app, vw, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def test_the_visit_page_links_to_the_form_served_to_the_team_overseers_and_staff_only(
    app, vw, judged, clock
):
    outsider_ent = vw.other_ent
    registers.add_user(
        vw.session,
        enterprise=outsider_ent,
        name="萧主任",
        roles=["principal"],
        username="principal-xs",
        password=PASSWORD,
        clock=clock,
    )
    vw.session.commit()
    url = f"/inspections/{judged.number}/report.pdf"
    page = signed_in(app, "expert").get(f"/inspections/{judged.number}").get_data(as_text=True)
    assert f'href="{url}"' in page
    for username in ("expert", "expert2", "regulator", "principal", "approver"):
        response = signed_in(app, username).get(url)
        assert response.status_code == 200, username
        assert response.mimetype == "application/pdf"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert len(documents.images(response.data)) == 3
    for username in ("expert-xs", "regulator-xs", "principal-xs"):
        assert signed_in(app, username).get(url).status_code == 404, username
    assert app.test_client().get(url).status_code == 302
    assert signed_in(app, "expert").get("/inspections/ZD-0000-9999/report.pdf").status_code == 404


@pytest.mark.parametrize("engine", ["sqlite"], indirect=True)
def test_an_unchanged_form_is_served_from_the_cache_and_a_changed_one_is_not(
    make_app, vw, clock, tmp_path
):
    app = make_app(WTF_CSRF_ENABLED=False, CLOCK=clock, PDF_CACHE_DIR=str(tmp_path / "cache"))
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    client = signed_in(app, "expert")
    url = f"/inspections/{visit.number}/report.pdf"
    first = client.get(url).data
    assert client.get(url).data == first and len(list((tmp_path / "cache").glob("*.pdf"))) == 1
    client.post(
        f"/inspections/{visit.number}/checkpoints/7", data={"field": "result", "value": "na"}
    )
    changed = client.get(url).data
    assert changed != first and "✓不适用" in one_line(documents.text(changed))
    added = client.post(
        f"/inspections/{visit.number}/checkpoints/7/photos",
        data={"photo": (io.BytesIO(photo(7)), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert added.status_code == 303
    assert len(documents.images(client.get(url).data)) == 1


def test_a_document_reads_no_local_file_and_only_the_photos_handed_to_it(tmp_path):
    from permit import documents as rendering

    on_disk = tmp_path / "secret.jpg"
    on_disk.write_bytes(photo(1))
    handed = rendering.attachment_url("a" * 64)
    other = rendering.attachment_url("b" * 64)
    source = (
        f'<html><body><img src="{on_disk.as_uri()}"><img src="{handed}">'
        f'<img src="{other}"></body></html>'
    )
    found = documents.images(rendering._write_pdf(source, {handed: ("image/jpeg", photo(2))}))
    assert [(i.width, i.height) for i in found] == [(1800, 1200)]  # the one handed in
    assert documents.images(rendering._write_pdf(source)) == []
