"""Security headers on each kind of response: customer pages, the API docs pages, JSON, static files."""

from __future__ import annotations

import re

import pytest

from comptoir.api.security_headers import NON_HTML_POLICY, PAGE_POLICY
from comptoir.web.api_docs import DOCS_POLICY, REDOC_POLICY
from tests.api.support import Api


def _directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2] for part in policy.split(";")}


def _assert_always(response_headers: dict[str, str]) -> None:
    assert response_headers["x-content-type-options"] == "nosniff"
    assert response_headers["referrer-policy"] == "no-referrer"
    assert response_headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "path",
    ["/checkout/cancel?order_id=ord_missing", "/checkout/success?session_id=", "/cancel?order_id=ord_missing"],
)
def test_customer_pages_carry_a_policy_with_no_inline_script_and_no_framing(api: Api, path: str) -> None:
    # when a customer page is answered (here its "not found" and "bad link" variants, plain HTML all the same)
    response = api.client.get(path)
    # then it is HTML with the pages' policy: this origin only, no inline script, never framed
    assert response.headers["content-type"].startswith("text/html")
    _assert_always(response.headers)
    assert response.headers["content-security-policy"] == PAGE_POLICY
    policy = _directives(PAGE_POLICY)
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'" and policy["form-action"] == "'self'"
    assert "unsafe-inline" not in PAGE_POLICY
    # and the page itself has no inline script or style that the policy would block: its only scripts
    # are files from this origin (the vendored htmx), with nothing between their tags
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", response.text, re.S)
    assert scripts and all(re.search(r'\ssrc="/static/', tag) and not body.strip() for tag, body in scripts)
    assert "<style" not in response.text and " style=" not in response.text


@pytest.mark.parametrize(("path", "policy"), [("/docs", DOCS_POLICY), ("/redoc", REDOC_POLICY)])
def test_the_api_docs_pages_carry_their_own_policy_with_no_inline_script(api: Api, path: str, policy: str) -> None:
    # when the docs page is answered
    response = api.client.get(path)
    # then it keeps its own policy, which loads scripts from this origin only
    assert response.status_code == 200
    _assert_always(response.headers)
    assert response.headers["content-security-policy"] == policy
    assert _directives(policy)["script-src"] == "'self'" and _directives(policy)["frame-ancestors"] == "'none'"
    # and every script and stylesheet on the page is a file from this origin
    assert "<script>" not in response.text
    assert re.findall(r'(?:src|href)="([^"]*)"', response.text) and all(
        url.startswith("/") and not url.startswith("//") for url in re.findall(r'(?:src|href)="([^"]*)"', response.text)
    )


@pytest.mark.parametrize("path", ["/api/shops", "/api/me", "/healthz", "/openapi.json", "/static/pages.css"])
def test_other_answers_are_not_sniffed_not_framed_and_load_nothing(api: Api, path: str) -> None:
    # when JSON (an answer, a problem, the OpenAPI document) or a static file is answered
    response = api.client.get(path)
    # then it carries nosniff, no referrer, and a policy that allows nothing
    _assert_always(response.headers)
    assert response.headers["content-security-policy"] == NON_HTML_POLICY
