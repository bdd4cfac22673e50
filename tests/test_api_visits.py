"""Expert visits through the JSON API: an expert's or a regulator's token sees their
jurisdiction and nothing else (404), an enterprise's token its own visits; the form saves
field by field and photos by hash, a retry with the same Idempotency-Key records once;
refusals are RFC 9457 problems in the caller's language."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from permit import registers
from permit.clock import local_date
from permit.models import ApiToken, AuditEntry, Finding, FindingPhoto, IdempotencyKey

from .api_client import Api, is_problem
from .factories import PASSWORD
from .helpers import row_counts


@pytest.fixture
def app(make_app, vw, clock):
    return make_app(CLOCK=clock)


def jpeg(colour: str = "orange", size=(1800, 1200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def photo_form(data: bytes) -> dict:
    return {"photo": (io.BytesIO(data), "cp.jpg", "image/jpeg")}


def post_photo(api: Api, number: str, checkpoint: int, data: bytes, **headers):
    """A multipart upload, as a phone's browser or app sends it (a fresh boundary each time)."""
    return api.client.post(
        f"/api/v1/visits/{number}/checkpoints/{checkpoint}/photos",
        data=photo_form(data),
        content_type="multipart/form-data",
        headers=api.headers(headers),
    )


def audit_count(session, event: str) -> int:
    session.expire_all()
    return session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.event == event)
    )


def routes(visit_number: str, code: str, photo_id: int) -> list[tuple[str, str, object]]:
    """Every visit route of the API, for one visit, one enterprise and one photo."""
    return [
        ("GET", f"/visits/{visit_number}", None),
        ("POST", f"/visits/{visit_number}/checkpoints/5", {"field": "result", "value": "meets"}),
        ("POST", f"/visits/{visit_number}/checkpoints/5/photos", "photo"),
        ("GET", f"/visits/{visit_number}/photos/{photo_id}", None),
        ("POST", f"/visits/{visit_number}/events/end_consultation", {}),
        ("GET", f"/enterprises/{code}", None),
    ]


def call(api: Api, method: str, path: str, body):
    if body == "photo":
        return post_photo(api, path.split("/")[2], 5, jpeg("blue"))
    return api.get(path) if method == "GET" else api.post(path, body)


def test_an_expert_of_one_district_gets_404_for_another_districts_enterprise_and_visit(
    vw, app
):
    ours = vw.drive(vw.plan(), "consultation")
    theirs = vw.plan(ent=vw.other_ent, experts=[vw.other_expert])
    vw.session.commit()
    other = Api.signed_in(app, "expert-xs")
    assert other.get(f"/visits/{theirs.number}").status_code == 200
    mine = Api.signed_in(app, "expert")
    assert post_photo(mine, ours.number, 5, jpeg()).status_code == 201
    ours_photo = vw.session.scalars(select(FindingPhoto)).one().id
    before = row_counts(vw.session)
    for username in ("expert", "regulator"):
        api = Api.signed_in(app, username)
        before = row_counts(vw.session)
        for method, path, body in routes(theirs.number, vw.other_ent.code, ours_photo):
            is_problem(call(api, method, path, body), 404)
        # a photo of our visit is not a photo of theirs, nor theirs of ours
        is_problem(api.get(f"/visits/{ours.number}/photos/999"), 404)
        listed = api.get("/visits").get_json()["visits"]
        assert [v["number"] for v in listed] == [ours.number]
        assert api.get(f"/visits?enterprise={vw.other_ent.code}").get_json() == {"visits": []}
        assert api.get(f"/visits/{ours.number}").status_code == 200
        assert api.get(f"/visits/{ours.number}/photos/{ours_photo}").status_code == 200
        assert api.get(f"/enterprises/{vw.ent.code}").status_code == 200
        vw.session.expire_all()
        assert row_counts(vw.session) == before, username
    # and the other district's expert, the other way round
    for method, path, body in routes(ours.number, vw.ent.code, ours_photo):
        is_problem(call(other, method, path, body), 404)


