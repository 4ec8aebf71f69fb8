"""Placeholder: being written."""

from flask import Blueprint

bp = Blueprint("counselor", __name__)
