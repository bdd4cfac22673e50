"""The consultation form on an expert's phone: three checkpoints filled in, one with a photo,
the connection lost mid-save; nothing is lost and nothing is recorded twice."""

from __future__ import annotations

import io
from collections import Counter
from datetime import timedelta

from sqlalchemy import select

from permit import engine, inspections, jurisdictions, registers
from permit.clock import local_date
from permit.models import AuditEntry, Finding, FindingPhoto

from ..factories import PASSWORD
from .playwright_expect import expect


def visit_under_way(site) -> str:
    """The served enterprise on a street of a district with two experts and a regulator, and
    a visit at the consultation."""
    w = site.world
    s, c = w.session, w.clock
    city = jurisdictions.add(s, code="HZ", name="杭州市", level="city", clock=c)
    district = jurisdictions.add(
        s, code="HZ-BJ", name="滨江区", level="district", parent=city, clock=c
    )
    jurisdictions.place(s, w.enterprise, district, clock=c)
    people = {}
    for username, name, role in (
        ("expert", "刘专家", "expert"),
        ("expert2", "陈专家", "expert"),
        ("regulator", "黄执法", "regulator"),
    ):
        people[username] = registers.add_user(
            s,
            enterprise=None,
            name=name,
            roles=[role],
            username=username,
            password=PASSWORD,
            clock=c,
        )
        jurisdictions.place(s, people[username], district, clock=c)
    visit = inspections.plan(
        s,
        enterprise=w.enterprise,
        planned_on=local_date(c.now()),
        lead=people["regulator"],
        experts=[people["expert"], people["expert2"]],
        clock=c,
    )
    wf = inspections.workflow()
    keys = lambda items: [i["key"] for i in items]  # noqa: E731
    for event, actor, data in (
        (
            "confirm_equipment",
            "expert",
            {"confirmed": keys(wf.section("checklists")["team_equipment"]["items"])},
        ),
        ("notify", "regulator", {"documents": keys(wf.section("documents")["items"])}),
        (
            "kickoff",
            "expert",
            {"attendees": {r["key"]: ["某人"] for r in wf.section("attendees")["roles"]}},
        ),
        ("start_consultation", "expert", {}),
    ):
        engine.apply(s, visit, event, people[actor], data, clock=c)
    s.commit()
    return visit.number


def photo() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (2000, 1500), (200, 60, 40)).save(out, "JPEG")
    return out.getvalue()


def saved(page, checkpoint: int) -> None:
    expect(page.locator(f"#cp-{checkpoint} .save-status")).to_have_text("已保存")


def test_an_expert_fills_three_checkpoints_offline_and_nothing_is_lost_or_doubled(
    serve, phone, shot
):
    site = serve()
    number = visit_under_way(site)
    page = phone(site, "expert")
    expect(page.locator("h1")).to_contain_text("专家指导服务")  # an expert's home page
    page.goto(f"{site.url}/inspections/{number}/form")

    # Checkpoint 1, online: each tap is saved at once.
    one = page.locator("#cp-1")
    one.get_by_label("沟通交流").check()
    one.get_by_label("符合", exact=True).check()
    saved(page, 1)

    # Checkpoint 2: the photo reaches the server but the answer is lost as the connection
    # drops (mid-save); the phone keeps it queued and sends it again later.
    dropped = []

    def lose_the_answer(route):
        if not dropped:
            dropped.append(route.fetch().status)  # the server has it now
            route.abort("internetdisconnected")
        else:
            route.continue_()

    page.route("**/checkpoints/2/photos", lose_the_answer)
    two = page.locator("#cp-2")
    two.get_by_label("现场查看").check()
    two.get_by_label("存在问题").check()
    saved(page, 2)
    two.locator("input[type=file]").set_input_files(
        files=[{"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": photo()}]
    )
    expect(two.locator(".save-status")).to_have_text("无网络：已暂存在本机，联网后自动发送")
    assert dropped == [200]
    page.context.set_offline(True)
    two.locator("textarea[data-field=description]").fill("电缆沟入口未设置安全警示标志")
    two.locator("textarea[data-field=suggestion]").fill("在入口醒目位置设置安全警示标志")
    deadline = (local_date(site.clock.now()) + timedelta(days=15)).isoformat()
    two.locator("input[data-field=deadline]").fill(deadline)
    three = page.locator("#cp-3")
    three.get_by_label("查阅资料").check()
    three.get_by_label("不适用").check()
    expect(page.locator("#sync-status")).to_contain_text("未发送")
    shot(page, "inspection-form-offline-phone")
    with site.sessions() as session:  # nothing of the offline edits has arrived yet
        assert session.scalars(select(Finding.checkpoint).order_by(Finding.checkpoint)).all() == [
            1,
            2,
        ]

    page.context.set_offline(False)
    for checkpoint in (2, 3):
        saved(page, checkpoint)
    expect(page.locator("#sync-status")).to_have_text("")
    expect(two.locator(".photos img")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways: {width}px"

    with site.sessions() as session:
        rows = {f.checkpoint: f for f in session.scalars(select(Finding))}
        assert sorted(rows) == [1, 2, 3]
        assert (rows[1].methods, rows[1].result) == (["talk"], "meets")
        assert (rows[2].methods, rows[2].result) == (["site"], "problem")
        assert rows[2].description == "电缆沟入口未设置安全警示标志"
        assert rows[2].suggestion == "在入口醒目位置设置安全警示标志"
        assert rows[2].deadline.isoformat() == deadline
        assert (rows[3].methods, rows[3].result) == (["records"], "na")
        assert len(session.scalars(select(FindingPhoto)).all()) == 1
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.subject_type == "inspections")
        ).all()
        saves = Counter(
            (e.data["checkpoint"], e.data["field"], str(e.data["value"]))
            for e in entries
            if e.event == "save_finding"
        )
        assert max(saves.values()) == 1, saves
        assert sum(e.event == "add_photo" for e in entries) == 1

    # What the phone shows after a reload is what the server kept.
    page.reload()
    expect(page.locator("#cp-2 textarea[data-field=description]")).to_have_value(
        "电缆沟入口未设置安全警示标志"
    )
    expect(page.locator("#cp-3").get_by_label("不适用")).to_be_checked()
    expect(page.locator("#cp-2 .photos img")).to_have_count(1)


def test_the_regulator_sees_the_jurisdiction_and_the_visit_on_a_desktop(serve, phone, shot):
    site = serve()
    number = visit_under_way(site)
    page = phone(site, "regulator", desktop=True)
    expect(page.locator("h1")).to_contain_text("专家指导服务")
    expect(page.locator("table")).to_contain_text("适用：轻工行业")
    shot(page, "inspections-regulator-desktop")
    page.get_by_role("link", name=number).click()
    expect(page.locator("#visit-state")).to_have_text("现场会诊")
    expect(page.locator("body")).not_to_contain_text("打开现场会诊表")  # the form is the team's
