"""Placeholder: being written."""

from flask import Blueprint

bp = Blueprint("errors", __name__)
