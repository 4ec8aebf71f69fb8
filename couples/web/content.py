"""The counselor's content pages: the library, the exercise builder, TOML import, composing a plan."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..content import CUSTOM_PLAN_PREFIX, ContentError, Exercise
from ..content.builder import (BUILDER_KINDS, EXERCISE_FIELDS, LANGUAGE_FIELDS, QUESTION_PARTS,
                               TRANSLATED_FIELDS, TRANSLATED_QUESTION_PARTS, ExerciseDraft, apply_action,
                               draft_from_form, draft_languages, field_of_problem, fields_of, new_step,
                               readable_location, translated, written_first_in)
from ..content.errors import N_, Expected
from ..i18n import language_names, shown_language
from ..content.parse import MAX_PLAN_EXERCISES, MAX_STEPS
from ..content.steps import COMMON_KEYS, KIND_KEYS
from ..forms import ALL_COUPLES, POSITION, ActionForm, ComposePlanForm, ExerciseForm, compose_plan_form
from ..models import CustomExercise, CustomPlan
from ..services import authoring, followups
from ..services.couples import all_couples_of
from ..services.plans import exercises_for, library, stored_exercise
from .auth import counselor_required

bp = Blueprint("content", __name__, url_prefix="/counselor/library")


def shown(exercise: Exercise | None, language: str) -> Exercise | None:
    """``exercise`` in ``language`` where it has a text in it, else as written (its ``language`` says which)."""
    return exercise if exercise is None else exercise.in_language(language) or exercise


@bp.get("/")
@counselor_required
def library_page():
    """Packaged exercises and plans, and the counselor's own, in the counselor's language where they have it;
    each exercise says the languages it is written in."""
    language = shown_language()
    own_exercises = [(row, stored_exercise(row.source)) for row in authoring.exercises_of(current_user)]
    exercises = exercises_for(current_user.id)
    packaged = library()
    return render_template(
        "content/library.html",
        language=language,
        language_names=language_names(),
        packaged_plans=sorted((spec.in_language(language) or spec for spec in packaged.plans.values()),
                              key=lambda spec: spec.minutes),
        packaged_exercises=[shown(exercise, language) for exercise in packaged.exercises.values()],
        own_exercises=[(row, exercise, shown(exercise, language)) for row, exercise in own_exercises],
        own_plans=authoring.plans_of(current_user),
        titles={exercise_id: shown(exercise, language).title for exercise_id, exercise in exercises.items()},
        languages_of={exercise_id: exercise.languages for exercise_id, exercise in exercises.items()},
        action_form=ActionForm(),
    )


@bp.route("/exercises/new", methods=["GET", "POST"])
@counselor_required
def new_exercise():
    """Import an exercise written in TOML; every problem is listed (numbered as a person counts) and the
    text is kept."""
    form = ExerciseForm()
    problems: list[ContentError] = []
    if request.method == "GET":
        form.source.data = authoring.EXAMPLES.get(current_user.language, authoring.EXAMPLE_EXERCISE)
    elif form.validate_on_submit():
        try:
            row = authoring.create_exercise(current_user, form.source.data)
        except authoring.AuthoringError as error:
            problems = error.problems
        else:
            flash(_("Saved your exercise “%(title)s”. You can use it in a plan now.", title=row.title))
            return redirect(url_for("content.library_page"))
    return render_template(
        "content/new_exercise.html",
        form=form,
        problems=[_readable(problem) for problem in problems],
        common_keys=COMMON_KEYS,
        kind_keys=KIND_KEYS,
        source_max=authoring.SOURCE_MAX,
    )


@bp.route("/plans/new", methods=["GET", "POST"])
@counselor_required
def compose_plan():
    """Choose exercises and their order with numbers (no dragging); the check-in always comes first."""
    return _plan_page(None)


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
@counselor_required
def edit_plan(plan_id: int):
    """Change one of the counselor's plans; sessions already started keep the version they started with."""
    return _plan_page(_own_plan(plan_id))


