"""Turning one ``[[steps]]`` table into the matching :mod:`couples.domain.plan` step.

Each step kind is written down once here, in :data:`CONTENT_KINDS`: the keys its table may
have besides the common ones, and its parser. The kinds are those of the domain's registry, :data:`couples.domain.kinds.KINDS`
(``tests/content/test_step_kinds.py`` checks that every layer has one entry per kind).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from couples.domain.plan import (
    AgreeStep,
    CheckInStep,
    CheckQuestion,
    Option,
    PrivateAnswerStep,
    RatingItem,
    RatingStep,
    ReadStep,
    Scale,
    Step,
    TimerStep,
    TurnsStep,
)

from .errors import N_, Expected
from .model import UNAVAILABLE_SIGNS, Signs
from .schema import (
    BODY_MAX,
    HINT_MAX,
    LABEL_MAX,
    PROMPT_MAX,
    TITLE_MAX,
    Table,
    first_unique_problem,
    plain_text_problem,
)

COMMON_KEYS = ("id", "kind", "title", "body")

SIGN_SOURCES = ("signs.relationship", "signs.personal")

MAX_OPTIONS = 24
MAX_ITEMS = 30
MAX_QUESTIONS = 10
MAX_TURNS = 12
SCALE_LIMIT = 10  # scale ends lie within -10..10
MAX_SCALE_POINTS = 11
MAX_ANSWER_LENGTH = 10000  # a private answer or a turn; the socket's message limit is derived from these
MAX_NOTE_LENGTH = 2000
MAX_PROPOSAL_LENGTH = 500
MAX_PICKS = 10


def parse_step(table: Table, signs: Signs | None) -> Step:
    """The step described by ``table``; raises ContentError on the first problem."""
    kind = table.one_of("kind", tuple(CONTENT_KINDS))
    table.check_keys(COMMON_KEYS + CONTENT_KINDS[kind].keys)
    common = {
        "id": table.ident("id"),
        "title": table.text("title", TITLE_MAX, single_line=True),
        "body": table.text("body", BODY_MAX, required=False),
    }
    return CONTENT_KINDS[kind].parse(table, common, signs)


# -- pieces shared by several kinds ----------------------------------------------


def parse_options(table: Table, key: str, lowest: int, what: str = N_("options")) -> tuple[Option, ...]:
    entries = table.tables(key, lowest, MAX_OPTIONS, required=lowest > 0, what=what)
    options = []
    for entry in entries:
        entry.check_keys(("id", "label"))
        options.append(Option(id=entry.ident("id"), label=entry.text("label", LABEL_MAX, single_line=True)))
    first_unique_problem(entries, what=N_("option"))
    return tuple(options)


def parse_scale(table: Table) -> Scale:
    scale = table.table("scale")
    if scale is None:
        return Scale()
    scale.check_keys(("min", "max", "labels"))
    low = scale.integer("min", -SCALE_LIMIT, SCALE_LIMIT, default=Scale.min)
    high = scale.integer("max", -SCALE_LIMIT, SCALE_LIMIT, default=Scale.max)
    if high <= low:
        scale.fail("max", Expected(N_("an integer greater than min (%(low)s) and at most %(limit)s"), low=low,
                                   limit=SCALE_LIMIT))
    if high - low + 1 > MAX_SCALE_POINTS:
        scale.fail("max", Expected(N_("at most %(points)s points on the scale (max at most %(highest)s)"),
                                   points=MAX_SCALE_POINTS, highest=low + MAX_SCALE_POINTS - 1))
    key = scale.text_key("labels")
    labels = scale.strings(key, MAX_SCALE_POINTS, default=[], what=N_("labels"), item=N_("a label"))
    if labels and len(labels) != high - low + 1:
        scale.fail(key, Expected(N_("one label per point on the scale (%(count)s labels), or none"), count=high - low + 1))
    for index in range(len(labels)):
        labels[index] = _label_at(scale, key, index)
    return Scale(min=low, max=high, labels=tuple(labels))


def _label_at(table: Table, key: str, index: int) -> str:
    value = table.data[key][index]
    problem = plain_text_problem(value, LABEL_MAX, required=True, single_line=True)
    if problem:
        table.fail(f"{key}[{index}]", problem)
    return value.strip()


# -- one parser per kind ----------------------------------------------------------


def _read(table: Table, common: dict, signs: Signs | None) -> Step:
    return ReadStep(**common)


def _private_answer(table: Table, common: dict, signs: Signs | None) -> Step:
    answer = table.one_of("answer", ("text", "choice", "scale"), default="text")
    if answer == "choice":
        options = parse_options(table, "options", 2, what=N_("options for a choice answer"))
    elif table.has("options"):
        table.fail("options", Expected(N_('no options unless answer = "choice"')))
    else:
        options = ()
    if answer != "scale" and table.has("scale"):
        table.fail("scale", Expected(N_('no scale unless answer = "scale"')))
    return PrivateAnswerStep(
        **common,
        answer=answer,
        options=options,
        scale=parse_scale(table),
        reveal=table.one_of("reveal", ("both", "counselor_only"), default="both"),
        max_length=table.integer("max_length", 1, MAX_ANSWER_LENGTH, default=2000),
        prompt=table.text("prompt", PROMPT_MAX, required=False, single_line=True),
    )


def _rating(table: Table, common: dict, signs: Signs | None) -> Step:
    if table.has("items") and table.has("items_from"):
        table.fail("items_from", Expected(N_("either items or items_from, not both")))
    if table.has("items_from") or not table.has("items"):
        where = table.one_of("items_from", SIGN_SOURCES)
        if signs is None:
            table.fail("items_from", Expected(N_(
                "a loaded signs.toml with texts in the exercise's languages to take the items from")))
        items = signs.relationship if where == "signs.relationship" else signs.personal
        if not items and signs is not UNAVAILABLE_SIGNS:
            table.fail("items_from", Expected(N_("a non-empty list of signs in %(where)s"), where=where))
    else:
        entries = table.tables("items", 1, MAX_ITEMS, what=N_("items"))
        built = []
        for entry in entries:
            entry.check_keys(("id", "label", "hint"))
            built.append(
                RatingItem(
                    id=entry.ident("id"),
                    label=entry.text("label", LABEL_MAX, single_line=True),
                    hint=entry.text("hint", HINT_MAX, required=False),
                )
            )
        first_unique_problem(entries, what=N_("item"))
        items = tuple(built)
    return RatingStep(
        **common,
        items=items,
        scale=parse_scale(table),
        allow_notes=table.boolean("allow_notes", default=True),
        max_note_length=table.integer("max_note_length", 1, MAX_NOTE_LENGTH, default=500),
    )


def _turns(table: Table, common: dict, signs: Signs | None) -> Step:
    return TurnsStep(
        **common,
        turns=table.integer("turns", 1, MAX_TURNS, default=2),
        first_speaker=table.one_of("first_speaker", ("a", "b"), default="a"),
        speaker_prompt=table.text("speaker_prompt", PROMPT_MAX, required=False),
        listener_prompt=table.text("listener_prompt", PROMPT_MAX, required=False),
        max_length=table.integer("max_length", 1, MAX_ANSWER_LENGTH, default=2000),
    )


def _timer(table: Table, common: dict, signs: Signs | None) -> Step:
    return TimerStep(**common, seconds=table.integer("seconds", 10, 3600))


def _agree(table: Table, common: dict, signs: Signs | None) -> Step:
    allow_custom = table.boolean("allow_custom", default=True)
    options = parse_options(table, "options", 0 if allow_custom else 2)
    if not allow_custom and len(options) < 2:
        table.fail("options", Expected(N_("at least 2 options when allow_custom is false")))
    min_picks = table.integer("min_picks", 1, MAX_PICKS, default=1)
    max_picks = table.integer("max_picks", min_picks, MAX_PICKS, default=max(1, min_picks), lowest_name="min_picks")
    if not allow_custom and min_picks > len(options):
        table.fail("min_picks", Expected(N_("an integer from 1 to the number of options (%(count)s)"), count=len(options)))
    return AgreeStep(
        **common,
        options=options,
        allow_custom=allow_custom,
        min_picks=min_picks,
        max_picks=max_picks,
        max_length=table.integer("max_length", 1, MAX_PROPOSAL_LENGTH, default=200),
    )


def _check_in(table: Table, common: dict, signs: Signs | None) -> Step:
    entries = table.tables("questions", 1, MAX_QUESTIONS, what=N_("questions"))
    questions = []
    for entry in entries:
        entry.check_keys(("id", "label", "options", "concern_if"))
        qid = entry.ident("id")
        label = entry.text("label", LABEL_MAX, single_line=True)
        options = parse_options(entry, "options", 2)
        known = [option.id for option in options]
        concern_if = entry.strings("concern_if", MAX_OPTIONS, default=[], what=N_("option ids"),
                                   item=N_("an option id"))
        for index, option_id in enumerate(concern_if):
            if option_id not in known:
                entry.fail(f"concern_if[{index}]", Expected(N_("the id of one of this question's options (%(ids)s)"),
                                                     ids=", ".join(known)))
        if len(set(concern_if)) != len(concern_if):
            entry.fail("concern_if", Expected(N_("each option id at most once")))
        questions.append(CheckQuestion(id=qid, label=label, options=options, concern_if=tuple(concern_if)))
    first_unique_problem(entries, what=N_("question"))
    return CheckInStep(**common, questions=tuple(questions))


@dataclass(frozen=True)
class ContentKind:
    """How one step kind is written in an exercise file: the keys of its own, and its parser."""

    keys: tuple[str, ...]
    parse: Callable[[Table, dict, Signs | None], Step]


CONTENT_KINDS: dict[str, ContentKind] = {
    "read": ContentKind((), _read),
    "private_answer": ContentKind(("answer", "options", "scale", "reveal", "max_length", "prompt"), _private_answer),
    "rating": ContentKind(("items", "items_from", "scale", "allow_notes", "max_note_length"), _rating),
    "turns": ContentKind(("turns", "first_speaker", "speaker_prompt", "listener_prompt", "max_length"), _turns),
    "timer": ContentKind(("seconds",), _timer),
    "agree": ContentKind(("options", "allow_custom", "min_picks", "max_picks", "max_length"), _agree),
    "check_in": ContentKind(("questions",), _check_in),
}
KIND_KEYS: dict[str, tuple[str, ...]] = {name: kind.keys for name, kind in CONTENT_KINDS.items()}
"""The keys of each kind's own, as the exercise editor lists them."""
