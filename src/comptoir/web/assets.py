"""The pages' static files at /static, with cache headers.

Vendored libraries (htmx) change only when re-vendored with a new version: browsers keep them a week.
Our own stylesheet and scripts change with comptoir: browsers keep them but ask again each time,
and get a 304 while the file is unchanged (StaticFiles sends ETag and Last-Modified).
"""

from __future__ import annotations

import os
from os import PathLike
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import Response
from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
VENDOR_CACHE = "public, max-age=604800"
OWN_CACHE = "no-cache"


class CachedStaticFiles(StaticFiles):
    def file_response(
        self, full_path: PathLike[str] | str, stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        vendored = Path(full_path).resolve().is_relative_to((STATIC / "vendor").resolve())
        response.headers["cache-control"] = VENDOR_CACHE if vendored else OWN_CACHE
        return response


def install(app: FastAPI) -> None:
    app.mount("/static", CachedStaticFiles(directory=STATIC), name="static")
