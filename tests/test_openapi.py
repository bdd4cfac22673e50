"""The OpenAPI 3.1 document served at /api/v1/openapi.json is true: it names every API route
and only those, and schemathesis, generating requests from it against the app with a valid
bearer token, finds no server error and no answer the document does not describe."""

from __future__ import annotations

import re

import jsonschema_rs
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from permit import demo

from .api_client import Api

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture
def served(make_app, sessions, clock):
    """The demo's data, and the attendant's token: the role whose calls change the most."""
    with sessions() as session:
        demo.load(session, clock)
        session.commit()
    app = make_app(CLOCK=clock)
    return app, Api.signed_in(app, "attendant").token


def test_the_document_names_every_api_route_and_no_other(served):
    app, _ = served
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"] == "3.1.0"
    documented = {
        (method.upper(), path)
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule).removeprefix("/api/v1")
            routed |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed


def test_every_schema_of_the_document_is_valid_json_schema(served):
    app, _ = served
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for schema in spec["components"]["schemas"].values():
        # raises on an invalid schema or a $ref that leads nowhere
        validator = jsonschema_rs.Draft202012Validator({**schema, "components": spec["components"]})
        validator.is_valid({})


def test_every_secured_operation_documents_its_401_and_every_error_is_a_problem(served):
    app, _ = served
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            secured = operation.get("security", spec["security"]) != []
            assert not secured or "401" in operation["responses"], (method, path)
            for status, response in operation["responses"].items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"]


# schemathesis' own pytest plugin (from_fixture / parametrize) does not run under this pytest,
# so each operation gets a plain hypothesis test built from its strategy.
SETTINGS = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def test_the_api_answers_as_its_document_says(served):
    app, token = served
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}  # a fresh one for each operation below
    operations = [result.ok() for result in schema.get_all_operations()]
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    documented = {f"{m.upper()} {p}" for p, item in spec["paths"].items() for m in item}
    # every operation but the document's own
    assert {o.label for o in operations} == documented - {"GET /openapi.json"}
    # Path parameters drawn from the demo as well as at random, so that the answers of real
    # permits, spaces, events and tokens are checked too, not only the 404s.
    real = {
        "number": st.sampled_from([p["number"] for p in _demo_permits(app, headers)]),
        "code": st.sampled_from(["GP-01", "WS-01", "CP-01", "NOPE"]),
        "event": st.sampled_from(["check_in", "check_out", "evacuate", "suspend", "resume",
                                  "record_gas_test", "finish", "teleport"]),
        "token_id": st.integers(1, 5),
    }

    # The visits' operations as the demo expert calls them, on the demo's visit (at the
    # consultation, the expert on its team) as well as at random.
    expert = Api.signed_in(app, "expert")
    visit = expert.get("/visits").get_json()["visits"][0]["number"]
    photos = [p["id"] for c in expert.get(f"/visits/{visit}").get_json()["checkpoints"]
              for p in c["photos"]]
    on_site = {
        "number": st.sampled_from([visit, "ZD-2000-0001"]),
        "code": st.sampled_from(["DEMO", "NOPE"]),
        "event": st.sampled_from(["end_consultation", "notify", "close", "teleport"]),
        "checkpoint": st.integers(0, 22),
        "photo_id": st.sampled_from([*photos, 0, 2**31]),
    }

    # Revoking comes last: it may revoke the very token the calls use.
    operations.sort(key=lambda o: o.label == "POST /tokens/{token_id}/revoke")
    for operation in operations:
        visiting = operation.path.startswith(("/visits", "/enterprises"))
        who = "expert" if visiting else "attendant"
        headers["Authorization"] = f"Bearer {Api.signed_in(app, who).token}"
        _generate(operation, headers, on_site if visiting else real)


def _generate(operation, headers: dict, real: dict) -> None:
    names = [p.name for p in operation.path_parameters]

    @SETTINGS
    @given(case=operation.as_strategy(), data=st.data())
    def answers_as_documented(case, data):
        for name in names:
            if data.draw(st.booleans(), label=f"real {name}"):
                case.path_parameters[name] = data.draw(real[name], label=name)
        case.call_and_validate(headers=headers, checks=CHECKS)

    answers_as_documented()


def _demo_permits(app, headers) -> list[dict]:
    return app.test_client().get("/api/v1/permits", headers=headers).get_json()["permits"]


def conforms(spec: dict, method: str, template: str, answer) -> None:
    """The answer's status is documented for the operation and its body fits the schema."""
    operation = spec["paths"][template][method.lower()]
    documented = operation["responses"].get(str(answer.status_code))
    assert documented, f"{method} {template}: status {answer.status_code} is not documented"
    (media, content), = documented["content"].items()
    assert answer.mimetype == media, (answer.mimetype, media)
    schema = {**content["schema"], "components": spec["components"]}
    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    errors = [e.message for e in validator.iter_errors(answer.get_json())]
    assert not errors, f"{method} {template} {answer.status_code}: {errors}"


