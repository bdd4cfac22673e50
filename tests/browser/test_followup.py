"""After the consultation, on a 390 px phone: the enterprise's principal reads each problem with
its penalty clause, answers it with a photo from the camera; the expert records the follow-up
verdict, and a problem not fixed shows flagged for enforcement."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from permit import engine, inspections
from permit.clock import local_date
from permit.models import Finding, FindingPhoto, Inspection

from ..factories import PASSWORD
from .playwright_expect import expect
from .test_inspections import photo, visit_under_way


def rectifying(site) -> str:
    """The visit under way, every checkpoint judged, two problems accepted by the principal."""
    number = visit_under_way(site)
    w = site.world
    s, c = w.session, w.clock
    visit = s.scalars(select(Inspection).where(Inspection.number == number)).one()
    expert = visit.experts[0]
    deadline = (local_date(c.now()) + timedelta(days=20)).isoformat()
    for point in inspections.checkpoints():
        n = point.number
        fields = [("result", "meets")]
        if n in (6, 17):
            fields = [
                ("result", "problem"),
                ("description", f"第{n}项：现场发现的问题"),
                ("suggestion", "按规定整改"),
                ("deadline", deadline),
                ("responsible", "安全科 赵科长"),
            ]
        for field, value in fields:
            inspections.save_field(s, visit, n, field, value, actor=expert, clock=c)
    c.advance(hours=5)
    engine.apply(s, visit, "end_consultation", expert, {}, clock=c)
    engine.apply(s, visit, "accept", w.principal, {"password": PASSWORD}, clock=c)
    s.commit()
    return number


def no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"


def test_the_principal_answers_with_a_photo_and_the_expert_flags_what_is_not_fixed(
    serve, phone, shot
):
    site = serve()
    number = rectifying(site)
    page = phone(site, "principal")
    page.goto(f"{site.url}/inspections/{number}")
    six = page.locator("#cp-6")
    expect(six.locator(".penalty")).to_contain_text("003 第十七条第（一）项")
    expect(six.locator(".penalty")).to_contain_text("责令限期改正，罚款5万元以下")
    expect(page.locator("#cp-17 .penalty")).to_contain_text("法律责任条款未列此项")
    expect(six.locator("[data-responsible]")).to_have_text("安全科 赵科长")
    six.locator("textarea[name=answer]").fill("已在入口设置安全警示标志")
    six.get_by_role("button", name="保存答复").click()
    expect(page.locator("#cp-6")).to_contain_text("已在入口设置安全警示标志")
    picture = photo()
    for _ in range(2):  # sent twice, as a retry would: kept once
        page.locator("#cp-6 input[type=file]").set_input_files(
            files=[{"name": "IMG_0101.jpg", "mimeType": "image/jpeg", "buffer": picture}]
        )
        page.locator("#cp-6").get_by_role("button", name="上传照片").click()
        expect(page.locator("#cp-6 .answer-photos img")).to_have_count(1)
    no_sideways_scroll(page)
    page.locator("#cp-6").scroll_into_view_if_needed()
    shot(page, "problem-answer-phone")
    with site.sessions() as session:
        kinds = session.scalars(select(FindingPhoto.kind)).all()
        assert kinds == ["answer"]

    # 回头看: the deadline passes; the expert judges both problems on the phone.
    site.clock.advance(days=21)
    expert = phone(site, "expert")
    expert.goto(f"{site.url}/inspections/{number}")
    expert.get_by_role("button", name="开始回头看").click()
    expect(expert.locator("#visit-state")).to_have_text("回头看")
    expect(expert.locator("[data-event=close]")).to_contain_text("尚无回头看结论")
    six = expert.locator("#cp-6")
    six.get_by_label("已整改").check()
    six.get_by_role("button", name="保存结论").click()
    seventeen = expert.locator("#cp-17")
    seventeen.get_by_label("未整改").check()
    seventeen.locator("textarea[name=note]").fill("仍未与承包单位签订安全生产管理协议")
    seventeen.get_by_role("button", name="保存结论").click()
    expect(expert.locator(".enforcement")).to_contain_text("1 项问题回头看未整改，列入执法")
    expect(expert.locator("#cp-17 [data-verdict=not_fixed]")).to_contain_text("列入执法")
    expect(expert.locator("[data-event=close] button")).to_be_enabled()
    no_sideways_scroll(expert)
    expert.locator("#cp-17").scroll_into_view_if_needed()
    shot(expert, "followup-verdict-phone")
    with site.sessions() as session:
        rows = {f.checkpoint: f.followup for f in session.scalars(select(Finding))}
        assert (rows[6], rows[17]) == ("fixed", "not_fixed")
