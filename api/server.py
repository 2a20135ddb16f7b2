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


def _raw_431(limit: int) -> bytes:
    message = (
        f"The request line and headers pass {limit} bytes (COACH_MAX_HEADER_BYTES and the "
        "request line); send shorter headers."
    )
    body = json.dumps(error_body("headers_too_large", message)).encode()
    return _raw_400(body).replace(b"400 Bad Request", b"431 Request Header Fields Too Large", 1)


def _protocol() -> type[Any]:
    """The fast httptools protocol when installed (uvicorn's own choice), with JSON 400s,
    and a request head cut off at ``h11_max_incomplete_event_size`` bytes as h11 does, so an
    endless header never sits in memory."""
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return JSONErrorH11Protocol

    class JSONErrorHttpToolsProtocol(HttpToolsProtocol):
        head_bytes = 0  # read so far of the request head, while in_head
        in_head = True
        refused = False  # answered 431: what still arrives is read and dropped, then closed

        def data_received(self, data: bytes) -> None:
            limit = self.config.h11_max_incomplete_event_size
            if self.refused:
                return
            if not self.in_head or limit is None or self.head_bytes + len(data) <= limit:
                self.head_bytes += len(data)
                super().data_received(data)
                return
            allowed = limit - self.head_bytes  # the chunk may hold the body after the head
            self.head_bytes = limit
            super().data_received(data[:allowed])
            if not self.in_head:
                super().data_received(data[allowed:])
                return
            self.refused = True
            self.transport.write(_raw_431(limit))
            # Close after a moment, not at once: closing with unread input resets the
            # connection, and the client would never read the 431.
            self.loop.call_later(LINGER_SECONDS, self.transport.close)

        def on_message_begin(self) -> None:
            self.in_head, self.head_bytes = True, 0
            super().on_message_begin()

        def on_headers_complete(self) -> None:
            self.in_head = False
            super().on_headers_complete()

        def send_400_response(self, msg: str) -> None:
            self.transport.write(_raw_400(bad_request_body(msg)))
            self.transport.close()

    return JSONErrorHttpToolsProtocol


LINGER_SECONDS = 1.0  # a refused client's input is read and dropped this long before closing
REQUEST_LINE_BYTES = 8192  # what a request head may hold beyond its headers' names and values


def server_config(
    app: Any,
    host: str = "127.0.0.1",
    port: int = 0,
    max_header_bytes: int = 16_384,
    **options: Any,
) -> uvicorn.Config:
    """Uvicorn's configuration for the coach: no forwarded headers, JSON errors only, and
    request heads over ``max_header_bytes`` (plus the request line) cut off while read."""
    settings: dict[str, Any] = {
        "proxy_headers": False,  # the app reads X-Forwarded-For from COACH_TRUSTED_PROXIES only
        "forwarded_allow_ips": [],
        "server_header": False,
        "http": _protocol(),
        "log_level": "info",
        "h11_max_incomplete_event_size": max_header_bytes + REQUEST_LINE_BYTES,
    }
    return uvicorn.Config(app, host=host, port=port, **(settings | options))
