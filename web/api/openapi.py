"""The OpenAPI 3.1 document of /api/v1, served at /api/v1/openapi.json. Tests check that it
names every route and that what the routes answer conforms to it (schemathesis)."""

from __future__ import annotations

from typing import Any

from permit.readings import MAX_BATCH

from . import bp
from .exchange import document
from .permits import MAX_LIMIT

VERSION = "1.0.0"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def _object(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties) if required is None else required,
    }


TIME = {"type": "string", "format": "date-time"}
TEXT = {"type": "string"}
INT = {"type": "integer"}
LABELS = _object({"zh": TEXT, "en": TEXT})
PERSON = _object({"id": INT, "name": TEXT})

SCHEMAS: dict[str, Any] = {
    "Problem": {
        **_object(
            {
                "type": {"type": "string", "format": "uri-reference"},
                "title": TEXT,
                "status": INT,
                "detail": TEXT,
                "instance": TEXT,
                "reasons": {"type": "array", "items": _ref("Reason")},
            }
        ),
        "description": "RFC 9457 problem details; `reasons` say why, each naming its rule and "
        "the article it enforces, in the language of Accept-Language (zh by default, en).",
    },
    "Reason": _object(
        {
            "rule": TEXT,
            "message": TEXT,
            "cite": {"type": "string", "description": "the article enforced; empty if none"},
            "index": {
                "type": "integer",
                "minimum": 0,
                "description": "the position of the item (e.g. a reading) it is about",
            },
        },
        ["rule", "message", "cite"],
    ),
    "Labels": LABELS,
    "Person": PERSON,
    "Credentials": {
        **_object(
            {
                "username": {"type": "string", "minLength": 1},
                "password": {"type": "string", "minLength": 1},
                "label": {"type": "string", "maxLength": 120},
            },
            ["username", "password"],
        ),
    },
    "DeviceRequest": _object(
        {"serial": {"type": "string", "minLength": 1}, "label": {"type": "string"}}, ["serial"]
    ),
    "Token": {
        **_object(
            {
                "id": INT,
                "kind": {"type": "string", "enum": ["user", "device"]},
                "label": TEXT,
                "created_at": TIME,
                "expires_at": _nullable(TIME),
                "revoked_at": _nullable(TIME),
                "user": _nullable(PERSON),
                "detector": _nullable(TEXT),
                "token": {
                    "type": "string",
                    "description": "the secret: in the answer that issues it, and never again",
                },
            },
            ["id", "kind", "label", "created_at", "expires_at", "revoked_at", "user", "detector"],
        ),
    },
    "TokenList": _object({"tokens": {"type": "array", "items": _ref("Token")}}),
    "Hazard": _object({"key": TEXT, "label": LABELS}),
    "Space": _object(
        {
            "code": TEXT,
            "name": TEXT,
            "location": TEXT,
            "hazards": {"type": "array", "items": _ref("Hazard")},
            "control_measures": {"type": "array", "items": TEXT},
            "isolation_measures": {"type": "array", "items": TEXT},
            "deep": {"type": "boolean"},
            "active": {"type": "boolean"},
        }
    ),
    "SpaceDetail": {
        "allOf": [
            _ref("Space"),
            _object({"open_permits": {"type": "array", "items": _ref("PermitSummary")}}),
        ]
    },
    "SpaceList": _object({"spaces": {"type": "array", "items": _ref("Space")}}),
    "PeopleList": _object(
        {
            "people": {
                "type": "array",
                "items": _object(
                    {
                        "id": INT,
                        "name": TEXT,
                        "roles": {"type": "array", "items": TEXT},
                        "contractor": {"type": "boolean"},
                    }
                ),
            }
        }
    ),
    "PermitSummary": _object(
        {
            "number": TEXT,
            "state": TEXT,
            "state_label": LABELS,
            "version": INT,
            "space": _object({"code": TEXT, "name": TEXT}),
            "task_type": _nullable(TEXT),
            "purpose": TEXT,
            "window_start": _nullable(TIME),
            "window_end": _nullable(TIME),
            "risk_tier": _nullable(TEXT),
            "rule_pack": TEXT,
            "attendant": _nullable(PERSON),
        }
    ),
    "PermitList": _object({"permits": {"type": "array", "items": _ref("PermitSummary")}}),
    "StoredReading": _object(
        {
            "gas": TEXT,
            "point": TEXT,
            "value": {"type": "number"},
            "unit": TEXT,
            "passed": {"type": "boolean"},
            "taken_at": TIME,
        }
    ),
    "Step": _object(
        {
            "event": TEXT,
            "label": LABELS,
            "style": {"type": "string", "enum": ["primary", "secondary", "urgent"]},
            "requires": {"type": "array", "items": TEXT},
            "ready": {"type": "boolean"},
            "reasons": {"type": "array", "items": _ref("Reason")},
        }
    ),
    "Alarm": _object(
        {
            "id": INT,
            "kind": TEXT,
            "raised_at": TIME,
            "taken_at": TIME,
            "detector": _nullable(TEXT),
            "gas": TEXT,
            "point": TEXT,
            "value": {"type": "number"},
            "unit": TEXT,
            "limit": TEXT,
            "moved_to": _nullable(TEXT),
            "cite": TEXT,
        }
    ),
    "PermitDetail": {
        "allOf": [
            _ref("PermitSummary"),
            _object(
                {
                    "hazards": {"type": "array", "items": TEXT},
                    "control_measures": {"type": "array", "items": TEXT},
                    "requester": PERSON,
                    "entrants": {"type": "array", "items": PERSON},
                    "rescuers": {"type": "array", "items": PERSON},
                    "contractor": _nullable(TEXT),
                    "equipment": {
                        "type": "array",
                        "items": _object(
                            {
                                "serial": TEXT,
                                "kind": TEXT,
                                "name": TEXT,
                                "gases": {"type": "array", "items": TEXT},
                                "due_on": _nullable({"type": "string", "format": "date"}),
                            }
                        ),
                    },
                    "gases_to_test": {"type": "array", "items": TEXT},
                    "gas_tests": {
                        "type": "array",
                        "items": _object(
                            {
                                "tested_at": TIME,
                                "passed": {"type": "boolean"},
                                "detector": _nullable(TEXT),
                                "readings": {"type": "array", "items": _ref("StoredReading")},
                            }
                        ),
                    },
                    "headcount": {"type": "integer", "minimum": 0},
                    "inside": {"type": "array", "items": PERSON},
                    "alarms": {
                        "type": "array",
                        "items": _ref("Alarm"),
                        "description": "open alarms (no passing gas test since), newest first",
                    },
                    "monitoring": {
                        "type": "array",
                        "items": _object(
                            {
                                "detector": TEXT,
                                "last_at": TIME,
                                "readings": {"type": "array", "items": _ref("StoredReading")},
                            }
                        ),
                    },
                    "silent_detectors": {"type": "array", "items": TEXT},
                    "events": {
                        "type": "array",
                        "items": _ref("Step"),
                        "description": "the events this person may fire now or once what "
                        "blocks them is done, each with its blocking reasons",
                    },
                }
            ),
        ]
    },
    "PermitRequest": _object(
        {
            "space": {"type": "string", "description": "the space's code in the ledger"},
            "task_type": TEXT,
            "purpose": TEXT,
            "window_start": TIME,
            "window_end": TIME,
            "attendant": _nullable(INT),
            "entrants": {"type": "array", "items": INT},
            "rescuers": {"type": "array", "items": INT},
            "equipment": {"type": "array", "items": TEXT, "description": "serials"},
            "contractor": _nullable(INT),
            "supervisor": {
                **_nullable(INT),
                "description": "the enterprise's on-site supervisor, required with a contractor",
            },
            "hazards": {"type": "array", "items": TEXT},
            "control_measures": {"type": "array", "items": TEXT},
        },
        ["space", "task_type", "window_start", "window_end"],
    ),
    "EventData": {
        "type": "object",
        "description": "The data the event requires (see `requires` of the permit's events); "
        "`version` makes the event refuse with 409 if the permit changed since it was read.",
        "properties": {
            "version": INT,
            "client_time": TIME,
            "password": TEXT,
            "reason": TEXT,
            "isolation": TEXT,
            "person": {"type": ["integer", "string"]},
            "detector": {"type": ["integer", "string"], "description": "id or serial"},
            "acknowledged": {"type": "array", "items": {"type": ["integer", "string"]}},
            "confirmed": {"type": "array", "items": TEXT},
            "readings": {
                "type": "array",
                "items": _object(
                    {"gas": TEXT, "point": TEXT, "value": {"type": "number"}, "unit": TEXT},
                    ["gas", "value", "unit"],
                ),
            },
        },
    },
    "Applied": _object(
        {
            "number": TEXT,
            "event": TEXT,
            "from": TEXT,
            "state": TEXT,
            "state_label": LABELS,
            "version": INT,
            "outcomes": {"type": "object", "additionalProperties": {"type": "boolean"}},
        }
    ),
    "Reading": _object(
        {
            "detector": {
                "type": "string",
                "description": "the detector's serial; may be left out by a sender that "
                "speaks for one detector only",
            },
            "taken_at": {
                "type": "string",
                "format": "date-time",
                "description": "when the detector took it, with its zone; late readings are "
                "placed by this time, readings ahead of the server by more than the allowed "
                "clock skew are refused",
            },
            "gas": {"type": "string", "description": "o2, lel, h2s, co, co2"},
            "value": {"type": "number"},
            "unit": {"type": "string", "description": "%vol, %LEL, mg/m3, ppm"},
            "point": {"type": "string", "description": "'', upper, middle or lower"},
        },
        ["taken_at", "gas", "value", "unit"],
    ),
    "ReadingBatch": _object(
        {
            "readings": {
                "type": "array",
                "items": _ref("Reading"),
                "minItems": 1,
                "maxItems": MAX_BATCH,
            }
        }
    ),
    "Ingested": _object(
        {
            "number": TEXT,
            "batch": INT,
            "stored": INT,
            "alarms": {"type": "integer", "description": "alarms raised by this batch"},
            "suspended": {
                "type": "boolean",
                "description": "whether an alarm moved the permit (working → suspended)",
            },
            "state": TEXT,
            "version": INT,
        }
    ),
}

