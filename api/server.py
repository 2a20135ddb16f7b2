"""Running the app under uvicorn: the options ``coach serve`` and the tests share.

Uvicorn would believe ``X-Forwarded-For`` from loopback and answer a malformed request
(a request line over its limit, say) in plain text; here the app alone decides whom to
believe (``COACH_TRUSTED_PROXIES``) and every error keeps the JSON shape.
"""

from __future__ import annotations

import json
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.errors import error_body

BAD_REQUEST = (
    "The server could not read the HTTP request ({reason}). Check the request line and "
    "headers: keep the URL and the headers short (a few KB), and put long text in a JSON body."
)


def bad_request_body(reason: str) -> bytes:
    message = BAD_REQUEST.format(reason=reason.rstrip(".") or "malformed")
    return json.dumps(error_body("bad_request", message)).encode()


def _raw_400(body: bytes) -> bytes:
    return b"".join(
        [
            b"HTTP/1.1 400 Bad Request\r\n",
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n",
            b"\r\n",
            body,
        ]
    )


class JSONErrorH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, answering unreadable requests with the JSON error shape."""

    def send_400_response(self, msg: str) -> None:
        body = bad_request_body(msg)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode("ascii")),
            (b"connection", b"close"),
        ]
        for event in (
            h11.Response(status_code=400, headers=headers, reason=b"Bad Request"),
            h11.Data(data=body),
            h11.EndOfMessage(),
        ):
            self.transport.write(self.conn.send(event) or b"")
        self.transport.close()


def _protocol() -> type[Any]:
    """The fast httptools protocol when installed (uvicorn's own choice), with JSON 400s."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return JSONErrorH11Protocol

    class JSONErrorHttpToolsProtocol(HttpToolsProtocol):
        def send_400_response(self, msg: str) -> None:
            self.transport.write(_raw_400(bad_request_body(msg)))
            self.transport.close()

    return JSONErrorHttpToolsProtocol


def server_config(
    app: Any, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> uvicorn.Config:
    """Uvicorn's configuration for the coach: no forwarded headers, JSON errors only."""
    settings: dict[str, Any] = {
        "proxy_headers": False,  # the app reads X-Forwarded-For from COACH_TRUSTED_PROXIES only
        "forwarded_allow_ips": [],
        "server_header": False,
        "http": _protocol(),
        "log_level": "info",
    }
    return uvicorn.Config(app, host=host, port=port, **(settings | options))
