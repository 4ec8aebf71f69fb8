"""Load benchmark for the live workshop: ``.venv/bin/python -m bench.run --help``."""
