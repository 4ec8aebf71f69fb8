"""Public pages (landing, help, the neutral quick-exit page) and the security headers on every response."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, current_app, redirect, render_template, request
from flask_login import current_user

from ..models import as_utc
from .auth import home_url

bp = Blueprint("pages", __name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self' {socket_origin}",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
HSTS = "max-age=31536000"


def content_security_policy() -> str:
    """The strict CSP; sockets may connect to this app's own origin only (never any ws:/wss: host)."""
    socket_scheme = "wss" if request.scheme == "https" else "ws"
    return "; ".join(CONTENT_SECURITY_POLICY).format(socket_origin=f"{socket_scheme}://{request.host}")


@bp.after_app_request
def security_headers(response):
    """Strict CSP (no inline script), no MIME sniffing, and no Referer: invitation tokens live in URLs.
    Over HTTPS (secure cookies on), HSTS keeps browsers from ever falling back to plain HTTP."""
    response.headers["Content-Security-Policy"] = content_security_policy()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static":
        # Pages can be private; keep them out of caches and the back-forward cache after a quick exit.
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_filter("local_date")
def local_date(moment: datetime | None, timezone: str) -> str:
    """``moment`` as a date in ``timezone`` (a couple's IANA zone), e.g. "3 Dec 2026"."""
    if moment is None:
        return ""
    local = as_utc(moment).astimezone(ZoneInfo(timezone))
    return f"{local.day} {local:%b %Y}"


@bp.route("/")
def index():
    """What the app is, with a way in; people already logged in go straight to their home."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return render_template("pages/index.html")


@bp.route("/help")
def help():
    """Crisis resources, and what this app is not."""
    return render_template("pages/help.html", resources=current_app.config["CRISIS_RESOURCES"])


@bp.route("/weather")
def weather():
    """The neutral page quick exit leads to: nothing on it mentions this app."""
    return render_template("pages/weather.html")
