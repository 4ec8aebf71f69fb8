"""One log line per request, in the usual form, with every secret in a URL redacted.

Invitation links (and, as they arrive, password-reset and calendar-feed links) carry their
token in the path; a log must never hold a working link. Any path segment or query value that
looks like a token (long and unpredictable) is replaced by ``[redacted]``.
"""

from __future__ import annotations

import logging
import re
import time

from flask import Flask, Response, g, request

log = logging.getLogger("couples.requests")
TOKEN = re.compile(r"[A-Za-z0-9_\-.~%]{20,}")
REDACTED = "[redacted]"


def redact(path: str, query: str = "") -> str:
    """``path?query`` with every token-like segment and query value redacted."""
    segments = "/".join(REDACTED if TOKEN.fullmatch(segment) else segment for segment in path.split("/"))
    if not query:
        return segments
    pairs = (pair.partition("=") for pair in query.split("&"))
    values = "&".join(f"{key}{sep}{REDACTED if TOKEN.fullmatch(value) else value}" for key, sep, value in pairs)
    return f"{segments}?{values}"


def init_app(app: Flask) -> None:
    """Log every request the app answers: address, method, redacted URL, status, size and time."""

    @app.before_request
    def _start_clock() -> None:
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response: Response) -> Response:
        elapsed_ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
        url = redact(request.path, request.query_string.decode("latin-1"))
        log.info('%s "%s %s" %s %s %.0fms', request.remote_addr or "-", request.method, url,
                 response.status_code, response.calculate_content_length() or "-", elapsed_ms)
        return response
