"""Friendly error pages, or JSON for clients that ask for it, in the reader's language."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: (_l("Something about that request didn't work"), _l("Please go back and try again.")),
    403: (_l("Not available"), _l("This page isn't available to you.")),
    404: (_l("Page not found"), _l("The page may have moved, or the link may be incomplete.")),
    405: (_l("That didn't work"), _l("This page can't be used that way. Please go back and try again.")),
    410: (_l("This is no longer available"), _l("Ask the person who sent you the link for a new one.")),
    413: (_l("That was too much at once"), _l("Please send something shorter.")),
    429: (_l("Please wait a moment"), _l("There were too many attempts in a short time. Wait a minute, then try again.")),
    500: (_l("Something went wrong on our side"), _l("Please try again in a moment. Nothing you did caused this.")),
}
CSRF_MESSAGE = (_l("The form expired, please try again"), _l("Go back, reload the page, and send the form again."))


def wants_json() -> bool:
    """Whether the client prefers JSON to HTML (API and socket clients do; browsers don't)."""
    accepted = request.accept_mimetypes
    return accepted["application/json"] > accepted["text/html"]


def error_response(status: int, title: str, message: str) -> Response:
    """The error as JSON or as the friendly page, with ``status``."""
    title, message = str(title), str(message)  # translated now, in the reader's language
    if wants_json():
        return make_response(jsonify(error=title, message=message, status=status), status)
    return make_response(render_template("errors/error.html", status=status, title=title, message=message), status)


@bp.app_errorhandler(CSRFError)
def csrf_error(_error: CSRFError) -> Response:
    return error_response(400, *CSRF_MESSAGE)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException) -> HTTPException | Response:
    status = error.code or 500
    if status not in MESSAGES:
        return error
    response = error_response(status, *MESSAGES[status])
    for name, value in error.get_headers():  # e.g. Allow on a 405, Retry-After on a 429
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


@bp.app_errorhandler(InternalServerError)
def internal_error(_error: InternalServerError) -> Response:
    db.session.rollback()
    return error_response(500, *MESSAGES[500])
