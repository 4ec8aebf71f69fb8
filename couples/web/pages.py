"""Public pages (landing, help, the neutral quick-exit page), the visitor's choice of language, the
security headers on every response, and the template filters that show moments and numbers in the
reader's language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import get_datetime_format
from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import format_date, format_decimal, format_time, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from ..config import CrisisLine, lines_for_language
from ..i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_SECONDS, LANGUAGES, shown_language
from ..models import as_utc
from ..services import accounts
from .auth import _local_path, home_url

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


# -- moments and numbers in the reader's language --------------------------------------------


def _in_zone(moment: datetime | str, timezone: str) -> datetime:
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return as_utc(when).astimezone(ZoneInfo(timezone))


@bp.app_template_filter("local_date")
def local_date(moment: datetime | None, timezone: str) -> str:
    """``moment`` as a date in ``timezone`` (a couple's IANA zone), written the reader's way:
    "Dec 3, 2026" in English, "3 dic 2026" in Spanish."""
    if moment is None:
        return ""
    return format_date(_in_zone(moment, timezone).date(), "medium")


@bp.app_template_filter("local_time")
def local_time(moment: datetime | None, timezone: str) -> str:
    """``moment`` as a time of day in ``timezone``, the reader's way ("2:05 PM", "14:05")."""
    if moment is None:
        return ""
    return format_time(_in_zone(moment, timezone).time(), "short", rebase=False)


@bp.app_template_filter("local_moment")
def local_moment(moment: datetime | str | None, timezone: str) -> str:
    """A moment (a datetime or ISO 8601 text) as date and time in ``timezone``, joined the way the
    reader's language joins them ("Dec 3, 2026, 2:05 PM", "3 dic 2026, 14:05")."""
    if not moment:
        return ""
    local = _in_zone(moment, timezone)
    joined = get_datetime_format("medium", locale=get_locale())
    return joined.replace("'", "").format(local_time(local, timezone), local_date(local, timezone))


@bp.app_template_filter("local_number")
def local_number(number: float | int) -> str:
    """A number the reader's way ("1,234.5" in English, "1234,5" in Spanish)."""
    return format_decimal(number)


# -- crisis lines in the reader's language ---------------------------------------------------


def crisis_lines() -> list[tuple[str, str, str]]:
    """The crisis lines as ``(label, number, link)`` for this reader: those answering in their language
    first; the shipped lines' names translated, lines an operator configured named as written."""
    lines: tuple[CrisisLine, ...] = current_app.config["CRISIS_LINES"]
    return [(_(line.label), line.number, line.link) for line in lines_for_language(lines, shown_language())]


@bp.app_context_processor
def language_context() -> dict[str, object]:
    """Every template may show the crisis lines (``crisis_lines()``) and the language switch
    (``languages``, ``shown_language``)."""
    return {"crisis_lines": crisis_lines, "languages": LANGUAGES, "shown_language": shown_language}


@bp.post("/language")
def set_language():
    """A visitor's choice of language from the header: remembered in a cookie for a year (it wins over
    the browser's); for someone logged in it is their account's language. Back to the same page."""
    language = request.form.get("language", "")
    back = _local_path(request.form.get("next")) or url_for("pages.index")
    response = redirect(back)
    if language not in LANGUAGES:
        return response
    if current_user.is_authenticated:
        accounts.set_language(current_user, language)
    response.set_cookie(LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_SECONDS, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


@bp.route("/")
def index():
    """What the app is, with a way in; people already logged in go straight to their home."""
    if current_user.is_authenticated:
        return redirect(home_url(current_user))
    return render_template("pages/index.html")


@bp.route("/help")
def help():
    """Crisis resources, and what this app is not."""
    return render_template("pages/help.html", resources=crisis_lines())


@bp.route("/weather")
def weather():
    """The neutral page quick exit leads to: nothing on it mentions this app."""
    return render_template("pages/weather.html")
