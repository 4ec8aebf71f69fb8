"""The counselor's content pages: the library, writing an exercise, composing a plan."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..content import ContentError
from ..content.parse import MAX_PLAN_EXERCISES
from ..content.steps import COMMON_KEYS, KIND_KEYS
from ..forms import ALL_COUPLES, POSITION, ComposePlanForm, ExerciseForm, compose_plan_form
from ..services import authoring
from ..services.couples import all_couples_of
from ..services.plans import exercises_for, library, stored_exercise
from .auth import counselor_required

bp = Blueprint("content", __name__, url_prefix="/counselor/library")


@bp.get("/")
@counselor_required
def library_page():
    """Packaged exercises and plans, and the counselor's own."""
    own_exercises = [(row, stored_exercise(row.source)) for row in authoring.exercises_of(current_user)]
    return render_template(
        "content/library.html",
        packaged=library(),
        own_exercises=own_exercises,
        own_plans=authoring.plans_of(current_user),
        exercises=exercises_for(current_user.id),
    )


@bp.route("/exercises/new", methods=["GET", "POST"])
@counselor_required
def new_exercise():
    """Write an exercise in TOML; every problem is listed and the text is kept."""
    form = ExerciseForm()
    problems: list[ContentError] = []
    if request.method == "GET":
        form.source.data = authoring.EXAMPLE_EXERCISE
    elif form.validate_on_submit():
        try:
            row = authoring.create_exercise(current_user, form.source.data)
        except authoring.AuthoringError as error:
            problems = error.problems
        else:
            flash(f"Saved your exercise “{row.title}”. You can use it in a plan now.")
            return redirect(url_for("content.library_page"))
    return render_template(
        "content/new_exercise.html",
        form=form,
        problems=problems,
        common_keys=COMMON_KEYS,
        kind_keys=KIND_KEYS,
        source_max=authoring.SOURCE_MAX,
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@counselor_required
def compose_plan():
    """Choose exercises and their order with numbers (no dragging); the check-in always comes first."""
    choices = [exercise for exercise in exercises_for(current_user.id).values() if exercise.id != authoring.CHECK_IN]
    form = compose_plan_form(all_couples_of(current_user), [exercise.id for exercise in choices])
    problems: list[ContentError] = []
    if request.method == "POST":
        valid = form.validate_on_submit()  # the CSRF token, title, couple and each position box
        problems = position_problems(form)
        if valid and not problems:
            try:
                couple_id = None if form.couple.data == ALL_COUPLES else int(form.couple.data)
                ids = [authoring.CHECK_IN, *ordered_exercise_ids(form)]
                row = authoring.compose_plan(current_user, form.title.data, ids, couple_id)
            except authoring.AuthoringError as error:
                problems = error.problems
            else:
                flash(f"Saved the plan “{row.title}”. It is offered when a session starts.")
                return redirect(url_for("content.library_page"))
    return render_template(
        "content/compose_plan.html",
        form=form,
        problems=problems,
        check_in=library().exercises[authoring.CHECK_IN],
        choices=choices,
        positions={exercise_id: field.raw_data[0] if field.raw_data else "" for exercise_id, field in form.positions()},
        position_max=MAX_PLAN_EXERCISES,
    )


def position_problems(form: ComposePlanForm) -> list[ContentError]:
    """A problem for each position box holding anything but a whole number in range (or nothing),
    and for each position given to an exercise that is not offered (deleted from another tab)."""
    expected = f"a whole number from 1 to {MAX_PLAN_EXERCISES}, or nothing to leave it out"
    problems = [ContentError(authoring.PLAN_SOURCE, f"position of {exercise_id!r}", expected)
                for exercise_id, field in form.positions() if field.errors]
    offered = {field.name for _, field in form.positions()} | {POSITION + authoring.CHECK_IN}
    problems += [ContentError(authoring.PLAN_SOURCE, f"position of {key.removeprefix(POSITION)!r}",
                              f"the id of an existing exercise (there is no {key.removeprefix(POSITION)!r})")
                 for key, value in request.form.items() if key.startswith(POSITION) and key not in offered and value.strip()]
    return problems


def ordered_exercise_ids(form: ComposePlanForm) -> list[str]:
    """The exercise ids given a position, in position order (ties keep page order); blanks are left out.

    The check-in is not among the form's positions: the caller always puts it first.
    """
    picked = [(field.data, index, exercise_id)
              for index, (exercise_id, field) in enumerate(form.positions()) if field.data is not None]
    return [exercise_id for _, _, exercise_id in sorted(picked)]