def test_an_enterprise_token_sees_its_own_visits_and_no_other_enterprises(vw, app):
    ours = vw.plan()
    theirs = vw.plan(ent=vw.other_ent, experts=[vw.other_expert])
    registers.add_user(
        vw.session, enterprise=vw.other_ent, name="萧主任", roles=["principal"],
        username="principal-xs", password=PASSWORD, clock=vw.clock,
    )
    vw.session.commit()
    for username, own, other in (("principal", ours, theirs), ("principal-xs", theirs, ours)):
        api = Api.signed_in(app, username)
        assert [v["number"] for v in api.get("/visits").get_json()["visits"]] == [own.number]
        assert api.get(f"/visits/{own.number}").status_code == 200
        for method, path, body in routes(other.number, other.enterprise.code, 1):
            is_problem(call(api, method, path, body), 404)
        # an enterprise is not an overseer: not even its own entry of the jurisdiction
        is_problem(api.get(f"/enterprises/{own.enterprise.code}"), 404)
        # nor an expert of its own visit: the form is the team's
        is_problem(
            api.post(f"/visits/{own.number}/checkpoints/1", {"field": "result", "value": "na"}),
            404,
        )


def test_an_experts_visit_shows_every_checkpoint_with_its_finding_and_the_evidence(vw, app):
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    api = Api.signed_in(app, "expert")
    deadline = (local_date(vw.clock.now()) + timedelta(days=30)).isoformat()
    for field, value in (
        ("result", "problem"),
        ("methods", ["site", "records"]),
        ("description", "台账缺失"),
        ("suggestion", "建立台账"),
        ("deadline", deadline),
    ):
        answer = api.post(f"/visits/{visit.number}/checkpoints/5", {"field": field, "value": value})
        assert answer.status_code == 200, answer.get_json()
    added = post_photo(api, visit.number, 5, jpeg()).get_json()["photo"]
    detail = api.get(f"/visits/{visit.number}").get_json()
    assert detail["state"] == "consultation" and detail["on_team"] and detail["editable"]
    points = detail["checkpoints"]
    assert [p["checkpoint"] for p in points] == list(range(1, 21))
    five = points[4]
    assert five["result"] == "problem" and five["methods"] == ["records", "site"]
    assert (five["description"], five["suggestion"], five["deadline"]) == (
        "台账缺失", "建立台账", deadline
    )
    assert five["photos"] == [added] and added["sha256"] == hashlib.sha256(jpeg()).hexdigest()
    # the enterprise keeps no ledger here: the records say so, with the article and penalty
    assert five["evidence"]["status"] == "violated"
    assert five["evidence"]["article"] and five["evidence"]["penalty"]["article"]
    assert all(p["evidence"]["status"] in ("satisfied", "violated", "no_records") for p in points)
    assert points[0]["result"] is None and points[0]["photos"] == []
    assert {e["event"] for e in detail["events"]} >= {"end_consultation"}
    picture = api.get(added["url"].removeprefix("/api/v1"))
    assert picture.mimetype == "image/jpeg"
    assert max(Image.open(io.BytesIO(picture.data)).size) <= 1280
    # the regulator reads it too, but the form is not theirs to fill
    regulator = Api.signed_in(app, "regulator")
    seen = regulator.get(f"/visits/{visit.number}").get_json()
    assert seen["checkpoints"][4]["result"] == "problem" and not seen["editable"]
    is_problem(
        regulator.post(f"/visits/{visit.number}/checkpoints/5", {"field": "result", "value": "na"}),
        404,
    )