def test_real_answers_along_a_permits_work_conform_to_the_document(served, clock):
    """What the generated requests rarely reach: a permit's real events, readings and alarm."""
    from datetime import timedelta

    app, token = served
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    attendant, admin = Api(app, token), Api.signed_in(app, "admin")
    approver = Api.signed_in(app, "approver")
    permits = attendant.get("/permits").get_json()["permits"]
    working = next(p["number"] for p in permits if p["state"] == "working")
    draft = next(p["number"] for p in permits if p["state"] == "draft")
    people = approver.get("/people").get_json()["people"]
    attendant_id = next(p["id"] for p in people if "attendant" in p["roles"])
    calls = [
        ("GET", "/spaces", attendant.get("/spaces")),
        ("GET", "/spaces/{code}", attendant.get("/spaces/CP-01")),
        ("GET", "/people", approver.get("/people")),
        ("GET", "/permits", attendant.get("/permits?mine=true")),
        ("GET", "/permits/{number}", attendant.get(f"/permits/{working}")),
        ("POST", "/permits", approver.post("/permits", {
            "space": "CT-01", "task_type": "inspection", "attendant": attendant_id,
            "equipment": ["D-01", "F-01"],
            "window_start": (clock.now() + timedelta(hours=1)).isoformat(),
            "window_end": (clock.now() + timedelta(hours=2)).isoformat()})),
        ("POST", "/permits/{number}/events/{event}", approver.fire(draft, "submit")),
        ("POST", "/permits/{number}/events/{event}",
         attendant.fire(working, "check_in", {"person": 1})),
        ("POST", "/permits/{number}/readings", attendant.readings(working, [
            {"detector": "D-01", "taken_at": clock.now().isoformat(), "gas": "o2",
             "value": 20.9, "unit": "%vol"}])),
        ("POST", "/permits/{number}/readings", attendant.readings(working, [
            {"taken_at": clock.now().isoformat(), "gas": "h2s", "value": 25, "unit": "ppm"}])),
        ("POST", "/permits/{number}/readings", attendant.readings(working, [
            {"taken_at": "soon", "gas": "h2s", "value": -1, "unit": "ppm"}])),
        ("GET", "/permits/{number}", attendant.get(f"/permits/{working}")),
        ("POST", "/devices", admin.post("/devices", {"serial": "D-01"})),
        ("GET", "/tokens", admin.get("/tokens")),
        ("POST", "/tokens/{token_id}/revoke", admin.post("/tokens/1/revoke")),
        ("POST", "/tokens", Api(app).post("/tokens", {"username": "x", "password": "y"})),
    ]
    for method, template, answer in calls:
        conforms(spec, method, template, answer)
    detail = calls[-5][2].get_json()
    assert detail["state"] == "suspended" and detail["alarms"][0]["gas"] == "h2s"


def test_real_answers_along_an_experts_visit_conform_to_the_document(served):
    """The visit's answers with real data: the form, a photo, a refused step, an enterprise."""
    import io

    from PIL import Image

    app, _ = served
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    expert, regulator = Api.signed_in(app, "expert"), Api.signed_in(app, "regulator")
    visit = expert.get("/visits").get_json()["visits"][0]["number"]
    out = io.BytesIO()
    Image.new("RGB", (80, 60), "teal").save(out, "JPEG")
    photo = expert.client.post(
        f"/api/v1/visits/{visit}/checkpoints/7/photos",
        data={"photo": (io.BytesIO(out.getvalue()), "cp.jpg", "image/jpeg")},
        content_type="multipart/form-data",
        headers=expert.headers(),
    )
    calls = [
        ("GET", "/visits", expert.get("/visits?state=consultation")),
        ("GET", "/visits/{number}", expert.get(f"/visits/{visit}")),
        ("GET", "/visits/{number}", Api.signed_in(app, "principal").get(f"/visits/{visit}")),
        ("POST", "/visits/{number}/checkpoints/{checkpoint}",
         expert.post(f"/visits/{visit}/checkpoints/7", {"field": "methods",
                                                         "value": ["records", "talk"]})),
        ("POST", "/visits/{number}/checkpoints/{checkpoint}",
         expert.post(f"/visits/{visit}/checkpoints/7", {"field": "deadline", "value": "x"})),
        ("POST", "/visits/{number}/checkpoints/{checkpoint}/photos", photo),
        ("POST", "/visits/{number}/events/{event}",
         regulator.post(f"/visits/{visit}/events/end_consultation", {})),
        ("GET", "/enterprises/{code}", regulator.get("/enterprises/DEMO")),
        ("GET", "/enterprises/{code}", regulator.get("/enterprises/DEMO13")),  # another district
    ]
    for method, template, answer in calls:
        conforms(spec, method, template, answer)
    assert [a.status_code for _, _, a in calls] == [200, 200, 200, 200, 422, 201, 409, 200, 404]
    picture = expert.get(photo.get_json()["photo"]["url"].removeprefix("/api/v1"))
    assert picture.status_code == 200 and picture.mimetype == "image/jpeg"
