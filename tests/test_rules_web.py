"""The enterprise's own rules through the web: the management-system document with its topic
checklist (art. 5), and the approval-tier table only the admin edits, never below the floor
of art. 11 even when the form is forged."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from permit.models import ApprovalTable, ManagementDocument

from .helpers import row_counts
from .test_web import flashes, signed_in

DOC = b"%PDF-1.4\n% safety management system V3\n"


@pytest.fixture
def app(make_app, world, clock):
    world.person("管理员", ["admin"], trained=False, username="admin")
    world.session.commit()
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def post_page(client, url, data, **kwargs):
    response = client.post(url, data=data, **kwargs)
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def document_form(world, **override):
    form = {
        "title": "有限空间作业安全管理制度",
        "version_label": "V3",
        "effective_on": str(world.today),
        "topics": ["attendant_duties", "training", "approval", "protective_equipment", "emergency"],
        "document": (DOC, "制度.pdf"),
    }
    form.update(override)
    if form.get("document") is not None:
        data, name = form["document"]
        form["document"] = (io.BytesIO(data), name)
    else:
        form.pop("document")
    return form


def test_a_new_version_shows_each_topic_covered_or_missing(app, world):
    client = signed_in(app, "principal")
    page = client.get("/rules/system").get_data(as_text=True)
    assert "尚未登记安全管理制度" in page and "尚未建立有限空间作业安全管理制度" in page
    page = post_page(
        client, "/rules/system", document_form(world), content_type="multipart/form-data"
    )
    assert any("版本 V3 已登记" in m for m in flashes(page))
    assert "安全管理制度未涵盖：操作规程" in page
    assert page.count("✓ 已涵盖") == 5 and page.count("✗ 缺失") == 1
    english = signed_in(app, "entrant", lang="en").get("/rules/system").get_data(as_text=True)
    assert "does not cover: operating procedures" in english
    link = english.split('href="/files/')[1].split('"')[0]
    assert signed_in(app, "entrant").get(f"/files/{link}").data == DOC


@pytest.mark.parametrize(
    "override, zh",
    [
        ({"document": None}, "请上传制度文件"),
        ({"version_label": ""}, "请填写版本号"),
        ({"effective_on": "tomorrow"}, "请填写施行日期"),
        ({"topics": ["horoscopes"]}, "未知的制度内容：horoscopes"),
    ],
)
def test_a_bad_version_says_why_and_changes_nothing(app, world, override, zh):
    client = signed_in(app, "admin")
    before = row_counts(world.session)
    page = post_page(
        client,
        "/rules/system",
        document_form(world, **override),
        content_type="multipart/form-data",
    )
    assert any(zh in m for m in flashes(page)), flashes(page)
    world.session.expire_all()
    assert row_counts(world.session) == before


def test_the_approver_reads_the_rules_but_does_not_record_them(app, world):
    client = signed_in(app, "approver")
    assert client.get("/rules/system").status_code == 200
    response = client.post(
        "/rules/system", data=document_form(world), content_type="multipart/form-data"
    )
    assert response.status_code == 404
    assert client.post("/rules/tiers", data={"tier-general": ["approver"]}).status_code == 404
    assert world.session.scalars(select(ManagementDocument)).first() is None


def test_a_forged_form_cannot_lower_the_major_tier_and_the_refusal_cites_the_article(app, world):
    client = signed_in(app, "admin")
    page = client.get("/rules/system").get_data(as_text=True)
    assert 'name="tier-major" value="approver"  disabled' in page  # the form does not offer it
    before = row_counts(world.session)
    page = post_page(
        client,
        "/rules/tiers",
        {"tier-major": ["principal", "approver"], "tier-general": ["approver"]},
    )
    [message] = flashes(page)
    assert message.startswith(
        "003 第十一条：涉及硫化氢、一氧化碳等中毒风险的有限空间清理清淤、检维修作业"
    )
    assert "不能交给审批人" in message
    world.session.expire_all()
    assert row_counts(world.session) == before


def test_only_the_principal_signs_general_work_once_the_admin_says_so(app, world):
    permit = world.drive(world.permit(task_type="inspection"), "pending_approval")
    approver = signed_in(app, "approver")
    assert permit.number in approver.get("/desk").get_data(as_text=True)
    page = post_page(
        signed_in(app, "admin"),
        "/rules/tiers",
        {
            "tier-major": ["principal", "deputy"],
            "tier-general": ["principal"],
            "note": "试运行期间一般作业也由主要负责人审批",
        },
    )
    assert any("分级审批已保存" in m for m in flashes(page))
    assert "试运行期间一般作业也由主要负责人审批" in page
    assert permit.number not in approver.get("/desk").get_data(as_text=True)
    shown = approver.get(f"/permits/{permit.number}").get_data(as_text=True)
    assert "须由主要负责人审批" in shown
    assert permit.number in signed_in(app, "principal").get("/desk").get_data(as_text=True)
    table = world.session.scalars(select(ApprovalTable)).one()
    assert table.tiers["general"] == {"approvers": ["principal"], "written_authorisation": False}


def test_an_empty_tier_is_refused_in_english_too(app, world):
    page = post_page(signed_in(app, "admin", lang="en"), "/rules/tiers", {"tier-major": ["deputy"]})
    assert any("general work: choose at least one role that approves" in m for m in flashes(page))