def test_a_saved_field_retried_with_the_same_idempotency_key_is_stored_once(vw, app):
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    api = Api.signed_in(app, "expert")
    url = f"/visits/{visit.number}/checkpoints/7"
    first = api.post(url, {"field": "description", "value": "培训记录不全"},
                     headers={"Idempotency-Key": "save-7-a"})
    assert first.status_code == 200
    # the expert corrects it, then the phone's retry of the first save arrives late
    api.post(url, {"field": "description", "value": "无年度培训"},
             headers={"Idempotency-Key": "save-7-b"})
    retry = api.post(url, {"field": "description", "value": "培训记录不全"},
                     headers={"Idempotency-Key": "save-7-a"})
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    vw.session.expire_all()
    row = vw.session.scalars(select(Finding).where(Finding.checkpoint == 7)).one()
    assert row.description == "无年度培训"  # the retry did not undo the correction
    assert audit_count(vw.session, "save_finding") == 2
    assert vw.session.scalar(select(func.count()).select_from(IdempotencyKey)) == 2
    # the same key for another request is refused, and changes nothing
    before = row_counts(vw.session)
    reused = api.post(url, {"field": "description", "value": "别的"},
                      headers={"Idempotency-Key": "save-7-a"})
    assert is_problem(reused, 422)["reasons"][0]["rule"] == "idempotency_key_reused"
    assert row_counts(vw.session) == before


def test_a_photo_retried_with_the_same_key_or_without_one_is_stored_once(vw, app):
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    api = Api.signed_in(app, "expert")
    data = jpeg("green")
    first = post_photo(api, visit.number, 9, data, **{"Idempotency-Key": "photo-9"})
    assert first.status_code == 201, first.get_json()
    # the retry is wrapped anew (another multipart boundary): the key stands for the photo
    retry = post_photo(api, visit.number, 9, data, **{"Idempotency-Key": "photo-9"})
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.get_json() == first.get_json()
    # without a key, or as a raw body, the same photo is still the same photo
    again = post_photo(api, visit.number, 9, data)
    raw = api.client.post(
        f"/api/v1/visits/{visit.number}/checkpoints/9/photos",
        data=data,
        content_type="image/jpeg",
        headers=api.headers(),
    )
    assert again.status_code == raw.status_code == 201
    assert again.get_json()["photo"] == raw.get_json()["photo"] == first.get_json()["photo"]
    vw.session.expire_all()
    assert vw.session.scalar(select(func.count()).select_from(FindingPhoto)) == 1
    assert audit_count(vw.session, "add_photo") == 1
    # a PNG body is another photo
    png = io.BytesIO()
    Image.new("RGB", (40, 30), "white").save(png, "PNG")
    other = api.client.post(
        f"/api/v1/visits/{visit.number}/checkpoints/9/photos",
        data=png.getvalue(),
        content_type="image/png",
        headers=api.headers(),
    )
    assert other.status_code == 201
    assert other.get_json()["photo"]["id"] != first.get_json()["photo"]["id"]


