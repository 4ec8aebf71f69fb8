"""The one error type content problems are reported with."""

from __future__ import annotations


class ContentError(ValueError):
    """A content file (or counselor-authored exercise) that does not validate.

    ``source`` names the file (e.g. ``exercises/speaker-listener.toml``) or a
    label; ``field`` is a dotted path such as ``steps[2].scale.max`` (or
    ``file`` for problems with the file as a whole); ``expected`` says what was
    expected there.
    """

    def __init__(self, source: str, field: str, expected: str) -> None:
        self.source = source
        self.field = field
        self.expected = expected
        super().__init__(f"{source}: {field}: expected {expected}")

    def __reduce__(self):  # keep the three parts when pickled
        return (type(self), (self.source, self.field, self.expected))
