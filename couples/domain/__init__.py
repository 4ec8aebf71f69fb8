"""The pure core of a couples workshop session: plans, state, events, rules and views.

No web framework, database, clock or randomness here: callers pass the time in.
"""

from .events import (ERROR_CODES, Accepted, Completed, Effect, Event, Paused, Rejection, Resumed, Revealed,
                     SafetyConcern, StepChanged, StepFinished)
from .machine import apply, can_run_apart, is_complete, start
from .plan import (AgreeStep, CheckInStep, CheckQuestion, Option, Plan, PrivateAnswerStep, RatingItem, RatingStep,
                   ReadStep, Role, Scale, Step, TimerStep, TurnsStep, Viewer)
from .state import SessionState
from .view import view_for

__all__ = [
    "ERROR_CODES", "Accepted", "AgreeStep", "CheckInStep", "CheckQuestion", "Completed", "Effect", "Event",
    "Option", "Paused", "Plan", "PrivateAnswerStep", "RatingItem", "RatingStep", "ReadStep", "Rejection",
    "Resumed", "Revealed", "Role", "SafetyConcern", "Scale", "SessionState", "Step", "StepChanged", "StepFinished",
    "TimerStep", "TurnsStep", "Viewer", "apply", "can_run_apart", "is_complete", "start", "view_for",
]
