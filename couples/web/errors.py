"""Friendly error pages, or JSON for clients that ask for it."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from ..extensions import db

bp = Blueprint("errors", __name__)

MESSAGES = {
    400: ("Something about that request didn't work", "Please go back and try again."),
    403: ("Not available", "This page isn't available to you."),
    404: ("Page not found", "The page may have moved, or the link may be incomplete."),
    405: ("That didn't work", "This page can't be used that way. Please go back and try again."),
    410: ("This is no longer available", "Ask the person who sent you the link for a new one."),
    413: ("That was too much at once", "Please send something shorter."),
    429: ("Please wait a moment", "There were too many attempts in a short time. Wait a minute, then try again."),
    500: ("Something went wrong on our side", "Please try again in a moment. Nothing you did caused this."),
}
CSRF_MESSAGE = ("The form expired, please try again", "Go back, reload the page, and send the form again.")


def wants_json() -> bool:
    """Whether the client prefers JSON to HTML (API and socket clients do; browsers don't)."""
    accepted = request.accept_mimetypes
    return accepted["application/json"] > accepted["text/html"]


def error_response(status: int, title: str, message: str) -> Response:
    """The error as JSON or as the friendly page, with ``status``."""
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
