"""OpenAPI descriptions of the problem+json answers, so /docs shows what each route can refuse.

Every route that takes parameters lists 422 here, which also stops FastAPI from documenting
its default `HTTPValidationError` shape: our handler answers with `invalid_request` instead.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from comptoir.api.problems import PROBLEM_JSON

_DESCRIPTIONS = {
    400: "Refused as malformed: e.g. `webhook_signature_invalid` (the detail names the likely cause).",
    402: "The payment was declined: `decline_code` and a message to show the customer.",
    401: "Missing, malformed or expired token, or wrong credentials (see `code`).",
    403: "Authenticated, but not allowed to do this.",
    404: "Not found (or not yours).",
    409: "Conflicts with the current state: e.g. `email_taken`, `price_changed`, `out_of_stock`.",
    413: "The request body is too large.",
    422: "The request is not valid: `invalid_request` names the fields in `errors`.",
    429: (
        "`too_many_attempts`: too many failed logins for this account or from this address, or too many "
        "registrations from this address. The `Retry-After` header (and `retry_after` in the body) says in "
        "how many seconds to try again; the limit lifts by itself when the window has passed."
    ),
    503: "A payment provider or the processing of an event failed; retrying later is safe.",
}


class Problem(BaseModel):
    """RFC 9457 problem details; switch on `code`, show `detail` to people."""

    type: str = Field(examples=["https://comptoir.dev/problems/bearer_missing"])
    title: str = Field(examples=["Authentication required"])
    status: int = Field(examples=[401])
    code: str = Field(examples=["bearer_missing"])
    detail: str = Field(examples=["Authorization header must be 'Bearer <token>' — the word Bearer is missing"])


_SCHEMA = Problem.model_json_schema()


_HEADERS = {
    429: {"Retry-After": {"description": "Seconds until another attempt is allowed.", "schema": {"type": "integer"}}}
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": _DESCRIPTIONS[status],
            "content": {PROBLEM_JSON: {"schema": _SCHEMA}},
            **({"headers": _HEADERS[status]} if status in _HEADERS else {}),
        }
        for status in statuses
    }
