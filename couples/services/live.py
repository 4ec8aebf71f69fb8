"""Placeholder: the live-session service is being written."""