@bp.post("/plans/<int:plan_id>/retire")
@counselor_required
def retire_plan(plan_id: int):
    """Stop offering a plan for new use; sessions and summaries made with it stay as they are, and
    follow-ups already assigned with it still run it (the counselor is told how many)."""
    row = _own_plan(plan_id)
    if ActionForm().validate_on_submit():
        authoring.retire_plan(current_user, row)
        flash(_("Retired the plan “%(title)s”. It is no longer offered for new sessions or follow-ups.", title=row.title))
        pending = followups.still_to_start(f"{CUSTOM_PLAN_PREFIX}{row.id}")
        if pending:
            flash(ngettext("%(num)d follow-up assigned before still runs it as planned; change or cancel it on "
                           "its couple's follow-ups page.",
                           "%(num)d follow-ups assigned before still run it as planned; change or cancel them on "
                           "their couples' follow-ups pages.", pending))
    return redirect(url_for("content.library_page"))


def _own_plan(plan_id: int) -> CustomPlan:
    row = authoring.own_plan(current_user, plan_id)
    if row is None:
        abort(404)
    return row


def _plan_page(row: CustomPlan | None):
    retired = authoring.retired_exercise_ids(current_user) - set(row.exercise_ids if row else ())
    choices = [exercise for exercise in exercises_for(current_user.id).values()
               if exercise.id != authoring.CHECK_IN and exercise.id not in retired]
    form = compose_plan_form(all_couples_of(current_user), [exercise.id for exercise in choices])
    problems: list[ContentError] = []
    if request.method == "GET" and row is not None:
        _fill_plan_form(form, row)
    if request.method == "POST":
        valid = form.validate_on_submit()  # the CSRF token, title, couple and each position box
        problems = position_problems(form)
        if valid and not problems:
            try:
                couple_id = None if form.couple.data == ALL_COUPLES else int(form.couple.data)
                ids = [authoring.CHECK_IN, *ordered_exercise_ids(form)]
                saved = authoring.compose_plan(current_user, form.title.data, ids, couple_id, row,
                                               language=request.form.get("language", ""))
            except authoring.AuthoringError as error:
                problems = error.problems
            else:
                flash(_("Saved the plan “%(title)s”. It is offered when a session starts.", title=saved.title))
                return redirect(url_for("content.library_page"))
    language = shown_language()
    return render_template(
        "content/compose_plan.html",
        form=form,
        plan=row,
        problems=[_readable(problem) for problem in problems],
        check_in=shown(library().exercises[authoring.CHECK_IN], language),
        choices=[shown(exercise, language) for exercise in choices],
        languages_of={exercise.id: exercise.languages for exercise in choices},
        language_names=language_names(),
        plan_language=request.form.get("language") or (row.language if row else current_user.language),
        positions={exercise_id: field.raw_data[0] if field.raw_data else "" for exercise_id, field in form.positions()},
        position_max=MAX_PLAN_EXERCISES,
    )


def _fill_plan_form(form: ComposePlanForm, row: CustomPlan) -> None:
    """Put a stored plan into the composer's fields (the check-in, always first, has no box)."""
    form.title.data = row.title
    form.couple.data = str(row.couple_id) if row.couple_id is not None else ALL_COUPLES
    places = {exercise_id: place for place, exercise_id in enumerate(row.exercise_ids)}
    for exercise_id, field in form.positions():
        field.raw_data = [str(places[exercise_id])] if exercise_id in places else []


def position_problems(form: ComposePlanForm) -> list[ContentError]:
    """A problem for each position box holding anything but a whole number in range (or nothing),
    and for each position given to an exercise that is not offered (deleted from another tab)."""
    expected = Expected(N_("a whole number from 1 to %(most)s, or nothing to leave it out"), most=MAX_PLAN_EXERCISES)
    problems = [ContentError(authoring.PLAN_SOURCE, _("position of %(id)s", id=repr(exercise_id)), expected)
                for exercise_id, field in form.positions() if field.errors]
    offered = {field.name for _, field in form.positions()} | {POSITION + authoring.CHECK_IN}
    problems += [ContentError(authoring.PLAN_SOURCE, _("position of %(id)s", id=repr(key.removeprefix(POSITION))),
                              Expected(N_("the id of an existing exercise (there is no %(id)s)"),
                                       id=repr(key.removeprefix(POSITION))))
                 for key, value in request.form.items() if key.startswith(POSITION) and key not in offered and value.strip()]
    return problems


def ordered_exercise_ids(form: ComposePlanForm) -> list[str]:
    """The exercise ids given a position, in position order (ties keep page order); blanks are left out.

    The check-in is not among the form's positions: the caller always puts it first.
    """
    picked = [(field.data, index, exercise_id)
              for index, (exercise_id, field) in enumerate(form.positions()) if field.data is not None]
    return [exercise_id for _, _, exercise_id in sorted(picked)]


