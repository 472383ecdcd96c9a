"""Pages people see: the counter screen, the checkout landings, and what they share (layout, sessions,
CSRF, languages). `install()` adds them all to the app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI

from comptoir.adapters.images import FileImageStore
from comptoir.config import Settings
from comptoir.web import account_pages, assets, board_pages, desk_pages, guards, pages, product_pages, shop_pages
from comptoir.web.sessions import PageSessions, SessionCodec

UPLOADS = ((product_pages.IMAGE_UPLOAD, product_pages.UPLOAD_LIMIT),)
"""The page routes that take a file, and the body size each accepts (the app's limit is for forms)."""


def install(app: FastAPI, settings: Settings, clock: Callable[[], datetime]) -> None:
    """The page routes, their static files, their error pages, and the session cookie's middleware."""
    app.include_router(pages.router)
    app.include_router(account_pages.router)
    app.include_router(board_pages.router)
    app.include_router(desk_pages.router)
    app.include_router(shop_pages.router)
    app.include_router(product_pages.router)
    app.state.product_images = FileImageStore(settings.data_dir)
    assets.install(app)
    guards.install_handlers(app)
    codec = SessionCodec(settings.jwt_secret.get_secret_value(), settings.page_session_idle_seconds)
    app.add_middleware(PageSessions, codec=codec, clock=clock, https=settings.public_url.startswith("https:"))