# -- expert visits --------------------------------------------------------------------------
DATE = {"type": "string", "format": "date"}
NODE = _object({"code": TEXT, "name": TEXT, "level": TEXT})
PHOTO = _object(
    {
        "id": INT,
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "url": {"type": "string", "description": "GET it with the bearer token: the report's "
                "copy, resized, as JPEG"},
    }
)
FINDING = {
    "methods": {"type": "array", "items": {"type": "string", "enum": ["records", "site", "talk"]}},
    "result": _nullable({"type": "string", "enum": ["meets", "problem", "na"]}),
    "description": TEXT,
    "suggestion": TEXT,
    "deadline": _nullable(DATE),
    "photos": {"type": "array", "items": _ref("Photo")},
}
VISIT_SCHEMAS: dict[str, Any] = {
    "Photo": PHOTO,
    "VisitSummary": _object(
        {
            "number": TEXT,
            "state": TEXT,
            "state_label": LABELS,
            "version": INT,
            "planned_on": DATE,
            "enterprise": _object({"code": TEXT, "name": TEXT}),
            "lead": PERSON,
            "experts": {"type": "array", "items": PERSON},
            "on_team": {"type": "boolean", "description": "the caller is an expert of the team"},
        }
    ),
    "VisitList": _object({"visits": {"type": "array", "items": _ref("VisitSummary")}}),
    "CheckpointEvidence": {
        **_object(
            {
                "status": {"type": "string", "enum": ["satisfied", "violated", "no_records"]},
                "lines": {
                    "type": "array",
                    "items": _object({"message": TEXT, "bad": {"type": "boolean"}}),
                },
                "article": TEXT,
                "penalty": _nullable(
                    _object({"article": TEXT, "item": TEXT, "text": TEXT, "cite": TEXT})
                ),
                "cite": TEXT,
            }
        ),
        "description": "what the enterprise's own records show for the checkpoint: a "
        "suggested status and its facts; the expert still decides the finding",
    },
    "Checkpoint": _object(
        {
            "checkpoint": {"type": "integer", "minimum": 1},
            "label": LABELS,
            "group": LABELS,
            **FINDING,
            "evidence": _nullable(_ref("CheckpointEvidence")),
        }
    ),
    "VisitDetail": {
        "allOf": [
            _ref("VisitSummary"),
            _object(
                {
                    "jurisdiction": {"type": "array", "items": NODE},
                    "documents": {"type": "array", "items": TEXT},
                    "equipment_confirmed_at": _nullable(TIME),
                    "notified_at": _nullable(TIME),
                    "kickoff_at": _nullable(TIME),
                    "consultation_started_at": _nullable(TIME),
                    "consultation_ended_at": _nullable(TIME),
                    "accepted_at": _nullable(TIME),
                    "conclusion": TEXT,
                    "editable": {"type": "boolean", "description": "the caller may fill the form"},
                    "warning": {
                        **_nullable(_ref("Reason")),
                        "description": "a consultation shorter than the procedure asks",
                    },
                    "evidence_as_of": DATE,
                    "checkpoints": {"type": "array", "items": _ref("Checkpoint")},
                    "events": {"type": "array", "items": _ref("Step")},
                }
            ),
        ]
    },
    "FieldSave": {
        **_object(
            {
                "field": {
                    "type": "string",
                    "enum": ["methods", "result", "description", "suggestion", "deadline"],
                },
                "value": {
                    "anyOf": [
                        {"type": "string"},
                        {"type": "array", "items": {"type": "string"}},
                        {"type": "null"},
                    ],
                    "description": "methods: a list of records/site/talk; result: meets, "
                    "problem or na; deadline: YYYY-MM-DD; null or '' clears",
                },
            },
            ["field"],
        ),
    },
    "Saved": _object(
        {"saved": _object({"number": TEXT, "checkpoint": INT, **FINDING})}
    ),
    "PhotoAdded": _object({"photo": _ref("Photo"), "checkpoint": INT}),
    "VisitEventData": {
        "type": "object",
        "description": "The data the step requires (see `requires` of the visit's events); "
        "`version` makes the step refuse with 409 if the visit changed since it was read.",
        "properties": {
            "version": INT,
            "client_time": TIME,
            "confirmed": {"type": "array", "items": TEXT, "description": "checklist keys"},
            "documents": {"type": "array", "items": TEXT, "description": "document keys"},
            "attendees": {
                "type": "object",
                "additionalProperties": {
                    "anyOf": [TEXT, {"type": "array", "items": TEXT}],
                },
                "description": "names per attendee role",
            },
            "password": TEXT,
            "conclusion": TEXT,
        },
    },
    "Enterprise": _object(
        {
            "code": TEXT,
            "name": TEXT,
            "industry": _object({"key": TEXT, "label": LABELS}),
            "scope": {
                **_object(
                    {"applies": {"type": "boolean"}, "rule": TEXT, "message": TEXT, "cite": TEXT}
                ),
                "description": "whether the rules cover it, derived from its industry (art. 2)",
            },
            "jurisdiction": {"type": "array", "items": NODE},
        }
    ),
}
SCHEMAS.update(VISIT_SCHEMAS)


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": _ref("Problem")}},
    }


