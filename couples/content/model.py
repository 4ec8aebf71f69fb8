"""What the content library holds once loaded and validated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from couples.domain.plan import RatingItem, Step


def translation(translations: tuple[tuple[str, Any], ...], language: str) -> Any:
    """The entry of ``translations`` (``(language, value)`` pairs) for ``language``, or None."""
    return next((value for code, value in translations if code == language), None)


@dataclass(frozen=True)
class Signs:
    """The shared lists of signs a rating step can draw its items from.

    ``language`` is the language of its texts; ``translations`` hold the same signs (same ids)
    in each other language the file declares.
    """

    relationship: tuple[RatingItem, ...] = ()
    personal: tuple[RatingItem, ...] = ()
    language: str = "en"
    translations: tuple[tuple[str, Signs], ...] = ()

    def in_language(self, language: str) -> Signs | None:
        """These signs in ``language``, or None when they have no text in it."""
        return self if language == self.language else translation(self.translations, language)


# Passed as ``signs`` while checking a folder whose signs.toml failed: rating
# steps that draw on it are not reported again (the signs.toml problem already is).
UNAVAILABLE_SIGNS = Signs()


@dataclass(frozen=True)
class Exercise:
    """One exercise: a titled, timed run of steps with a note on who does what.

    ``language`` is the language its texts are written in; ``translations`` hold the same exercise
    (same ids and settings, no translations of its own) in each other language it declares.
    """

    id: str
    title: str
    summary: str
    minutes: int
    roles: str
    steps: tuple[Step, ...]
    language: str = "en"
    translations: tuple[tuple[str, Exercise], ...] = ()

    @property
    def languages(self) -> tuple[str, ...]:
        """Every language the exercise can be shown in, its own first."""
        return (self.language, *(code for code, _ in self.translations))

    def in_language(self, language: str) -> Exercise | None:
        """The exercise in ``language``, or None when it has no text in it."""
        return self if language == self.language else translation(self.translations, language)

    def has_check_in(self) -> bool:
        return any(step.kind == "check_in" for step in self.steps)


@dataclass(frozen=True)
class PlanSpec:
    """A plan as written: exercise ids in order, before being flattened into steps.

    ``language`` and ``translations`` as for :class:`Exercise` (only the title and description differ).
    """

    id: str
    title: str
    description: str
    minutes: int
    exercise_ids: tuple[str, ...]
    language: str = "en"
    translations: tuple[tuple[str, PlanSpec], ...] = ()

    def in_language(self, language: str) -> PlanSpec | None:
        """The plan's texts in ``language``, or None when it has none in it."""
        return self if language == self.language else translation(self.translations, language)


@dataclass(frozen=True)
class Library:
    """Everything in a content folder, validated. Mappings are read-only, keyed by id."""

    signs: Signs
    exercises: Mapping[str, Exercise]
    plans: Mapping[str, PlanSpec]
