"""Command-line commands (flask --app couples ...)."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the commands to ``app``."""