@pytest.mark.parametrize(
    ("body", "rule", "zh", "en"),
    [
        ({"field": "result", "value": "maybe"}, "bad_result", "未知的结论", "Unknown finding"),
        ({"field": "methods", "value": ["guess"]}, "bad_method", "未知的方式方法",
         "Unknown method"),
        ({"field": "deadline", "value": "soon"}, "bad_date", "日期无效", "Not a date"),
        ({"field": "deadline", "value": "2000-01-01"}, "past_deadline", "整改期限不能早于今天",
         "The deadline cannot be in the past"),
        ({"field": "colour", "value": "red"}, "bad_field", "未知字段", "Unknown field"),
        ({"field": "description", "value": "长" * 4001}, "too_long", "内容超过4000字",
         "longer than 4000"),
        ({"field": "result", "value": {"a": 1}}, "field", "缺少或无效：value",
         "Missing or invalid: value"),
        ({"value": "meets"}, "field", "缺少或无效：field", "Missing or invalid: field"),
    ],
)
def test_a_bad_field_is_a_422_problem_in_chinese_and_english_and_changes_nothing(
    vw, app, body, rule, zh, en
):
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    token = Api.signed_in(app, "expert").token
    before = row_counts(vw.session)
    for lang, text in (("zh", zh), ("en", en)):
        answer = Api(app, token, lang).post(
            f"/visits/{visit.number}/checkpoints/3", body,
            headers={"Idempotency-Key": f"bad-{lang}"},
        )
        problem = is_problem(answer, 422)
        assert answer.headers["Content-Language"] == lang
        assert problem["reasons"][0]["rule"] == rule
        assert text in problem["reasons"][0]["message"] and text in problem["detail"]
    vw.session.expire_all()
    assert row_counts(vw.session) == before


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_bad_photo_and_an_unknown_checkpoint_are_problems_in_the_callers_language(
    vw, app, lang
):
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    api = Api(app, Api.signed_in(app, "expert").token, lang)
    before = row_counts(vw.session)
    not_an_image = api.client.post(
        f"/api/v1/visits/{visit.number}/checkpoints/5/photos",
        data=b"%PDF-1.4 not a photo", content_type="image/jpeg", headers=api.headers(),
    )
    assert is_problem(not_an_image, 422)["reasons"][0]["message"] == (
        "只接受 JPEG 或 PNG 照片" if lang == "zh" else "Only JPEG or PNG photos"
    )
    text = api.client.post(
        f"/api/v1/visits/{visit.number}/checkpoints/5/photos",
        data=b"hello", content_type="text/plain", headers=api.headers(),
    )
    assert is_problem(text, 422)["reasons"][0]["rule"] == "photo_type"
    no_part = api.client.post(
        f"/api/v1/visits/{visit.number}/checkpoints/5/photos",
        data={"other": "x"}, content_type="multipart/form-data", headers=api.headers(),
    )
    assert is_problem(no_part, 422)["reasons"][0]["message"].endswith("photo")
    unknown = api.post(f"/visits/{visit.number}/checkpoints/21", {"field": "result",
                                                                  "value": "meets"})
    assert is_problem(unknown, 404)["reasons"][0]["message"] == (
        "会诊表没有第21项" if lang == "zh" else "No checkpoint 21"
    )
    vw.session.expire_all()
    assert row_counts(vw.session) == before


def test_a_photo_larger_than_allowed_is_refused_before_it_is_read(vw, make_app, clock):
    app = make_app(CLOCK=clock, API_MAX_PHOTO_BYTES=1000)
    visit = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    api = Api.signed_in(app, "expert")
    api.lang = "en"
    big = post_photo(api, visit.number, 5, jpeg())
    assert is_problem(big, 422)["reasons"][0]["rule"] == "photo_too_large"


def test_a_visit_takes_its_steps_through_the_api_and_a_one_expert_team_is_refused(vw, app):
    lonely = vw.plan(experts=[vw.expert])
    visit = vw.plan()
    vw.session.commit()
    regulator, expert = Api.signed_in(app, "regulator"), Api.signed_in(app, "expert")
    documents = vw.data_for("notify")
    refused = regulator.post(f"/visits/{lonely.number}/events/notify", documents)
    problem = is_problem(refused, 409)
    assert any("一（一）" in r["cite"] for r in problem["reasons"])
    steps = [
        (expert, "confirm_equipment", vw.data_for("confirm_equipment")),
        (regulator, "notify", documents),
        (expert, "kickoff", vw.data_for("kickoff")),
        (expert, "start_consultation", {}),
    ]
    version = expert.get(f"/visits/{visit.number}").get_json()["version"]
    for api, event, data in steps:
        answer = api.post(f"/visits/{visit.number}/events/{event}", {**data, "version": version})
        assert answer.status_code == 200, (event, answer.get_json())
        version = answer.get_json()["version"]
    assert answer.get_json()["state"] == "consultation"
    # a stale version is a conflict and changes nothing
    stale = expert.post(f"/visits/{visit.number}/events/end_consultation", {"version": 1})
    is_problem(stale, 409)
    bad = expert.post(f"/visits/{visit.number}/events/kickoff", {"attendees": [1, 2]})
    assert is_problem(bad, 422)["reasons"][0]["rule"] == "field"


