"""A small client for the JSON API in tests: sign in for a token, then call with it."""

from __future__ import annotations

from typing import Any

from flask import Flask

from .factories import PASSWORD

API = "/api/v1"
PROBLEM = "application/problem+json"


class Api:
    def __init__(self, app: Flask, token: str | None = None, lang: str | None = None) -> None:
        self.app = app
        self.client = app.test_client()
        self.token = token
        self.lang = lang

    @classmethod
    def signed_in(cls, app: Flask, username: str, password: str = PASSWORD) -> Api:
        api = cls(app)
        answer = api.post("/tokens", {"username": username, "password": password})
        assert answer.status_code == 201, answer.get_json()
        api.token = answer.get_json()["token"]
        return api

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if self.lang:
            headers["Accept-Language"] = self.lang
        return {**headers, **(extra or {})}

    def get(self, path: str, **kwargs: Any):
        return self.client.get(API + path, headers=self.headers(kwargs.pop("headers", None)),
                               **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any):
        return self.client.post(
            API + path, json=body, headers=self.headers(kwargs.pop("headers", None)), **kwargs
        )

    def readings(self, number: str, items: list[dict[str, Any]], **kwargs: Any):
        return self.post(f"/permits/{number}/readings", {"readings": items}, **kwargs)

    def fire(self, number: str, event: str, body: dict[str, Any] | None = None, **kwargs: Any):
        return self.post(f"/permits/{number}/events/{event}", body or {}, **kwargs)


def reading(clock, gas: str = "h2s", value: float = 0.5, unit: str = "mg/m3", **extra: Any):
    """One reading of detector D-01 taken now (or at `at`)."""
    at = extra.pop("at", None) or clock.now()
    return {"detector": "D-01", "taken_at": at.isoformat(), "gas": gas, "value": value,
            "unit": unit, **extra}


def is_problem(answer, status: int) -> dict[str, Any]:
    """The answer is an RFC 9457 problem with that status; its body."""
    assert answer.status_code == status, (answer.status_code, answer.get_data(as_text=True))
    assert answer.mimetype == PROBLEM, answer.mimetype
    body = answer.get_json()
    assert {"type", "title", "status", "detail", "reasons"} <= set(body), body
    assert body["status"] == status
    for reason in body["reasons"]:
        assert {"rule", "message", "cite"} <= set(reason) and reason["message"]
    return body
