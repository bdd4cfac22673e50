"""Contractors through the web: the keepers record companies and signed agreements, the
contractor's administrator keeps its own workers and sees only its own company, a contracted
permit names the enterprise's supervisor; bad input says why and changes nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from permit import contractors, registers
from permit.models import Contractor, Permit, SafetyAgreement, User

from .helpers import row_counts
from .test_web import flashes, signed_in

SCAN = b"%PDF-1.4\n% signed agreement AQ-7\n"


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


@pytest.fixture
def acme(world):
    company = contractors.add_company(
        world.session, world.enterprise, name="安达管道", clock=world.clock
    )
    contractors.add_account(
        world.session,
        company,
        name="陈承包",
        username="acme",
        password="acme-pass-1",
        clock=world.clock,
    )
    world.session.commit()
    return company


def acme_admin(app):
    client = app.test_client()
    response = client.post("/login", data={"username": "acme", "password": "acme-pass-1"})
    assert response.status_code == 302
    return client


def agreement_form(world, **override):
    form = {
        "valid_from": str(world.today - timedelta(days=1)),
        "valid_to": str(world.today + timedelta(days=364)),
        "scope": ["cleaning", "maintenance"],
        "responsibilities": "发包方：审批、现场监督；承包方：按方案作业",
        "document_ref": "AQ-7",
        "document": (SCAN, "安全生产管理协议.pdf"),
    }
    form.update(override)
    if form.get("document") is not None:
        data, name = form["document"]
        form["document"] = (io.BytesIO(data), name)
    else:
        form.pop("document")
    return form


def post_page(client, url, data, **kwargs):
    response = client.post(url, data=data, **kwargs)
    assert response.status_code == 303, response.status_code
    return client.get(response.headers["Location"]).get_data(as_text=True)


def test_a_keeper_registers_a_company_and_its_signed_agreement(app, world):
    client = signed_in(app, "principal")
    response = client.post("/contractors", data={"name": "安达管道"})
    assert response.status_code == 303
    page_url = response.headers["Location"]
    company = world.session.scalars(select(Contractor)).one()
    assert page_url.endswith(f"/contractors/{company.id}")
    page = post_page(
        client,
        f"/contractors/{company.id}/agreements",
        agreement_form(world),
        content_type="multipart/form-data",
    )
    assert any("协议已登记" in m for m in flashes(page))
    assert "清理、检维修" in page and "AQ-7" in page
    link = re.search(r'href="/files/(\d+)">签署的协议', page).group(1)
    scan = client.get(f"/files/{link}")
    assert scan.data == SCAN and scan.mimetype == "application/pdf"
    listing = client.get("/contractors").get_data(as_text=True)
    assert f"协议有效期至 {world.today + timedelta(days=364)}" in listing


@pytest.mark.parametrize(
    "override, zh",
    [
        ({"document": None}, "请上传签署的协议文件"),
        ({"document": (b"MZ not a pdf", "agreement.pdf")}, "只接受 PDF"),
        ({"scope": []}, "请选择协议涵盖的作业类型"),
        ({"valid_to": "2020-01-01"}, "协议的截止日期不能早于开始日期"),
        ({"valid_from": "someday"}, "请填写协议的起止日期"),
        ({"responsibilities": " "}, "003 第六条"),
    ],
)
def test_a_bad_agreement_says_why_and_changes_nothing(app, world, acme, override, zh):
    client = signed_in(app, "principal")
    world.session.commit()
    before = row_counts(world.session)
    page = post_page(
        client,
        f"/contractors/{acme.id}/agreements",
        agreement_form(world, **override),
        content_type="multipart/form-data",
    )
    assert any(zh in m for m in flashes(page)), flashes(page)
    world.session.expire_all()
    assert row_counts(world.session) == before


def test_an_agreement_is_revoked_with_a_reason_and_stays_listed(app, world, acme):
    client = signed_in(app, "deputy")
    post_page(
        client,
        f"/contractors/{acme.id}/agreements",
        agreement_form(world),
        content_type="multipart/form-data",
    )
    agreement = world.session.scalars(select(SafetyAgreement)).one()
    url = f"/contractors/{acme.id}/agreements/{agreement.id}/revoke"
    page = post_page(client, url, {"reason": ""})
    assert any("请填写原因" in m for m in flashes(page))
    page = post_page(client, url, {"reason": "承包方安全考核不合格"})
    assert "已撤销" in page and "承包方安全考核不合格" in page
    assert "无有效协议" in client.get("/contractors").get_data(as_text=True)


def test_only_the_keepers_manage_companies_and_everyone_on_the_staff_reads_them(app, world, acme):
    for username in ("approver", "entrant"):
        client = signed_in(app, username)
        assert client.get(f"/contractors/{acme.id}").status_code == 200
        assert client.post("/contractors", data={"name": "X"}).status_code == 404
        assert (
            client.post(f"/contractors/{acme.id}/retire", data={"reason": "x"}).status_code == 404
        )
    assert world.session.scalar(select(Contractor.retired_at)) is None


def test_another_enterprises_company_does_not_exist(app, world, acme, session, clock):
    other = registers.create_enterprise(
        session, code="QY2", name="别家", industry="light", clock=clock
    )
    registers.add_user(
        session,
        enterprise=other,
        name="别家负责人",
        roles=["principal"],
        username="other",
        password="demo",
        clock=clock,
    )
    session.commit()
    client = signed_in(app, "other")
    assert client.get(f"/contractors/{acme.id}").status_code == 404
    assert client.post(f"/contractors/{acme.id}/retire", data={"reason": "x"}).status_code == 404
    assert "安达管道" not in client.get("/contractors").get_data(as_text=True)


def test_the_keepers_give_the_company_a_sign_in_and_it_lands_on_its_own_page(app, world, acme):
    client = signed_in(app, "principal")
    page = post_page(
        client,
        f"/contractors/{acme.id}/accounts",
        {"name": "刘经理", "username": "acme2", "password": "short"},
    )
    assert any("初始密码至少 8 位" in m for m in flashes(page))
    page = post_page(
        client,
        f"/contractors/{acme.id}/accounts",
        {"name": "刘经理", "username": "acme2", "password": "a-long-one"},
    )
    assert any("acme2" in m for m in flashes(page))
    second = app.test_client()
    assert (
        second.post("/login", data={"username": "acme2", "password": "a-long-one"}).headers[
            "Location"
        ]
        == "/"
    )
    assert second.get("/").headers["Location"] == "/contractor"


# -- the contractor's side --------------------------------------------------------------------


def test_the_contractor_admin_adds_a_worker_in_the_roles_a_contractor_may_provide(app, world, acme):
    client = acme_admin(app)
    world.session.commit()
    before = row_counts(world.session)
    page = post_page(
        client, "/contractor/workers", {"name": "杨工", "roles": ["entrant", "attendant"]}
    )
    assert any("承包单位人员只能担任：作业人员、应急救援人员" in m for m in flashes(page))
    assert any(m.startswith("003 第四条") for m in flashes(page))
    world.session.expire_all()
    assert row_counts(world.session) == before
    page = post_page(
        client, "/contractor/workers", {"name": "杨工", "phone": "139", "roles": ["entrant"]}
    )
    assert any("已新增 杨工" in m for m in flashes(page))
    assert "杨工" in page and "无有效有限空间作业专题安全培训" in page  # not trained yet
    worker = world.session.scalars(select(User).where(User.name == "杨工")).one()
    assert (worker.contractor_id, worker.enterprise_id) == (acme.id, world.enterprise.id)
    # The enterprise sees the new worker to train.
    staff_page = signed_in(app, "principal").get("/training/new").get_data(as_text=True)
    assert "杨工" in staff_page


def test_the_contractor_admin_takes_a_worker_off_the_list_and_back(app, world, acme):
    worker = world.person("杨工", ["entrant"], contractor=acme)
    world.session.commit()
    client = acme_admin(app)
    page = post_page(client, f"/contractor/workers/{worker.id}/deactivate", {"reason": ""})
    assert any("请填写原因" in m for m in flashes(page))
    page = post_page(client, f"/contractor/workers/{worker.id}/deactivate", {"reason": "离职"})
    assert any("杨工 已停用" in m for m in flashes(page))
    world.session.expire_all()
    assert not world.session.get(User, worker.id).active
    requester = signed_in(app, "requester")
    form = requester.get(f"/permits/new?space={world.pit.id}").get_data(as_text=True)
    assert "杨工" not in form
    page = post_page(client, f"/contractor/workers/{worker.id}/reactivate", {})
    assert any("杨工 已恢复" in m for m in flashes(page))


def test_a_contractor_sees_only_its_own_company(app, world, acme):
    other = contractors.add_company(world.session, world.enterprise, name="速清", clock=world.clock)
    theirs = world.person("速清工人", ["entrant"], contractor=other)
    scan = registers.add_agreement(
        world.session,
        other,
        valid_from=world.today,
        valid_to=world.today + timedelta(days=9),
        scope=["cleaning"],
        clock=world.clock,
    )
    world.session.commit()
    client = acme_admin(app)
    assert (
        client.post(f"/contractor/workers/{theirs.id}/deactivate", data={"reason": "x"}).status_code
        == 404
    )
    assert client.post(f"/contractor/workers/{world.entrant.id}/reactivate").status_code == 404
    assert client.get(f"/contractor/agreements/{scan.id}/document").status_code == 404
    assert client.get("/contractors").status_code == 404
    assert client.get(f"/contractors/{other.id}").status_code == 404
    page = client.get("/contractor").get_data(as_text=True)
    assert "速清" not in page and "安达管道" in page
    world.session.expire_all()
    assert world.session.get(User, theirs.id).active


def test_the_contractor_reads_its_own_signed_agreement(app, world, acme):
    post_page(
        signed_in(app, "principal"),
        f"/contractors/{acme.id}/agreements",
        agreement_form(world),
        content_type="multipart/form-data",
    )
    client = acme_admin(app)
    page = client.get("/contractor").get_data(as_text=True)
    link = re.search(r'href="(/contractor/agreements/\d+/document)"', page).group(1)
    document = client.get(link)
    assert document.data == SCAN and document.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/files/1").status_code == 404  # the staff's file route is not theirs


# -- the permit form ----------------------------------------------------------------------


def permit_form(world, **extra):
    form = {
        "space": world.pit.id,
        "create": "1",
        "task_type": "cleaning",
        "window_start": "2026-11-23T16:10",
        "window_end": "2026-11-23T22:00",
        "hazards": ["h2s", "o2_deficiency"],
        "control_measures": "强制通风",
        "attendant": world.attendant.id,
        "entrants": [world.entrant.id],
        "equipment": [e.id for e in world.equipment()],
    }
    form.update(extra)
    return form


def test_a_contracted_permit_names_the_enterprises_supervisor_from_the_form(app, world, acme):
    client = signed_in(app, "requester")
    form = client.get(f"/permits/new?space={world.pit.id}").get_data(as_text=True)
    assert 'name="supervisor"' in form and "003 第六条" in form
    response = client.post(
        "/permits/new", data=permit_form(world, contractor=acme.id, supervisor=world.deputy.id)
    )
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "本企业现场监督人员: 李副总" in page
    permit = world.session.scalars(select(Permit)).one()
    assert permit.supervisor == world.deputy and permit.contractor_id == acme.id


def test_a_contracted_permit_without_a_supervisor_says_so_before_submission(app, world, acme):
    client = signed_in(app, "requester", lang="en")
    response = client.post("/permits/new", data=permit_form(world, contractor=acme.id))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "no on-site supervisor is named" in page
    assert "Contractor 安达管道 has no valid safety agreement" in page


def test_a_contractors_worker_cannot_be_the_supervisor(app, world, acme):
    worker = world.person("杨工", ["entrant"], contractor=acme)
    world.session.commit()
    before = row_counts(world.session)
    response = signed_in(app, "requester").post(
        "/permits/new", data=permit_form(world, contractor=acme.id, supervisor=worker.id)
    )
    assert response.status_code == 422
    assert "现场监督人员须为本企业在职员工" in response.get_data(as_text=True)
    assert row_counts(world.session) == before