def _readable(problem: ContentError) -> dict[str, str]:
    """The problem in the page's language, with its field path as a person counts ("step 3, title" for
    ``steps[2].title``)."""
    return {"source": _(problem.source) if problem.source else "", "field": readable_location(problem.field, _),
            "expected": problem.words.translated(_)}


# -- the exercise builder -------------------------------------------------------------------------


@bp.route("/exercises/build", methods=["GET", "POST"])
@counselor_required
def build_exercise():
    """Make an exercise with forms, step by step; ``?from=<id>`` starts from a copy of a packaged one."""
    draft = None
    if request.method == "GET":
        draft = authoring.packaged_draft(request.args.get("from", ""))
        if draft is not None:
            draft = written_first_in(draft, current_user.language)
            draft.values["title"] = _("%(title)s (my copy)", title=draft.values["title"])
    return _builder_page(None, draft)


@bp.route("/exercises/<int:exercise_id>/edit", methods=["GET", "POST"])
@counselor_required
def edit_exercise(exercise_id: int):
    """Change one of the counselor's exercises; sessions already started keep the version they started with."""
    row = _own_exercise(exercise_id)
    return _builder_page(row, authoring.stored_draft(row) if request.method == "GET" else None)


@bp.post("/exercises/<int:exercise_id>/retire")
@counselor_required
def retire_exercise(exercise_id: int):
    """Take an exercise out of the plan composer; plans, sessions and summaries that use it keep it."""
    row = _own_exercise(exercise_id)
    if ActionForm().validate_on_submit():
        authoring.retire_exercise(current_user, row)
        flash(_("Retired the exercise “%(title)s”. New plans no longer offer it.", title=row.title))
    return redirect(url_for("content.library_page"))


@bp.get("/exercises/<int:exercise_id>/export.toml")
@counselor_required
def export_exercise(exercise_id: int):
    """The exercise as a TOML file, to keep or to share with another counselor."""
    row = _own_exercise(exercise_id)
    return Response(row.source, mimetype="application/toml",
                    headers={"Content-Disposition": f'attachment; filename="{row.slug}.toml"'})


def _own_exercise(exercise_id: int) -> CustomExercise:
    row = authoring.own_exercise(current_user, exercise_id)
    if row is None or row.retired_at is not None:
        abort(404)
    return row


def _builder_page(row: CustomExercise | None, draft: ExerciseDraft | None):
    """The builder: a GET shows ``draft`` (or a fresh one); a POST applies the pressed button to the
    posted draft (add, move, remove, preview, check, save). Nothing typed is ever dropped."""
    form = ActionForm()
    action = request.form.get("action", "check")
    focus, preview, problems = "", None, []
    if draft is None and request.method == "POST":
        draft = draft_from_form(request.form)
        if not form.validate_on_submit():
            abort(400)
        moved = apply_action(draft, action, request.form.get("new_kind", ""))
        focus = _focus_after(action, moved, draft)
        if action == "save" or action == "check" or action.startswith("preview-"):
            try:
                if action != "save":
                    authoring.checked_draft(current_user, draft, row)
                    focus = "checked" if action == "check" else focus
                else:
                    saved = authoring.save_draft(current_user, draft, row)
                    flash(_("Saved your exercise “%(title)s”. You can use it in a plan now.", title=saved.title))
                    return redirect(url_for("content.library_page"))
            except authoring.AuthoringError as error:
                problems = error.problems
                focus = "problems"
        if action.startswith("preview-"):
            preview = authoring.preview_of(draft, action.removeprefix("preview-"))
            focus = "preview-heading" if preview else focus
    if draft is None:
        draft = ExerciseDraft(values={"minutes": "10", "language": current_user.language})
        draft.steps.append(new_step(draft, "read"))
    placed = _placed(problems, draft)
    problems_at: dict[str, list[str]] = {}
    for problem in placed:
        problems_at.setdefault(problem["target"], []).append(problem["message"])
    return render_template(
        "content/builder.html", form=form, row=row, draft=draft, focus=focus, preview=preview,
        problems=placed, problems_at=problems_at, kinds=BUILDER_KINDS,
        question_parts=QUESTION_PARTS, exercise_fields=_exercise_fields(), language_fields=LANGUAGE_FIELDS,
        translated_fields=TRANSLATED_FIELDS, translated_question_parts=TRANSLATED_QUESTION_PARTS,
        other_language=_other_language_name(draft), max_steps=MAX_STEPS,
    )


