"""Expert visits through the web: experts and regulators see only their jurisdiction (404
outside it), a refusal names the step of the procedure, the form saves field by field."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from permit.clock import local_date
from permit.models import AuditEntry, Finding, FindingPhoto, Inspection

from .helpers import row_counts
from .test_web import flashes, signed_in


@pytest.fixture
def app(make_app, vw, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1800, 1200), "orange").save(out, "JPEG")
    return out.getvalue()


def test_an_expert_of_one_district_gets_404_for_another_districts_enterprise_and_visit(vw, app):
    theirs = vw.plan(ent=vw.other_ent, experts=[vw.other_expert])
    ours = vw.plan()
    vw.session.commit()
    for username in ("expert", "regulator"):
        client = signed_in(app, username)
        assert client.get(f"/inspections/enterprises/{vw.ent.code}").status_code == 200
        assert client.get(f"/inspections/{ours.number}").status_code == 200
        for url in (
            f"/inspections/enterprises/{vw.other_ent.code}",
            f"/inspections/{theirs.number}",
            f"/inspections/{theirs.number}/form",
        ):
            assert client.get(url).status_code == 404, (username, url)
        for url, data in (
            (f"/inspections/enterprises/{vw.other_ent.code}/visits", {"planned_on": "2030-01-01"}),
            (f"/inspections/{theirs.number}/events/notify", {}),
            (f"/inspections/{theirs.number}/checkpoints/1", {"field": "result", "value": "meets"}),
            (f"/inspections/{theirs.number}/team", {"expert": vw.other_expert.id}),
        ):
            assert client.post(url, data=data).status_code == 404, (username, url)
        listing = client.get("/inspections").get_data(as_text=True)
        assert ours.number in listing and theirs.number not in listing
        assert vw.ent.code in listing and vw.other_ent.code not in listing


def test_an_enterprise_sees_its_own_visits_and_no_other(vw, app):
    ours = vw.plan()
    theirs = vw.plan(ent=vw.other_ent, experts=[vw.other_expert])
    vw.session.commit()
    client = signed_in(app, "principal")
    assert client.get(f"/inspections/{ours.number}").status_code == 200
    assert client.get(f"/inspections/{theirs.number}").status_code == 404
    assert client.get(f"/inspections/enterprises/{vw.ent.code}").status_code == 404
    assert client.get(f"/inspections/{ours.number}/form").status_code == 404


def test_a_regulator_plans_a_visit_and_a_one_expert_team_is_refused_with_the_citation(vw, app):
    client = signed_in(app, "regulator")
    day = (local_date(vw.clock.now()) + timedelta(days=2)).isoformat()
    response = client.post(
        f"/inspections/enterprises/{vw.ent.code}/visits",
        data={"planned_on": day, "experts": [str(vw.expert.id)]},
    )
    assert response.status_code == 303
    visit = vw.session.scalars(select(Inspection)).one()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "2名及以上专家" in page  # the blocked step shows why before anyone presses it
    before = row_counts(vw.session)
    response = client.post(
        f"/inspections/{visit.number}/events/notify",
        data={
            "documents": [
                "system_and_ledger",
                "training",
                "equipment",
                "work_records",
                "emergency",
                "contracts",
            ]
        },
    )
    assert response.status_code == 303
    messages = flashes(client.get(response.headers["Location"]).get_data(as_text=True))
    assert any("专家组只有1名专家，应至少2名" in m and "一（一）" in m for m in messages)
    vw.session.expire_all()
    assert row_counts(vw.session) == before and visit.state == "planned"


def test_planning_refuses_bad_input_and_an_enterprise_outside_the_rules_in_english(vw, app):
    municipal = vw.enterprise("SZ1", vw.street, industry="市政")
    vw.session.commit()
    client = signed_in(app, "regulator", lang="en")
    before = row_counts(vw.session)
    bad = client.post(f"/inspections/enterprises/{vw.ent.code}/visits", data={"planned_on": "x"})
    assert bad.status_code == 303
    assert (
        "Give the date of the visit"
        in flashes(client.get(bad.headers["Location"]).get_data(as_text=True))[0]
    )
    out = client.post(
        f"/inspections/enterprises/{municipal.code}/visits",
        data={"planned_on": "2030-01-01"},
    )
    messages = flashes(client.get(out.headers["Location"]).get_data(as_text=True))
    assert any("excluded sector" in m and "第二条" in m for m in messages)
    assert row_counts(vw.session) == before
    page = client.get("/inspections").get_data(as_text=True)
    assert "Not covered" in page and "Covered: Light industry" in page


def test_the_form_saves_each_field_by_fetch_and_a_retry_records_nothing_twice(vw, app):
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    client = signed_in(app, "expert")
    assert "企业应当建立有限空间管理台账" in client.get(
        f"/inspections/{visit.number}/form"
    ).get_data(as_text=True)
    url = f"/inspections/{visit.number}/checkpoints/5"
    for _ in range(2):
        response = client.post(
            url,
            json={"field": "methods", "value": ["site", "records"]},
            headers={"Accept": "application/json"},
        )
        assert response.status_code == 200
        assert response.get_json()["saved"]["methods"] == ["records", "site"]
    bad = client.post(
        url, json={"field": "result", "value": "perhaps"}, headers={"Accept": "application/json"}
    )
    assert bad.status_code == 422 and bad.get_json()["reasons"][0]["rule"] == "bad_result"
    photo = jpeg()
    ids = set()
    for _ in range(2):
        sent = client.post(
            f"{url}/photos",
            data={"photo": (io.BytesIO(photo), "IMG_0001.jpg")},
            headers={"Accept": "application/json"},
        )
        assert sent.status_code == 200
        ids.add(sent.get_json()["photo"]["id"])
    assert len(ids) == 1
    shown = client.get(f"/inspections/{visit.number}/photos/{ids.pop()}")
    assert shown.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(shown.data)) as small:
        assert max(small.size) == 1280
    vw.session.expire_all()
    assert len(vw.session.scalars(select(Finding)).all()) == 1
    assert len(vw.session.scalars(select(FindingPhoto)).all()) == 1
    saves = vw.session.scalars(select(AuditEntry).where(AuditEntry.event == "save_finding")).all()
    assert len(saves) == 1
    # the lead regulator reads the visit but the form is not theirs
    lead = signed_in(app, "regulator")
    assert lead.post(url, json={"field": "result", "value": "meets"}).status_code == 404


def test_the_principal_accepts_and_answers_problems_through_the_web(vw, app):
    visit = vw.drive(vw.plan(), "debrief")
    vw.session.commit()
    client = signed_in(app, "principal")
    page = client.get(f"/inspections/{visit.number}").get_data(as_text=True)
    assert "第5项存在问题" in page and "认可问题清单和整改要求" in page
    response = client.post(
        f"/inspections/{visit.number}/events/accept",
        data={"password": "demo", "version": visit.version},
    )
    assert response.status_code == 303
    vw.session.expire_all()
    assert visit.state == "rectifying"
    client.post(f"/inspections/{visit.number}/checkpoints/5/answer", data={"answer": "台账已补齐"})
    vw.session.expire_all()
    assert (
        vw.session.scalars(select(Finding).where(Finding.checkpoint == 5)).one().answer
        == "台账已补齐"
    )


def test_each_checkpoint_opens_with_what_the_enterprises_records_show(vw, app):
    """Item 4 of the issue: the form is pre-filled with the evidence from the visited
    enterprise's own records, checkpoint by checkpoint; the expert still decides."""
    import re

    from permit import evidence

    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    page = signed_in(app, "expert").get(f"/inspections/{visit.number}/form")
    html = page.get_data(as_text=True)
    shown = dict(re.findall(r'id="cp-(\d+)".*?data-evidence="(\w+)"', html, re.S))
    expected = evidence.evidence(vw.session, visit.enterprise_id, local_date(vw.clock.now()))
    assert {int(k): v for k, v in shown.items()} == {n: e.status for n, e in expected.items()}
    assert len(shown) == 20
    ledger = expected[5].lines[0].message("zh")
    assert ledger in html  # the lines themselves, in the user's language
    assert "企业在本系统中的记录显示" in html
    # nothing on the form is chosen for the expert: the finding stays theirs
    assert 'name="result-5" value="meets" checked' not in html


