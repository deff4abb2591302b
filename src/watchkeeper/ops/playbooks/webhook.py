"""The webhook step's HTTP call, and the allow-list that says which URLs it may call.

An allow-list entry is a URL prefix: a URL is allowed when its scheme, host and port
equal the entry's and its path is the entry's path or below it
(``https://hooks.example.com/soc/`` allows ``https://hooks.example.com/soc/cases``, not
``https://hooks.example.com/socks`` nor ``http://hooks.example.com/soc/``). Nothing
else is called: loopback included (tests put ``http://127.0.0.1:PORT/`` on the list).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from urllib.parse import urlsplit

import httpx

from watchkeeper.cases.views import JsonValue

MAX_ERROR = 300


class WebhookError(Exception):
    """A webhook call failed (refused by the allow-list, unreachable, or not 2xx)."""


def _origin(url: str) -> tuple[str, str, int | None, str]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme.lower(), (parts.hostname or "").lower(), port, parts.path or "/"


def allowed(url: str, prefixes: Sequence[str]) -> bool:
    """Whether `url` is below one of `prefixes` (see the module docstring)."""
    try:
        scheme, host, port, path = _origin(url)
    except ValueError:
        return False
    for prefix in prefixes:
        try:
            p_scheme, p_host, p_port, p_path = _origin(prefix)
        except ValueError:
            continue
        if (scheme, host, port) != (p_scheme, p_host, p_port):
            continue
        base = p_path if p_path.endswith("/") else p_path + "/"
        if path == p_path or path.startswith(base) or p_path == "/":
            return True
    return False


def post(url: str, body: Mapping[str, JsonValue], *, allow: Sequence[str],
         timeout: timedelta, headers: Mapping[str, str] | None = None,
         transport: httpx.BaseTransport | None = None) -> int:
    """POST `body` as JSON; the response's status code (2xx), else `WebhookError`."""
    if not allowed(url, allow):
        raise WebhookError(f"{url} is not on [playbooks] webhook_allow")
    try:
        with httpx.Client(timeout=timeout.total_seconds(), follow_redirects=False,
                          transport=transport) as client:
            answer = client.post(url, json=dict(body), headers=dict(headers or {}))
    except httpx.HTTPError as exc:
        raise WebhookError(f"{url}: {type(exc).__name__}: {exc}"[:MAX_ERROR]) from None
    if not 200 <= answer.status_code < 300:
        raise WebhookError(f"{url} answered HTTP {answer.status_code}: "
                           f"{' '.join(answer.text.split())[:120]}"[:MAX_ERROR])
    return answer.status_code


__all__ = ["WebhookError", "allowed", "post"]