def _other_language_name(draft: ExerciseDraft) -> str:
    """The name of the language a draft's translation fields are in (the one it is not written in)."""
    language, _other = draft_languages({**draft.values, "translation": "y"})
    return language_names()[_other or language]


def _focus_after(action: str, moved: int | None, draft: ExerciseDraft) -> str:
    """The id of the element to focus after a button (so keyboard users keep their place)."""
    if moved is None:
        return {"add": "add-step", "undo": ""}.get(action, "undo" if action.startswith("remove-") else "")
    if action == "add":
        return f"steps-{moved - 1}-title"
    if action.startswith("remove-"):
        return "undo"
    if action == "undo":
        return f"step-{moved}"
    return f"{action.partition('-')[0]}-{moved}"


def _exercise_fields() -> list[dict[str, Any]]:
    """The fields about the exercise as a whole (its languages come before them)."""
    labels = {
        "title": (_("Title"), _("What you and the partners call this exercise.")),
        "summary": (_("Summary"), _("One or two sentences: what the partners do and why.")),
        "minutes": (_("About how many minutes it takes"), _("1 to 180, at least the time its timers take.")),
        "roles": (_("Who does what"), _("E.g. “Each partner writes alone first; then you read each other's lists.”")),
    }
    return [{"name": name, "label": labels[name][0], "help": labels[name][1],
             "widget": "text" if name in ("summary", "roles") else "line"} for name in EXERCISE_FIELDS]


def _placed(problems: list[ContentError], draft: ExerciseDraft) -> list[dict[str, Any]]:
    """Each problem with where it goes (the field's id) and a message numbered as a person counts."""
    placed = []
    for problem in problems:
        index, name = field_of_problem(problem)
        if index is None:
            target = name or "steps-heading"
            label = _exercise_label(draft, name)
            where = _("The exercise")
        else:
            target = f"steps-{index}-{name}" if name else f"step-{index + 1}"
            label = _field_label(draft, index, name)
            where = _("Step %(number)s", number=index + 1)
        placed.append({"target": target, "message": _message(where, label, problem)})
    return placed


def _exercise_label(draft: ExerciseDraft, name: str) -> str:
    """What the exercise's field ``name`` is called on the page."""
    if name.endswith(TRANSLATION_SUFFIX):
        label = _exercise_label(draft, name.removesuffix(TRANSLATION_SUFFIX))
        return _("%(field)s, in %(language)s", field=label, language=_other_language_name(draft)) if label else ""
    labels = {f["name"]: f["label"] for f in _exercise_fields()} | {f.name: str(f.label) for f in LANGUAGE_FIELDS}
    return labels.get(name, "")


def _field_label(draft: ExerciseDraft, index: int, name: str) -> str:
    """What the field ``name`` of step ``index`` is called on the page (its twin: "…, in Spanish")."""
    if name.endswith(TRANSLATION_SUFFIX):
        label = _field_label(draft, index, name.removesuffix(TRANSLATION_SUFFIX))
        return _("%(field)s, in %(language)s", field=label, language=_other_language_name(draft)) if label else ""
    if name.startswith("q") and "-" in name:
        number, _sep, part = name[1:].partition("-")
        parts = dict(QUESTION_PARTS)
        return _("question %(number)s, %(part)s", number=int(number) + 1, part=str(parts.get(part, part)).lower())
    kind = draft.steps[index].kind if index < len(draft.steps) else ""
    fields = fields_of(kind)
    return str(next((f.label for f in fields if f.name == name), ""))


TRANSLATION_SUFFIX = translated("")


def _message(where: str, label: str, problem: ContentError) -> str:
    """One problem as the builder lists it: where, which field, what was expected (in the page's language)."""
    if problem.missing:
        return _("%(where)s: the %(field)s is missing.", where=where, field=(label or _("value")).lower())
    expected = problem.words.translated(_)
    if label:
        return _("%(where)s, %(field)s: expected %(expected)s.", where=where, field=label, expected=expected)
    return _("%(where)s: expected %(expected)s.", where=where, expected=expected)
