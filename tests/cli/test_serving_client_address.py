"""`comptoir serve` leaves X-Forwarded-For to the app, which trusts it only from COMPTOIR_TRUSTED_PROXIES."""

from __future__ import annotations

import socket

import pytest
import uvicorn

from comptoir import serving


def test_the_servers_do_not_rewrite_the_client_address_from_proxy_headers(monkeypatch: pytest.MonkeyPatch) -> None:
    # given the servers `run_servers` would start, caught before they listen
    started: list[uvicorn.Server] = []
    monkeypatch.setattr(serving, "_serve_all", lambda pairs, _stopping: started.extend(s for _, s in pairs))

    async def app(scope: object, receive: object, send: object) -> None: ...

    # when the shop is served
    with socket.socket() as sock:
        serving.run_servers([serving.ServerSpec("shop", app, sock)])
    # then uvicorn does not believe X-Forwarded-For itself (it would from 127.0.0.1 by default)
    assert [server.config.proxy_headers for server in started] == [False]
