"""The equipment register through the web: certificates with their scans, the attendant's
checks, and refusals that say why and change nothing."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest

from permit import registers

from .helpers import row_counts
from .test_web import flashes, signed_in

SCAN = b"%PDF-1.4\n% a scanned certificate\n"


@pytest.fixture
def app(make_app, world, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def certificate_form(world, **override):
    form = {
        "kind": "inspection",
        "performed_on": str(world.today - timedelta(days=2)),
        "valid_until": str(world.today + timedelta(days=363)),
        "agency": "市特检院",
        "certificate_no": "TJ-88",
        "certificate": (SCAN, "R-01 检验证书.pdf"),
    }
    form.update(override)
    data, name = form["certificate"]
    form["certificate"] = (io.BytesIO(data), name)  # a fresh stream for every request
    return form


def test_a_certificate_with_its_scan_moves_the_due_date(app, world):
    client = signed_in(app, "principal")
    response = client.post(
        "/equipment/R-01/certificates",
        data=certificate_form(world),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    due = str(world.today + timedelta(days=363))
    assert any(due in message for message in flashes(page))
    link = page.split('href="/files/')[1].split('"')[0]
    scan = client.get(f"/files/{link}")
    assert scan.data == SCAN and scan.mimetype == "application/pdf"
    assert scan.headers["X-Content-Type-Options"] == "nosniff"


def test_another_enterprises_people_cannot_see_the_scan(app, world, session, clock):
    client = signed_in(app, "principal")
    response = client.post(
        "/equipment/R-01/certificates",
        data=certificate_form(world),
        content_type="multipart/form-data",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    link = page.split('href="/files/')[1].split('"')[0]
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
    stranger = signed_in(app, "other")
    assert stranger.get(f"/files/{link}").status_code == 404
    assert stranger.get("/equipment/R-01").status_code == 404


@pytest.mark.parametrize(
    "override, zh",
    [
        ({"performed_on": ""}, "请填写检定/校准日期"),
        ({"certificate": (b"MZ not a pdf", "virus.pdf")}, "只接受 PDF"),
        ({"valid_until": ""}, "有效期至"),  # a SCBA's certificate must state its own date
    ],
)
def test_a_bad_certificate_says_why_and_changes_nothing(app, world, session, override, zh):
    client = signed_in(app, "principal")
    session.commit()
    before = row_counts(session)
    response = client.post(
        "/equipment/R-01/certificates",
        data=certificate_form(world, **override),
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert any(zh in message for message in flashes(page))
    session.expire_all()
    assert row_counts(session) == before


def test_the_attendant_fails_a_check_and_the_item_leaves_service(app, world):
    client = signed_in(app, "attendant", lang="en")
    form = {
        "item-pressure": "ok",
        "item-mask": "ok",
        "item-whistle": "fail",
        "item-harness": "ok",
        "note": "whistle silent",
    }
    response = client.post("/equipment/R-01/checks", data=form)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "out of service until it is put right" in " ".join(flashes(page))
    assert "Cannot go on a permit:" in page and "Low-pressure warning whistle" in page
    listing = client.get("/equipment?standing=out_of_service").get_data(as_text=True)
    assert "R-01" in listing and "F-01" not in listing


def test_an_unanswered_checklist_is_refused(app, world):
    client = signed_in(app, "attendant")
    response = client.post("/equipment/R-01/checks", data={"item-pressure": "ok"})
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert any("检查项未填写" in message for message in flashes(page))
    assert "余压报警哨" in " ".join(flashes(page))


def test_only_the_keepers_register_and_retire(app, world):
    entrant = signed_in(app, "entrant")
    assert entrant.post("/equipment", data={"kind": "fan"}).status_code == 404
    assert entrant.post("/equipment/F-01/status", data={}).status_code == 404
    principal = signed_in(app, "principal")
    response = principal.post(
        "/equipment", data={"kind": "fan", "serial": "F-09", "name": "备用风机"}
    )
    assert response.headers["Location"].endswith("/equipment/F-09")
    again = principal.post("/equipment", data={"kind": "fan", "serial": "F-09", "name": "x"})
    page = principal.get(again.headers["Location"]).get_data(as_text=True)
    assert any("F-09已登记" in message for message in flashes(page))
    principal.post("/equipment/F-09/status", data={"status": "retired", "reason": "报废"})
    page = principal.get("/equipment/F-09").get_data(as_text=True)
    assert "Change status" not in page and "更改状态" not in page