def test_an_upload_over_the_size_limit_is_refused_unread_in_words(vw, make_app, clock):
    """A body over MAX_CONTENT_LENGTH is never read into memory: the phone's form gets the
    reason (JSON for its script, a message on the page otherwise), the API a problem, and
    nothing is stored."""
    from .api_client import Api

    app = make_app(WTF_CSRF_ENABLED=False, CLOCK=clock, MAX_CONTENT_LENGTH=2**20)
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    client, api = signed_in(app, "expert"), Api.signed_in(app, "expert")
    before = row_counts(vw.session)
    # encoded here, held in memory: the test client would spool a large body to a file that
    # nobody closes when the app, rightly, never reads it
    photo = FileStorage(io.BytesIO(b"\xff\xd8" + bytes(2 * 2**20)), "IMG_0002.jpg", "photo")
    boundary, body = encode_multipart({"photo": photo})
    multipart = f"multipart/form-data; boundary={boundary}"
    url = f"/inspections/{visit.number}/checkpoints/5/photos"
    script = client.post(
        url, data=body, content_type=multipart, headers={"Accept": "application/json"}
    )
    assert script.status_code == 422
    reason = script.get_json()["reasons"][0]
    assert reason["rule"] == "too_large" and "一次最多 1 MB" in reason["message"]
    form = client.post(url, data=body, content_type=multipart)
    assert form.status_code == 303
    page = client.get(form.headers["Location"]).get_data(as_text=True)
    assert any("上传内容过大" in f for f in flashes(page))
    answer = api.client.post(
        f"/api/v1/visits/{visit.number}/checkpoints/5/photos",
        data=body,
        content_type=multipart,
        headers=api.headers({"Accept-Language": "en"}),
    )
    assert answer.status_code == 422 and answer.mimetype == "application/problem+json"
    assert "at most 1 MB" in json.dumps(answer.get_json())
    vw.session.expire_all()
    assert row_counts(vw.session) == before