def test_lists_filter_by_state_and_enterprise_and_refuse_a_bad_filter(vw, app):
    planned = vw.plan()
    running = vw.drive(vw.plan(), "consultation")
    vw.session.commit()
    api = Api.signed_in(app, "regulator")
    listed = api.get("/visits?state=consultation").get_json()["visits"]
    assert [v["number"] for v in listed] == [running.number]
    both = api.get(f"/visits?enterprise={vw.ent.code}&limit=5").get_json()["visits"]
    assert {v["number"] for v in both} == {planned.number, running.number}
    is_problem(api.get("/visits?state=teleported"), 422)
    for limit in ("0", "²", "-1", "501"):
        is_problem(api.get(f"/visits?limit={limit}"), 422)
        is_problem(api.get(f"/permits?limit={limit}"), 422)


# -- the personal token, made on the web page -----------------------------------------------


@pytest.fixture
def web_app(make_app, vw, clock):
    return make_app(WTF_CSRF_ENABLED=False, CLOCK=clock)


def test_an_expert_makes_a_token_on_the_web_shown_once_and_it_sees_the_jurisdiction(
    vw, web_app
):
    from .test_web import signed_in

    visit = vw.plan()
    vw.session.commit()
    client = signed_in(web_app, "expert")
    made = client.post("/account/tokens", data={"password": PASSWORD, "label": "我的手机"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    page = made.get_data(as_text=True)
    secret = page.split('id="new-token" readonly value="')[1].split('"')[0]
    assert secret.startswith("ptw_")
    assert secret not in client.get("/account/tokens").get_data(as_text=True)
    vw.session.expire_all()
    row = vw.session.scalars(select(ApiToken)).one()
    assert row.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert row.enterprise_id is None and row.user_id == vw.expert.id and row.label == "我的手机"
    api = Api(web_app, secret)
    assert [v["number"] for v in api.get("/visits").get_json()["visits"]] == [visit.number]
    is_problem(api.get(f"/enterprises/{vw.other_ent.code}"), 404)
    # someone else cannot revoke it; its owner can, and then it opens nothing
    other = signed_in(web_app, "expert2")
    assert other.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    assert api.get("/visits").status_code == 200
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 303
    is_problem(api.get("/visits"), 401)


def test_a_wrong_password_makes_no_token_and_says_why(vw, web_app):
    from .test_web import flashes, signed_in

    client = signed_in(web_app, "regulator", lang="en")
    before = vw.session.scalar(select(func.count()).select_from(ApiToken))
    refused = client.post("/account/tokens", data={"password": "nope", "label": "x"})
    assert refused.status_code == 303
    messages = flashes(client.get(refused.headers["Location"]).get_data(as_text=True))
    assert messages == ["Wrong username or password"]
    vw.session.expire_all()
    assert vw.session.scalar(select(func.count()).select_from(ApiToken)) == before


def test_a_token_follows_its_persons_jurisdiction_when_they_move_or_leave(vw, app):
    """The token keeps no scope of its own: it sees what its person sees at each request."""
    from permit import jurisdictions

    ours = vw.plan()
    theirs = vw.plan(ent=vw.other_ent, experts=[vw.other_expert])
    vw.session.commit()
    api = Api.signed_in(app, "regulator")
    assert api.get(f"/visits/{ours.number}").status_code == 200
    jurisdictions.place(vw.session, vw.regulator, vw.other_district, clock=vw.clock)
    vw.session.commit()
    is_problem(api.get(f"/visits/{ours.number}"), 404)
    is_problem(api.get(f"/enterprises/{vw.ent.code}"), 404)
    assert [v["number"] for v in api.get("/visits").get_json()["visits"]] == [theirs.number]
    vw.regulator.active = False
    vw.session.commit()
    is_problem(api.get("/visits"), 401)
