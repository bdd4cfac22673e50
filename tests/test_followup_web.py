"""After the consultation, through the web: the person responsible saved field by field, the
penalty clause shown to the enterprise and the team, the enterprise's answer photos (a retry
kept once), the 回头看 verdict (not fixed: flagged), and the problem list as a PDF."""

from __future__ import annotations

import io
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from permit import followup, inspections
from permit.documents import FORM_FONT
from permit.models import AuditEntry, Finding, FindingPhoto

from . import documents
from .factories import PASSWORD
from .helpers import row_counts
from .test_web import flashes, signed_in


@pytest.fixture
def app(make_app, vw, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock, PDF_CACHE_DIR="")


def jpeg(colour: str, size=(1800, 1200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def images(pdf: bytes) -> list[tuple[int, int]]:
    """The (width, height) of each image embedded in the PDF, as pdfimages lists them."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "doc.pdf"
        path.write_bytes(pdf)
        out = subprocess.run(
            ["pdfimages", "-list", str(path)], capture_output=True, check=True, timeout=60
        ).stdout.decode()
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    return [(int(r[3]), int(r[4])) for r in rows if r[2] == "image"]


def test_the_team_saves_the_person_responsible_field_by_field(vw, app):
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    client = signed_in(app, "expert")
    page = client.get(f"/inspections/{visit.number}/form").get_data(as_text=True)
    assert 'data-field="responsible"' in page and "整改责任人" in page
    assert '<option value="王主任">' in page  # the enterprise's own people, to pick from
    for _ in range(2):
        response = client.post(
            f"/inspections/{visit.number}/checkpoints/6",
            json={"field": "responsible", "value": "安全科 赵科长"},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200
        assert response.get_json()["saved"]["responsible"] == "安全科 赵科长"
    vw.session.expire_all()
    assert vw.session.scalars(select(Finding.responsible)).all() == ["安全科 赵科长"]


def test_the_enterprise_sees_each_problem_with_its_penalty_clause_in_both_languages(vw, app):
    visit = vw.drive(vw.plan(), "consultation")
    vw.judge_all(visit, problem_at=(5, 17))
    vw.drive(visit, "rectifying")
    vw.session.commit()
    page = signed_in(app, "principal").get(f"/inspections/{visit.number}").get_data(as_text=True)
    assert "003 第十八条第（二）项" in page and "未按照规定建立有限空间安全管理台账" in page
    assert "责令限期改正，罚款5万元以下" in page and "责令限期改正，罚款1万元以下" in page
    assert "设备部 钱工" in page  # the person responsible
    assert "法律责任条款未列此项" in page  # checkpoint 17: said honestly
    english = signed_in(app, "expert", lang="en").get(f"/inspections/{visit.number}")
    text = english.get_data(as_text=True)
    assert "003 第十八条, item (二)" in text and "a fine of up to ¥50,000" in text
    assert "No item of the liability articles" in text and "Penalty clause" in text


def test_answer_photos_sent_twice_are_kept_once_and_outsiders_get_404(vw, app):
    visit = vw.drive(vw.plan(), "rectifying")
    vw.session.commit()
    url = f"/inspections/{visit.number}/checkpoints/5/answer/photos"
    photo = jpeg("teal")
    for username in ("expert", "regulator", "approver", "expert-xs"):
        response = signed_in(app, username).post(
            url, data={"photo": (io.BytesIO(photo), "fixed.jpg")}
        )
        assert response.status_code == 404, username
    principal = signed_in(app, "principal")
    ids = set()
    for _ in range(2):
        sent = principal.post(
            url,
            data={"photo": (io.BytesIO(photo), "fixed.jpg")},
            headers={"Accept": "application/json"},
        )
        assert sent.status_code == 200
        ids |= {p["id"] for p in sent.get_json()["photos"]}
    assert len(ids) == 1
    vw.session.expire_all()
    rows = vw.session.scalars(select(FindingPhoto)).all()
    assert [r.kind for r in rows] == ["answer"]
    before = row_counts(vw.session)
    bad = principal.post(url, data={"photo": (io.BytesIO(b"not a photo"), "x.jpg")})
    assert bad.status_code == 303
    assert "只接受 JPEG 或 PNG 照片" in flashes(principal.get(bad.headers["Location"]).text)[0]
    vw.session.expire_all()
    assert row_counts(vw.session) == before
    page = principal.get(f"/inspections/{visit.number}").get_data(as_text=True)
    assert f'data-photo-id="{ids.pop()}"' in page and 'capture="environment"' in page


def test_a_verdict_of_not_fixed_shows_the_problem_flagged_and_outsiders_get_404(vw, app):
    visit = vw.drive(vw.plan(), "follow_up")
    vw.session.commit()
    url = f"/inspections/{visit.number}/checkpoints/5/followup"
    form = {"verdict": "not_fixed", "note": "台账仍缺3个有限空间"}
    for username in ("principal", "approver", "expert-xs", "regulator-xs"):
        assert signed_in(app, username).post(url, data=form).status_code == 404, username
    client = signed_in(app, "expert2")
    before = row_counts(vw.session)
    bare = client.post(url, data={"verdict": "not_fixed", "note": ""})
    assert "未整改的问题请说明现场情况" in flashes(client.get(bare.headers["Location"]).text)[0]
    vw.session.expire_all()
    assert row_counts(vw.session) == before
    assert client.post(url, data=form).status_code == 303
    vw.session.expire_all()
    flags = followup.flagged_for_enforcement(vw.session, visit)
    assert [(f.checkpoint, f.note) for f in flags] == [(5, "台账仍缺3个有限空间")]
    for username in ("principal", "regulator"):
        page = signed_in(app, username).get(f"/inspections/{visit.number}").text
        assert "回头看未整改，列入执法" in page and "依法严格处罚" in page
        assert 'data-verdict="not_fixed"' in page and "台账仍缺3个有限空间" in page
    # the close button says why it waits, until every problem has its verdict: it has
    page = signed_in(app, "regulator").get(f"/inspections/{visit.number}").text
    assert "尚无回头看结论" not in page


def test_close_waits_for_every_verdict_through_the_web(vw, app):
    visit = vw.drive(vw.plan(), "follow_up")
    vw.session.commit()
    client = signed_in(app, "regulator")
    page = client.get(f"/inspections/{visit.number}").text
    assert "会诊表第5项的问题尚无回头看结论" in page
    response = client.post(
        f"/inspections/{visit.number}/events/close",
        data={"conclusion": "已回头看", "version": visit.version},
    )
    assert any("000 三" in m for m in flashes(client.get(response.headers["Location"]).text))
    vw.session.expire_all()
    assert visit.state == "follow_up"
    client.post(f"/inspections/{visit.number}/checkpoints/5/followup", data={"verdict": "fixed"})
    vw.session.expire_all()
    client.post(
        f"/inspections/{visit.number}/events/close",
        data={"conclusion": "已回头看", "version": visit.version},
    )
    vw.session.expire_all()
    assert visit.state == "closed"


def test_the_problem_list_pdf_holds_every_fact_and_photo_of_each_problem(vw, app):
    visit = vw.drive(vw.plan(), "consultation")
    vw.judge_all(visit, problem_at=(5, 17))
    for colour in ("red", "blue"):
        inspections.add_photo(
            vw.session,
            visit,
            5,
            filename=f"{colour}.jpg",
            data=jpeg(colour),
            actor=vw.expert,
            clock=vw.clock,
        )
    vw.drive(visit, "follow_up")  # every problem answered "已整改" on the way …
    inspections.answer(  # … and this one again, in full
        vw.session, visit, 5, "已补齐台账并复核", actor=vw.principal, clock=vw.clock
    )
    inspections.add_answer_photo(
        vw.session,
        visit,
        5,
        filename="fixed.jpg",
        data=jpeg("green", (2400, 1800)),
        actor=vw.principal,
        clock=vw.clock,
    )
    followup.record_verdict(
        vw.session, visit, 5, "fixed", "台账完整", actor=vw.expert, clock=vw.clock
    )
    followup.record_verdict(
        vw.session,
        visit,
        17,
        "not_fixed",
        "仍未签订安全生产管理协议",
        actor=vw.expert,
        clock=vw.clock,
    )
    vw.session.commit()
    response = signed_in(app, "principal").get(f"/inspections/{visit.number}/problems.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pdf = response.data
    flat = "".join(documents.text(pdf).split())
    deadline = inspections.problems(vw.session, visit)[0].deadline.isoformat()
    for expected in (
        "问题清单及整改建议",
        visit.number,
        vw.ent.name.replace(" ", ""),
        "企业应当建立有限空间管理台账",  # the checkpoint
        "第5项存在问题",  # the description
        "立即整改",  # the suggestion
        deadline,
        "设备部钱工",  # the person responsible
        "003第十八条第（二）项",
        "未按照规定建立有限空间安全管理台账",
        "责令限期改正，罚款5万元以下",
        "已补齐台账并复核",  # the answer
        "王主任",  # who answered
        "已整改",
        "台账完整",
        "法律责任条款未列此项",  # checkpoint 17
        "未整改",
        "仍未签订安全生产管理协议",
        "依法严格处罚",
    ):
        assert expected in flat, expected
    found = images(pdf)
    assert len(found) == 3  # two of the problem, one of the answer
    assert all(max(size) == inspections.REPORT_PIXELS for size in found)
    fonts = documents.fonts(pdf)
    assert fonts and all(f.embedded for f in fonts)
    assert [f.name.split("+", 1)[-1] for f in fonts] == [FORM_FONT.replace(" ", "-")], fonts


def test_the_problem_list_is_for_the_team_the_jurisdiction_and_the_enterprise_only(vw, app):
    from permit import registers

    visit = vw.drive(vw.plan(), "rectifying")
    registers.add_user(
        vw.session,
        enterprise=vw.other_ent,
        name="别家负责人",
        roles=["principal"],
        username="other-boss",
        password=PASSWORD,
        clock=vw.clock,
    )
    vw.session.commit()
    url = f"/inspections/{visit.number}/problems.pdf"
    for username in ("expert", "expert2", "regulator", "principal", "approver"):
        assert signed_in(app, username).get(url).status_code == 200, username
    for username in ("expert-xs", "regulator-xs", "other-boss"):
        assert signed_in(app, username).get(url).status_code == 404, username


def test_an_answer_photo_is_audited_once_even_through_two_sends(vw, app):
    visit = vw.drive(vw.plan(), "rectifying")
    vw.session.commit()
    client = signed_in(app, "principal")
    photo = jpeg("navy")
    for _ in range(2):
        client.post(
            f"/inspections/{visit.number}/checkpoints/5/answer/photos",
            data={"photo": (io.BytesIO(photo), "a.jpg")},
        )
    vw.session.expire_all()
    logged = vw.session.scalars(
        select(AuditEntry).where(AuditEntry.event == "add_answer_photo")
    ).all()
    assert len(logged) == 1
    assert re.fullmatch(r"[0-9a-f]{64}", logged[0].data["sha256"])
