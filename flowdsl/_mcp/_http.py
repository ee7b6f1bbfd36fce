"""Streamable HTTP on 127.0.0.1 with a bearer token (``flowdsl mcp --http PORT``).

The token is checked by the SDK's own bearer middleware (a ``TokenVerifier`` that
compares in constant time): a request without it, or with another, gets 401. The token
comes from ``$FLOWDSL_MCP_TOKEN`` or is generated and printed once on stderr.
"""

from __future__ import annotations

import hmac
import os
import secrets
import socket
import sys
from typing import Any

import uvicorn
from mcp.server.auth.provider import AccessToken
from mcp.server.auth.settings import AuthSettings
from pydantic import AnyHttpUrl

from ..errors import UsageError
from ._server import build_server
from ._service import Service

__all__ = ["MIN_TOKEN_CHARS", "TOKEN_ENV", "StaticToken", "bind", "serve_http"]

TOKEN_ENV = "FLOWDSL_MCP_TOKEN"
MIN_TOKEN_CHARS = 16
HOST = "127.0.0.1"


class StaticToken:
    """The SDK's ``TokenVerifier`` for one shared secret."""

    def __init__(self, token: str) -> None:
        self._token = token.encode("utf-8")

    async def verify_token(self, token: str) -> AccessToken | None:
        if hmac.compare_digest(token.encode("utf-8", "surrogatepass"), self._token):
            return AccessToken(token=token, client_id="flowdsl", scopes=[])
        return None


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:``port`` (0: any free port).

    Raises:
        UsageError: the port cannot be bound (in use, not allowed).
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as exc:
        sock.close()
        raise UsageError(f"--http {port}: cannot listen on {HOST}:{port} ({exc.strerror})"
                         ) from None
    sock.listen(128)
    return sock


def token_from_env() -> tuple[str, bool]:
    """The bearer token and whether it was generated here (then it is printed)."""
    token = os.environ.get(TOKEN_ENV)
    if token is None:
        return secrets.token_urlsafe(32), True
    if len(token) < MIN_TOKEN_CHARS or not token.isprintable() or " " in token:
        raise UsageError(f"${TOKEN_ENV} must be at least {MIN_TOKEN_CHARS} printable "
                         "characters without spaces")
    return token, False


def auth_for(port: int, token: str) -> dict[str, Any]:
    """The SDK's auth settings: this server is the resource; the token is static."""
    base = f"http://{HOST}:{port}"
    return {"auth": AuthSettings(issuer_url=AnyHttpUrl(base),
                                 resource_server_url=AnyHttpUrl(f"{base}/mcp"),
                                 validate_token_resource=False),
            "token_verifier": StaticToken(token)}


async def serve_http(service: Service, sock: socket.socket, token: str, *,
                     announce: bool) -> None:
    """Serve MCP on ``sock`` until cancelled; ``announce``: print the URL and token."""
    port = sock.getsockname()[1]
    server = build_server(service, **auth_for(port, token))
    app = server.streamable_http_app(host=HOST)
    url = f"http://{HOST}:{port}/mcp"
    if announce:
        print(f"flowdsl mcp: listening on {url}; bearer token {token} (shown once; set "
              f"${TOKEN_ENV} to choose it)", file=sys.stderr, flush=True)
    else:
        print(f"flowdsl mcp: listening on {url} (bearer token from ${TOKEN_ENV})",
              file=sys.stderr, flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False)
    await uvicorn.Server(config).serve(sockets=[sock])
