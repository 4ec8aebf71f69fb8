"""Workshop content: the packaged library of signs, exercises and plans, and its loader.

Content lives in TOML files under ``library/`` (``signs.toml``,
``exercises/*.toml``, ``plans/*.toml``). The loader validates everything and
turns it into the step objects of :mod:`couples.domain.plan`::

    library = load_library()
    plan = build_plan(library.plans["reconnection-workshop"], library.exercises)

Counselor-authored exercises stored in the database go through the same
validation with :func:`parse_exercise` (or :func:`parse_exercise_toml`).
"""

from .errors import ContentError
from .loader import CUSTOM_PLAN_PREFIX, PACKAGED_FOLDER, build_plan, check_folder, load_library
from .model import Exercise, Library, PlanSpec, Signs
from .parse import packaged_signs, parse_exercise, parse_exercise_toml, parse_plan

__all__ = [
    "CUSTOM_PLAN_PREFIX",
    "PACKAGED_FOLDER",
    "ContentError",
    "Exercise",
    "Library",
    "PlanSpec",
    "Signs",
    "build_plan",
    "check_folder",
    "load_library",
    "packaged_signs",
    "parse_exercise",
    "parse_exercise_toml",
    "parse_plan",
]