def _ok(schema: str, description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


UNAUTHORIZED = _problem("no valid bearer token (a session cookie does not count)")
NOT_FOUND = _problem("not found, or outside the caller's scope")
INVALID = _problem("invalid input: the reasons say what, per item where it applies")
BLOCKED = _problem("refused by the rules (the reasons cite the articles), or changed meanwhile")
IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "makes a retry record exactly once and get the first answer back",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
}
LANGUAGE = {
    "name": "Accept-Language",
    "in": "header",
    "required": False,
    "schema": {"type": "string"},
    "description": "zh (default) or en",
}


def _json_body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": _ref(schema)}}}


def _path(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema or TEXT}


SECURED = [{"bearer": []}]

PATHS: dict[str, Any] = {
    "/openapi.json": {
        "get": {
            "operationId": "openapi",
            "summary": "This document",
            "security": [],
            "responses": {
                "200": {"description": "OpenAPI 3.1", "content": {"application/json": {}}}
            },
        }
    },
    "/tokens": {
        "post": {
            "operationId": "create_token",
            "summary": "Sign in: username and password for a bearer token",
            "security": [],
            "requestBody": _json_body("Credentials"),
            "responses": {
                "201": _ok("Token", "the token, shown once"),
                "401": _problem("wrong username or password"),
                "422": INVALID,
                "429": {
                    **_problem("too many failed sign-ins; try again later"),
                    "headers": {"Retry-After": {"schema": {"type": "string"}}},
                },
            },
        },
        "get": {
            "operationId": "list_tokens",
            "summary": "My tokens (an admin: also the enterprise's)",
            "responses": {"200": _ok("TokenList"), "401": UNAUTHORIZED, "404": NOT_FOUND},
        },
    },
    "/tokens/{token_id}/revoke": {
        "post": {
            "operationId": "revoke_token",
            "summary": "Revoke a token (nothing is deleted)",
            "parameters": [_path("token_id", {"type": "integer", "minimum": 1})],
            "responses": {"200": _ok("Token"), "401": UNAUTHORIZED, "404": NOT_FOUND},
        }
    },
    "/devices": {
        "post": {
            "operationId": "create_device_token",
            "summary": "An admin issues a token bound to one gas detector of the enterprise",
            "requestBody": _json_body("DeviceRequest"),
            "responses": {
                "201": _ok("Token", "the token, shown once"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "422": INVALID,
            },
        }
    },
    "/spaces": {
        "get": {
            "operationId": "list_spaces",
            "summary": "The ledger's spaces",
            "responses": {"200": _ok("SpaceList"), "401": UNAUTHORIZED, "404": NOT_FOUND},
        }
    },
    "/spaces/{code}": {
        "get": {
            "operationId": "show_space",
            "summary": "One space, with its open permits",
            "parameters": [_path("code")],
            "responses": {"200": _ok("SpaceDetail"), "401": UNAUTHORIZED, "404": NOT_FOUND},
        }
    },
    "/people": {
        "get": {
            "operationId": "list_people",
            "summary": "The enterprise's active people, to name on a permit",
            "responses": {"200": _ok("PeopleList"), "401": UNAUTHORIZED, "404": NOT_FOUND},
        }
    },
    "/permits": {
        "get": {
            "operationId": "list_permits",
            "summary": "Permits in the caller's scope, newest first",
            "parameters": [
                {"name": "state", "in": "query", "schema": TEXT},
                {"name": "space", "in": "query", "schema": TEXT, "description": "space code"},
                {
                    "name": "mine",
                    "in": "query",
                    "schema": {"type": "boolean"},
                    "description": "only permits naming me: requester, attendant, entrant, rescuer",
                },
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                },
            ],
            "responses": {
                "200": _ok("PermitList"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "422": INVALID,
            },
        },
        "post": {
            "operationId": "create_permit",
            "summary": "Request a permit (a draft)",
            "parameters": [IDEMPOTENCY],
            "requestBody": _json_body("PermitRequest"),
            "responses": {
                "201": _ok("PermitDetail", "the new draft"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "409": BLOCKED,
                "422": INVALID,
            },
        },
    },
    "/permits/{number}": {
        "get": {
            "operationId": "show_permit",
            "summary": "A permit: state, people, equipment, tests, headcount, alarms, and the "
            "events the caller may fire with their blocking reasons",
            "parameters": [_path("number"), LANGUAGE],
            "responses": {"200": _ok("PermitDetail"), "401": UNAUTHORIZED, "404": NOT_FOUND},
        }
    },
    "/permits/{number}/events/{event}": {
        "post": {
            "operationId": "fire_event",
            "summary": "Fire an event with its data",
            "parameters": [_path("number"), _path("event"), IDEMPOTENCY, LANGUAGE],
            "requestBody": _json_body("EventData"),
            "responses": {
                "200": _ok("Applied", "the new state"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "409": BLOCKED,
                "422": INVALID,
            },
        }
    },
    "/permits/{number}/readings": {
        "post": {
            "operationId": "post_readings",
            "summary": "A batch of monitoring readings (a phone, or a detector's gateway with a "
            "device token); one bad item refuses the batch and stores nothing; a reading "
            "outside the limits suspends a working permit in the same request",
            "parameters": [_path("number"), IDEMPOTENCY, LANGUAGE],
            "requestBody": _json_body("ReadingBatch"),
            "responses": {
                "201": _ok("Ingested", "stored"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "409": BLOCKED,
                "422": INVALID,
            },
        }
    },
}


NUMBER = _path("number")
CHECKPOINT = _path("checkpoint", {"type": "integer", "minimum": 0})
VISIT_PATHS: dict[str, Any] = {
    "/visits": {
        "get": {
            "operationId": "list_visits",
            "summary": "Expert visits in the caller's scope: an expert's or a regulator's "
            "jurisdiction, an enterprise's own",
            "parameters": [
                {"name": "state", "in": "query", "schema": TEXT},
                {"name": "enterprise", "in": "query", "schema": TEXT,
                 "description": "enterprise code"},
                {
                    "name": "limit",
                    "in": "query",
                    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
                },
            ],
            "responses": {
                "200": _ok("VisitList"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "422": INVALID,
            },
        }
    },
    "/visits/{number}": {
        "get": {
            "operationId": "show_visit",
            "summary": "A visit: its steps with what blocks each, and the 20 checkpoints, each "
            "with its finding so far and what the enterprise's records show",
            "parameters": [NUMBER, LANGUAGE],
            "responses": {"200": _ok("VisitDetail"), "401": UNAUTHORIZED, "404": NOT_FOUND},
        }
    },
    "/visits/{number}/checkpoints/{checkpoint}": {
        "post": {
            "operationId": "save_checkpoint",
            "summary": "Save one field of one checkpoint (the team's experts, during the "
            "consultation and the debrief); the same value again changes nothing",
            "parameters": [NUMBER, CHECKPOINT, IDEMPOTENCY, LANGUAGE],
            "requestBody": _json_body("FieldSave"),
            "responses": {
                "200": _ok("Saved"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "409": BLOCKED,
                "422": INVALID,
            },
        }
    },
    "/visits/{number}/checkpoints/{checkpoint}/photos": {
        "post": {
            "operationId": "add_photo",
            "summary": "A photo of a checkpoint (JPEG or PNG), kept by its hash: the same photo "
            "sent again is the same photo; with an Idempotency-Key the key stands for the "
            "photo's bytes, not the multipart wrapping",
            "parameters": [NUMBER, CHECKPOINT, IDEMPOTENCY, LANGUAGE],
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {"photo": {"type": "string", "format": "binary"}},
                            "required": ["photo"],
                        }
                    },
                    "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                    "image/png": {"schema": {"type": "string", "format": "binary"}},
                },
            },
            "responses": {
                "201": _ok("PhotoAdded", "kept (the same photo if it was kept already)"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "409": BLOCKED,
                "422": INVALID,
            },
        }
    },
    "/visits/{number}/photos/{photo_id}": {
        "get": {
            "operationId": "visit_photo",
            "summary": "The report's copy of a photo of the visit",
            "parameters": [NUMBER, _path("photo_id", {"type": "integer", "minimum": 0})],
            "responses": {
                "200": {
                    "description": "the photo, resized",
                    "content": {"image/jpeg": {"schema": {"type": "string", "format": "binary"}}},
                },
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
            },
        }
    },
    "/visits/{number}/events/{event}": {
        "post": {
            "operationId": "fire_visit_event",
            "summary": "Take a step of the visit with its data",
            "parameters": [NUMBER, _path("event"), IDEMPOTENCY, LANGUAGE],
            "requestBody": _json_body("VisitEventData"),
            "responses": {
                "200": _ok("Applied", "the new state"),
                "401": UNAUTHORIZED,
                "404": NOT_FOUND,
                "409": BLOCKED,
                "422": INVALID,
            },
        }
    },
    "/enterprises/{code}": {
        "get": {
            "operationId": "show_enterprise",
            "summary": "An enterprise of the caller's jurisdiction (experts and regulators)",
            "parameters": [_path("code"), LANGUAGE],
            "responses": {"200": _ok("Enterprise"), "401": UNAUTHORIZED, "404": NOT_FOUND},
        }
    },
}
PATHS.update(VISIT_PATHS)


def spec() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Confined-space permit-to-work API",
            "version": VERSION,
            "description": "Bearer tokens (POST /tokens; device tokens from POST /devices). "
            "Errors are application/problem+json with the reasons and the articles they cite. "
            "Every answer is scoped as in the web app: outside one's scope is a 404. Experts "
            "and regulators sign in the same way; their token sees their jurisdiction.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": SECURED,
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


@bp.get("/openapi.json")
def openapi():
    return document(spec())
