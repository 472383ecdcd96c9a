"""Every refusal is application/problem+json with a stable code; every answer carries a request id."""

from __future__ import annotations

import json
from collections.abc import Iterator

from comptoir.api.problems import problem
from comptoir.logs import RequestIdFilter
from tests.api.support import Api

PROBLEM_JSON = "application/problem+json"


def test_a_malformed_body_is_a_422_problem_naming_each_field(api: Api) -> None:
    # when
    response = api.client.post("/api/auth/login", json={"email": "a@b.c", "passwd": "x"})
    # then
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert (body["type"], body["status"], body["code"]) == (
        "https://comptoir.dev/problems/invalid_request",
        422,
        "invalid_request",
    )
    assert body["title"] and body["detail"]
    assert {tuple(error["loc"]) for error in body["errors"]} == {("body", "password"), ("body", "passwd")}
    assert all(error["message"] and error["type"] for error in body["errors"])


def test_a_body_that_is_not_json_is_a_422_problem(api: Api) -> None:
    response = api.client.post("/api/auth/login", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"


def test_an_oversized_body_is_refused_before_it_is_read(api: Api) -> None:
    # given a body one byte over the limit
    body = b'{"email": "' + b"a" * api.settings.max_body_bytes + b'"}'
    # when
    response = api.client.post("/api/auth/register", content=body, headers={"content-type": "application/json"})
    # then
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["code"] == "body_too_large"


def test_an_oversized_body_without_content_length_is_refused_while_streaming(api: Api) -> None:
    # given a chunked upload that never declares its size
    def chunks() -> Iterator[bytes]:
        for _ in range(api.settings.max_body_bytes // 1024 + 2):
            yield b"x" * 1024

    # when
    response = api.client.post("/api/auth/register", content=chunks(), headers={"content-type": "application/json"})
    # then
    assert response.status_code == 413
    assert response.json()["code"] == "body_too_large"


def test_unknown_routes_and_methods_are_problems_too(api: Api) -> None:
    missing = api.client.get("/api/nothing-here")
    wrong_method = api.client.delete("/api/shops")
    assert (missing.status_code, missing.headers["content-type"], missing.json()["code"]) == (
        404,
        PROBLEM_JSON,
        "not_found",
    )
    assert (wrong_method.status_code, wrong_method.json()["code"]) == (405, "method_not_allowed")


def test_the_callers_request_id_is_echoed_and_one_is_made_up_otherwise(api: Api) -> None:
    # when
    echoed = api.client.get("/healthz", headers={"X-Request-Id": "trace-42"})
    made_up = api.client.get("/api/shops")
    refused = api.client.get("/api/me", headers={"X-Request-Id": "trace-43"})
    # then
    assert echoed.headers["x-request-id"] == "trace-42"
    assert made_up.headers["x-request-id"].startswith("req_")
    assert refused.status_code == 401
    assert refused.headers["x-request-id"] == "trace-43"


def test_the_openapi_document_shows_the_routes_and_the_bearer_scheme(api: Api) -> None:
    # when
    spec = api.client.get("/openapi.json").json()
    docs = api.client.get("/docs")
    # then
    assert docs.status_code == 200
    assert {"/api/auth/login", "/api/auth/register", "/api/me", "/api/shops", "/api/orders"} <= set(spec["paths"])
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The access_token from POST /api/auth/login, sent as `Authorization: Bearer <token>`.",
    }
    assert PROBLEM_JSON in spec["paths"]["/api/orders"]["post"]["responses"]["409"]["content"]


def test_an_unexpected_error_is_a_500_problem_logged_under_the_request_id(api: Api, caplog) -> None:
    # given a route that fails in a way nobody planned for
    def explode() -> None:
        raise RuntimeError("disk on fire")

    api.client.app.add_api_route("/boom", explode)
    caplog.handler.addFilter(RequestIdFilter())  # the filter our JSON handler uses
    # when
    with caplog.at_level("ERROR", logger="comptoir.http"):
        response = api.client.get("/boom", headers={"X-Request-Id": "trace-500"})
    # then the client gets a problem naming the id, and the traceback is logged with that id
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["x-request-id"] == "trace-500"
    assert response.json()["code"] == "internal_error"
    assert "trace-500" in response.json()["detail"]
    assert "disk on fire" not in response.text
    failures = [r for r in caplog.records if r.getMessage() == "unhandled error"]
    assert failures and failures[0].exc_info is not None
    assert failures[0].request_id == "trace-500"


def test_a_json_body_that_is_not_utf8_is_a_400_problem_with_its_own_code(api: Api) -> None:
    response = api.client.post(
        "/api/auth/login", content=b'{"email": "\xff"}', headers={"content-type": "application/json"}
    )
    assert (response.status_code, response.headers["content-type"]) == (400, PROBLEM_JSON)
    assert response.json()["code"] == "body_not_parsable"


def test_the_openapi_lists_the_refusals_of_every_route_that_takes_a_body_or_parameters(api: Api) -> None:
    # when
    paths = api.client.get("/openapi.json").json()["paths"]
    operations = [op for item in paths.values() for method, op in item.items() if method in {"get", "post", "patch"}]
    # then a body can always be unreadable (400), too large (413) or invalid (422); parameters invalid (422)
    with_body = [op for op in operations if "requestBody" in op]
    with_parameters = [op for op in operations if op.get("parameters")]
    assert with_body and with_parameters
    assert all({"400", "413", "422"} <= set(op["responses"]) for op in with_body)
    assert all("422" in op["responses"] for op in with_parameters)
    assert all("application/problem+json" in op["responses"]["413"]["content"] for op in with_body)


def test_an_extra_named_like_a_problem_member_never_replaces_it() -> None:
    # when an error's extras happen to be named status, code or type
    answer = problem(409, "not_cancellable", "no", extra={"status": "confirmed", "code": "x", "type": "y", "n": 1})
    # then the answer is still the 409 problem, the other extras kept, members in the RFC's order
    body = json.loads(answer.body)
    assert (answer.status_code, body["status"], body["code"], body["n"]) == (409, 409, "not_cancellable", 1)
    assert body["type"].endswith("/not_cancellable")
    assert list(body)[:5] == ["type", "title", "status", "code", "detail"]
