"""The exercise builder's forms: one per-kind table of fields, and the conversions around it.

A counselor edits an exercise as plain form fields (a *draft*: every value the raw text typed);
:func:`data_from_draft` turns a draft into exactly the data a TOML file holds, so the content
validators (:func:`couples.content.parse.collect_exercise`) check it; :func:`draft_from_data`
goes the other way, to open a packaged or stored exercise in the builder. Ids of steps, options,
items and questions are made here, from labels, so a counselor never types one.

Problems come back as :class:`ContentError` with a field path (``steps[2].scale.max``);
:func:`field_of_problem` says which form field one belongs beside, and :func:`readable_location`
spells a path as a person counts ("step 3, option 1, label").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import tomli_w
from flask_babel import lazy_gettext as _l

from ..i18n import LANGUAGES
from .errors import N_, ContentError, Expected
from .parse import MAX_STEPS

HINT_SEPARATOR = "|"
MAX_QUESTION_SLOTS = 10  # the validator's MAX_QUESTIONS; one blank slot is always offered below it
EXERCISE_FIELDS = ("title", "summary", "minutes", "roles")

# An exercise is written in one language ("language") and, when "translation" is "y", in the other
# too: each text field then has a twin, named with TRANSLATION, holding the same text in the other
# language (written to the file as ``<key>_<code>``, as the library's files are).
TRANSLATION = "-tr"
TRANSLATED_FIELDS = frozenset({"title", "summary", "roles", "body", "prompt", "options", "scale_labels", "items",
                               "speaker_prompt", "listener_prompt"})
"""The fields holding words partners read: the ones with a twin in the other language."""
TRANSLATED_QUESTION_PARTS = ("label", "options")


def translated(name: str) -> str:
    """The form name of the twin of field ``name`` in the other language."""
    return name + TRANSLATION


def draft_languages(values: Mapping[str, str]) -> tuple[str, str | None]:
    """The language a draft is written in and the other one it is also written in (None when it is not)."""
    language = values.get("language", "")
    language = language if language in LANGUAGES else "en"
    other = next(code for code in LANGUAGES if code != language)
    return language, other if values.get("translation") == "y" else None


@dataclass(frozen=True)
class Field:
    """One form field of a step: its name in the form, what a counselor reads, and its widget.

    ``widget`` is one of: line (one line of text), text (paragraphs), number, choice, check,
    lines (one entry per line), questions (the check-in's question blocks).
    ``only_when`` names another field and the value it must have for this one to count.
    """

    name: str
    widget: str
    label: Any
    help: Any = ""
    default: str = ""
    choices: tuple[tuple[str, Any], ...] = ()
    only_when: tuple[str, str] | None = None


def _scale_fields(only_when: tuple[str, str] | None = None) -> tuple[Field, ...]:
    return (
        Field("scale_min", "number", _l("Scale starts at"), _l("A whole number from -10 to 10; blank for 0."),
              only_when=only_when),
        Field("scale_max", "number", _l("Scale ends at"), _l("Larger than the start, at most 11 points; blank for 4."),
              only_when=only_when),
        Field("scale_labels", "lines", _l("Words for the points (optional)"),
              _l("One per line, from the lowest point to the highest: one for every point, or none."),
              only_when=only_when),
    )


COMMON_FIELDS = (
    Field("title", "line", _l("Title"), _l("What partners see at the top of this step.")),
    Field("body", "text", _l("Text (optional)"), _l("What partners read. Leave an empty line between paragraphs.")),
)

@dataclass(frozen=True)
class BuilderKind:
    """How the builder offers one step kind: its name, one line on what it does, and its own fields
    (beside :data:`COMMON_FIELDS`). A new step kind needs one entry in :data:`BUILDER_KINDS`."""

    name: Any
    help: Any
    fields: tuple[Field, ...] = ()


BUILDER_KINDS: dict[str, BuilderKind] = {
    "read": BuilderKind(
        _l("Read together"),
        _l("Both partners read a text, then continue."),
        (),
    ),
    "private_answer": BuilderKind(
        _l("Private answer"),
        _l("Each partner answers alone; you choose who sees the answers."),
        (
            Field("answer", "choice", _l("How partners answer"), default="text", choices=(
                ("text", _l("In their own words")), ("choice", _l("By picking one answer")),
                ("scale", _l("With a number on a scale")))),
            Field("prompt", "line", _l("Question (optional)"),
                  _l("Shown above the answer, e.g. “This week I liked it when…”.")),
            Field("options", "lines", _l("Answers to pick from"),
                  _l("Only when partners pick one answer: one answer per line, at least 2."),
                  only_when=("answer", "choice")),
            *_scale_fields(only_when=("answer", "scale")),
            Field("reveal", "choice", _l("Who sees the answers"), default="both", choices=(
                ("both", _l("Both partners, once both have answered")), ("counselor_only", _l("Only you, the counselor")))),
            Field("max_length", "number", _l("Longest written answer (characters)"), _l("1 to 10,000; blank for 2,000.")),
        ),
    ),
    "rating": BuilderKind(
        _l("Rating"),
        _l("Each partner rates a list of things on a scale; then both see where their views differ."),
        (
            Field("items_from", "choice", _l("What partners rate"), default="own", choices=(
                ("own", _l("The list below")), ("signs.relationship", _l("The app's list of relationship signs")),
                ("signs.personal", _l("The app's list of personal signs")))),
            Field("items", "lines", _l("Things to rate"),
                  _l("One per line. To add a short explanation partners see under it, write it after a vertical bar: "
                     "Feeling heard | when I talk, you listen."), only_when=("items_from", "own")),
            *_scale_fields(),
            Field("allow_notes", "check", _l("Partners may add an example to each rating"), default="y"),
            Field("max_note_length", "number", _l("Longest example (characters)"), _l("1 to 2,000; blank for 500.")),
        ),
    ),
    "turns": BuilderKind(
        _l("Taking turns (speaker and listener)"),
        _l("One partner speaks while the other listens and says back what they heard."),
        (
            Field("turns", "number", _l("Number of turns"), _l("1 to 12; the partners swap roles each turn. Blank for 2.")),
            Field("first_speaker", "choice", _l("Who speaks first"), default="a", choices=(
                ("a", _l("The first partner of the couple")), ("b", _l("The second partner of the couple")))),
            Field("speaker_prompt", "text", _l("Prompt for the speaker (optional)")),
            Field("listener_prompt", "text", _l("Prompt for the listener (optional)")),
            Field("max_length", "number", _l("Longest message (characters)"), _l("1 to 10,000; blank for 2,000.")),
        ),
    ),
    "timer": BuilderKind(
        _l("Timer"),
        _l("A quiet pause of a set length."),
        (
            Field("seconds", "number", _l("Length in seconds"), _l("10 to 3,600 (one hour)."), default="60"),
        ),
    ),
    "agree": BuilderKind(
        _l("Agree on something"),
        _l("Both partners pick from ideas (and may add their own) until they pick the same."),
        (
            Field("options", "lines", _l("Ideas to pick from"), _l("One per line. At least 2 if partners may not add their own.")),
            Field("allow_custom", "check", _l("Partners may suggest their own ideas"), default="y"),
            Field("min_picks", "number", _l("Fewest ideas each picks"), _l("1 to 10; blank for 1.")),
            Field("max_picks", "number", _l("Most ideas each picks"), _l("From the fewest to 10; blank for the fewest.")),
            Field("max_length", "number", _l("Longest suggestion (characters)"), _l("1 to 500; blank for 200.")),
        ),
    ),
    "check_in": BuilderKind(
        _l("Safety check-in"),
        _l("Private safety questions; chosen answers alert you. The other partner never sees them."),
        (
            Field("questions", "questions", _l("Questions"),
                  _l("Each partner answers each question alone. Empty all of a question's boxes to remove it.")),
        ),
    ),
}


LANGUAGE_FIELDS = (
    Field("language", "choice", _l("Written in"), _l("The language you write the exercise in."),
          choices=tuple(LANGUAGES.items())),
    Field("translation", "choice", _l("In the other language too"),
          _l("Partners who read the other language see your translation; without one, they see the exercise "
             "as you wrote it, marked with its language."),
          choices=(("", _l("No, only in the language above")), ("y", _l("Yes, I also write each text in the other language")))),
)
"""The exercise's languages, chosen above its fields (the first defaults to the counselor's own)."""


def fields_of(kind: str) -> tuple[Field, ...]:
    """Every field of a step of ``kind``: the common ones, then its own (none for an unknown kind)."""
    return COMMON_FIELDS + (BUILDER_KINDS[kind].fields if kind in BUILDER_KINDS else ())
"""The builder's one per-kind table: the fields a counselor fills in for each step kind."""

QUESTION_PARTS = (
    ("label", _l("Question")),
    ("options", _l("Answers to pick from (one per line, at least 2)")),
    ("concerns", _l("Answers that should alert you (optional; one per line, written as above)")),
)


QUESTION_KEYS = (*(part for part, _ in QUESTION_PARTS), *(translated(part) for part in TRANSLATED_QUESTION_PARTS))
"""Each question's fields in the form: its parts, then the twins of the translated ones."""


@dataclass
class StepDraft:
    """One step as typed: its kind, its (hidden) id and each field's raw text."""

    kind: str
    id: str
    values: dict[str, str] = field(default_factory=dict)

    def fields(self) -> tuple[Field, ...]:
        return fields_of(self.kind)

    def value(self, name: str) -> str:
        return self.values.get(name, "")

    def questions(self) -> list[dict[str, str]]:
        """The check-in's questions as typed, plus one blank slot to add another."""
        typed = [{part: self.value(f"q{index}-{part}") for part in QUESTION_KEYS} for index in range(MAX_QUESTION_SLOTS)]
        while typed and not any(typed[-1].values()):
            typed.pop()
        return typed + [{part: "" for part in QUESTION_KEYS}] * (len(typed) < MAX_QUESTION_SLOTS)


@dataclass
class ExerciseDraft:
    """A whole exercise as typed in the builder."""

    values: dict[str, str] = field(default_factory=dict)
    steps: list[StepDraft] = field(default_factory=list)
    removed: StepDraft | None = None
    """The step the last button removed, kept (in hidden fields) for one more press: Undo."""
    removed_at: int = 0


def written_first_in(draft: ExerciseDraft, language: str) -> ExerciseDraft:
    """The draft with ``language`` as the one it is written in, when it is written in it too: each text
    field swaps with its twin (a counselor opens a copy of a bilingual exercise in their own language)."""
    written, other = draft_languages(draft.values)
    if written == language or other != language:
        return draft
    for values in (draft.values, *(step.values for step in draft.steps)):
        for name in [name for name in values if name + TRANSLATION in values]:
            values[name], values[name + TRANSLATION] = values[name + TRANSLATION], values[name]
    draft.values["language"] = language
    return draft


# -- new steps and moving them ----------------------------------------------------------------


def new_step(draft: ExerciseDraft, kind: str) -> StepDraft:
    """A step of ``kind`` with the table's defaults and an id no other step of the draft has."""
    taken = {step.id for step in draft.steps}
    base = kind.replace("_", "-")
    number = 1
    while f"{base}-{number}" in taken:
        number += 1
    values = {f.name: f.default for f in BUILDER_KINDS[kind].fields if f.default}
    return StepDraft(kind=kind, id=f"{base}-{number}", values=values)


def apply_action(draft: ExerciseDraft, action: str, kind: str) -> int | None:
    """Change the draft's steps as the pressed button asks: ``add``, ``up-N``, ``down-N``, ``remove-N``
    (N counted from 1), ``undo`` (the removal just made). Returns the 1-based number of the step to
    bring into view, if any. Unknown or out-of-range actions change nothing."""
    removed, draft.removed = draft.removed, None  # Undo is offered right after a removal only
    if action == "undo":
        if removed is None or len(draft.steps) >= MAX_STEPS:
            return None
        position = min(draft.removed_at, len(draft.steps))
        draft.steps.insert(position, removed)
        return position + 1
    if action == "add":
        if kind in BUILDER_KINDS and len(draft.steps) < MAX_STEPS:
            draft.steps.append(new_step(draft, kind))
            return len(draft.steps)
        return None
    verb, _, number_text = action.partition("-")
    number = counted(number_text, len(draft.steps))
    if number is None:
        return None
    index = number - 1
    target = {"up": index - 1, "down": index + 1}.get(verb)
    if verb == "remove":
        draft.removed, draft.removed_at = draft.steps.pop(index), index
        return min(index + 1, len(draft.steps)) or None
    if target is None or not 0 <= target < len(draft.steps):
        return None
    draft.steps[index], draft.steps[target] = draft.steps[target], draft.steps[index]
    return target + 1


def counted(text: str, highest: int) -> int | None:
    """``text`` as a number from 1 to ``highest`` written in ASCII digits, or None (also for a
    number of thousands of digits, which ``int`` would refuse to read)."""
    if not (text.isascii() and text.isdigit() and len(text) <= 6):
        return None
    return int(text) if 1 <= int(text) <= highest else None


# -- form <-> draft ---------------------------------------------------------------------------


def draft_from_form(form: Mapping[str, str]) -> ExerciseDraft:
    """The draft a builder form posted (missing fields are blank; at most MAX_STEPS + 1 steps read)."""
    count_number = counted(form.get("step_count", ""), MAX_STEPS + 1) or 0
    names = (*EXERCISE_FIELDS, *(translated(name) for name in EXERCISE_FIELDS if name in TRANSLATED_FIELDS),
             *(f.name for f in LANGUAGE_FIELDS))
    draft = ExerciseDraft(values={name: form.get(name, "") for name in names})
    draft.steps = [_step_from_form(form, f"steps-{index}-") for index in range(count_number)]
    if form.get("removed-kind"):
        at = form.get("removed-at", "")
        draft.removed = _step_from_form(form, "removed-")
        draft.removed_at = int(at) if at.isascii() and at.isdigit() and len(at) < 3 else 0
    return draft


def _step_from_form(form: Mapping[str, str], prefix: str) -> StepDraft:
    step = StepDraft(kind=form.get(prefix + "kind", ""), id=form.get(prefix + "id", ""))
    names = [f.name for f in step.fields() if f.widget != "questions"]
    names += [translated(name) for name in names if name in TRANSLATED_FIELDS]
    if step.kind == "check_in":
        names += [f"q{number}-{part}" for number in range(MAX_QUESTION_SLOTS) for part in QUESTION_KEYS]
    step.values = {name: form.get(prefix + name, "") for name in names}
    for f in step.fields():
        if f.widget == "check":  # an unticked box is not sent at all
            step.values[f.name] = "y" if form.get(prefix + f.name) else ""
    return step


# -- draft -> data ----------------------------------------------------------------------------


def data_from_draft(draft: ExerciseDraft, exercise_id: str) -> tuple[dict[str, Any], list[ContentError]]:
    """The exercise as a TOML file would hold it, and the problems only the builder can see
    (e.g. an alerting answer that is not one of its question's answers)."""
    problems: list[ContentError] = []
    data: dict[str, Any] = {"id": exercise_id}
    language, other = draft_languages(draft.values)
    if (language, other) != ("en", None):
        data["languages"] = [language, other] if other else [language]
    suffix = f"_{other}" if other else ""
    for name in EXERCISE_FIELDS:
        _put(data, name, draft.values.get(name, ""), number=name == "minutes")
        if suffix and name in TRANSLATED_FIELDS:
            _put(data, name + suffix, draft.values.get(translated(name), ""))
    data["steps"] = [_step_data(step, index, problems, suffix) for index, step in enumerate(draft.steps)]
    return data, problems


def _put(target: dict[str, Any], key: str, raw: str, *, number: bool = False) -> None:
    """Set ``key`` unless ``raw`` is blank (the validator then uses its default or says it is missing)."""
    text = raw.strip()
    if not text:
        return
    target[key] = int(text) if number and _is_integer(text) else raw


def _is_integer(text: str) -> bool:
    digits = text.removeprefix("-")
    return digits.isascii() and digits.isdigit() and len(digits) <= 6


def _lines(raw: str) -> list[str]:
    return [line.strip() for line in raw.splitlines() if line.strip()]


def _step_data(step: StepDraft, index: int, problems: list[ContentError], suffix: str) -> dict[str, Any]:
    """One step as a file holds it; ``suffix`` (``_es``) names the other language's keys, if any."""
    data: dict[str, Any] = {"id": step.id, "kind": step.kind}
    for f in step.fields():
        if f.only_when and step.value(f.only_when[0]) != f.only_when[1]:
            continue
        _WRITERS[f.widget](f, step, data, f"steps[{index}]", problems)
        if suffix and (f.name in TRANSLATED_FIELDS or f.widget == "questions"):
            _write_translation(f, step, data, f"steps[{index}]", problems, suffix)
    return data


def _write_translation(f: Field, step: StepDraft, data: dict[str, Any], path: str, problems: list[ContentError],
                       suffix: str) -> None:
    """Add the other language's text of field ``f`` beside the one already written."""
    raw = step.value(translated(f.name))
    if f.widget == "questions":
        typed = [question for question in step.questions() if any(question.values())]
        for number, (question, entry) in enumerate(zip(typed, data.get("questions", []), strict=False)):
            _put(entry, "label" + suffix, question[translated("label")])
            _translate_entries(entry.get("options", []), _lines(question[translated("options")]), suffix,
                               f"{path}.questions[{number}].options{suffix}", problems)
    elif f.name == "scale_labels":
        if _lines(raw):
            data.setdefault("scale", {})["labels" + suffix] = _lines(raw)
    elif f.widget == "lines":
        key = f.name
        _translate_entries(data.get(key, []), _lines(raw), suffix, f"{path}.{key}{suffix}", problems,
                           hints=key == "items")
    else:
        _put(data, f.name + suffix, raw)


def _translate_entries(entries: list[dict[str, Any]], lines: list[str], suffix: str, path: str,
                       problems: list[ContentError], *, hints: bool = False) -> None:
    """Give each entry (an option, an item) the label (and hint) on its line of the translation."""
    if len(lines) > len(entries):
        problems.append(ContentError("", path, Expected(
            N_("one line for each line in the first language (%(count)s), in the same order"), count=len(entries))))
    for entry, line in zip(entries, lines, strict=False):
        label, _, hint = line.partition(HINT_SEPARATOR) if hints else (line, "", "")
        entry["label" + suffix] = label.strip()
        if hint.strip():
            entry["hint" + suffix] = hint.strip()


def _write_plain(f: Field, step: StepDraft, data: dict[str, Any], path: str, problems: list[ContentError]) -> None:
    if f.name.startswith("scale_"):
        scale: dict[str, Any] = data.setdefault("scale", {})
        key = f.name.removeprefix("scale_")
        if f.widget == "lines":
            if _lines(step.value(f.name)):
                scale[key] = _lines(step.value(f.name))
        else:
            _put(scale, key, step.value(f.name), number=True)
        if not scale:
            del data["scale"]
    elif f.name == "items_from":
        if step.value(f.name) != "own":
            data["items_from"] = step.value(f.name)
    else:
        _put(data, f.name, step.value(f.name), number=f.widget == "number")


def _write_check(f: Field, step: StepDraft, data: dict[str, Any], path: str, problems: list[ContentError]) -> None:
    data[f.name] = step.value(f.name) == "y"


def _write_lines(f: Field, step: StepDraft, data: dict[str, Any], path: str, problems: list[ContentError]) -> None:
    if f.name.startswith("scale_"):
        _write_plain(f, step, data, path, problems)
        return
    # Written even when empty, so the validator says how many entries it needs (not "the key is missing").
    lines = _lines(step.value(f.name))
    if f.name == "items":
        labels = [line.partition(HINT_SEPARATOR)[0] for line in lines]
        data["items"] = [_item(line, ident) for line, ident in zip(lines, ids_for(labels), strict=True)]
        return
    data[f.name] = _options(lines)


def _item(line: str, ident: str) -> dict[str, str]:
    label, _, hint = line.partition(HINT_SEPARATOR)
    item = {"id": ident, "label": label.strip()}
    if hint.strip():
        item["hint"] = hint.strip()
    return item


def _options(labels: list[str]) -> list[dict[str, str]]:
    return [{"id": ident, "label": label} for label, ident in zip(labels, ids_for(labels), strict=True)]


def _write_questions(f: Field, step: StepDraft, data: dict[str, Any], path: str, problems: list[ContentError]) -> None:
    questions = [typed for typed in step.questions() if any(typed.values())]
    labels = [typed["label"].strip() for typed in questions]
    data["questions"] = [_question(typed, ident, f"{path}.questions[{number}]", problems)
                         for number, (typed, ident) in enumerate(zip(questions, ids_for(labels), strict=True))]


def _question(typed: dict[str, str], ident: str, path: str, problems: list[ContentError]) -> dict[str, Any]:
    question: dict[str, Any] = {"id": ident}
    _put(question, "label", typed["label"])
    answers = _lines(typed["options"])
    if answers:
        question["options"] = _options(answers)
    by_label = {option["label"]: option["id"] for option in question.get("options", [])}
    concerns = _lines(typed["concerns"])
    unknown = [line for line in concerns if line not in by_label]
    if unknown:
        problems.append(ContentError("", f"{path}.concern_if", Expected(
            N_("answers written exactly as in the list above (“%(answer)s” is not one)"), answer=unknown[0])))
    if concerns and not unknown:
        question["concern_if"] = [by_label[line] for line in concerns]
    return question


_WRITERS: dict[str, Callable[[Field, StepDraft, dict[str, Any], str, list[ContentError]], None]] = {
    "line": _write_plain,
    "text": _write_plain,
    "number": _write_plain,
    "choice": _write_plain,
    "check": _write_check,
    "lines": _write_lines,
    "questions": _write_questions,
}


def slug_of(text: str, fallback: str = "entry") -> str:
    """A valid content id made from ``text`` (``fallback`` if nothing usable is left)."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:50].strip("-")
    return slug or fallback


def ids_for(labels: list[str]) -> list[str]:
    """One distinct id per label, made from the label (numbered where two would be the same)."""
    ids: list[str] = []
    for number, label in enumerate(labels, start=1):
        base = slug_of(label, f"entry-{number}")
        ident, suffix = base, 2
        while ident in ids:
            ident, suffix = f"{base}-{suffix}", suffix + 1
        ids.append(ident)
    return ids


# -- data -> draft ----------------------------------------------------------------------------


def draft_from_data(data: Mapping[str, Any]) -> ExerciseDraft:
    """The builder's view of exercise data (a parsed TOML file, validated before)."""
    draft = ExerciseDraft(values={name: _text(data.get(name)) for name in EXERCISE_FIELDS})
    languages = data.get("languages") or ["en"]
    draft.values["language"] = str(languages[0])
    draft.values["translation"] = "y" if len(languages) > 1 else ""
    suffix = f"_{languages[1]}" if len(languages) > 1 else ""
    for name in EXERCISE_FIELDS:
        if suffix and name in TRANSLATED_FIELDS:
            draft.values[translated(name)] = _text(data.get(name + suffix))
    for entry in data.get("steps", []):
        step = StepDraft(kind=str(entry.get("kind", "")), id=str(entry.get("id", "")))
        for f in step.fields():
            step.values.update(_READERS[f.widget](f, entry))
            if suffix and (f.name in TRANSLATED_FIELDS or f.widget == "questions"):
                step.values.update(_read_translation(f, entry, suffix))
        draft.steps.append(step)
    return draft


def _read_translation(f: Field, entry: Mapping[str, Any], suffix: str) -> dict[str, str]:
    """The other language's text of field ``f`` in a step's data, for its twin field."""
    def labels(entries: list[Mapping[str, Any]]) -> str:
        return "\n".join(str(option.get("label" + suffix, "")) for option in entries)

    if f.widget == "questions":
        values = {}
        for number, question in enumerate(entry.get("questions", [])):
            values[f"q{number}-{translated('label')}"] = str(question.get("label" + suffix, ""))
            values[f"q{number}-{translated('options')}"] = labels(question.get("options", []))
        return values
    if f.name == "scale_labels":
        value = entry.get("scale", {}).get("labels" + suffix)
        return {translated(f.name): "\n".join(value) if isinstance(value, list) else ""}
    if f.name == "items":
        lines = [str(item.get("label" + suffix, "")) + (f" {HINT_SEPARATOR} {item['hint' + suffix]}"
                                                         if item.get("hint" + suffix) else "")
                 for item in entry.get("items", [])]
        return {translated(f.name): "\n".join(lines)}
    if f.widget == "lines":
        return {translated(f.name): labels(entry.get(f.name, []))}
    return {translated(f.name): _text(entry.get(f.name + suffix))}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return str(value).strip() if not isinstance(value, bool) else ""


def _read_plain(f: Field, entry: Mapping[str, Any]) -> dict[str, str]:
    if f.name.startswith("scale_"):
        value = entry.get("scale", {}).get(f.name.removeprefix("scale_"))
        return {f.name: "\n".join(value) if isinstance(value, list) else _text(value)}
    if f.name == "items_from":
        return {f.name: entry.get("items_from", "own")}
    return {f.name: _text(entry.get(f.name)) or f.default}


def _read_check(f: Field, entry: Mapping[str, Any]) -> dict[str, str]:
    return {f.name: "y" if entry.get(f.name, f.default == "y") else ""}


def _read_lines(f: Field, entry: Mapping[str, Any]) -> dict[str, str]:
    if f.name.startswith("scale_"):
        return _read_plain(f, entry)
    if f.name == "items":
        lines = [str(item.get("label", "")) + (f" {HINT_SEPARATOR} {item['hint']}" if item.get("hint") else "")
                 for item in entry.get("items", [])]
        return {f.name: "\n".join(lines)}
    return {f.name: "\n".join(str(option.get("label", "")) for option in entry.get(f.name, []))}


def _read_questions(f: Field, entry: Mapping[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, question in enumerate(entry.get("questions", [])):
        labels = {option.get("id"): str(option.get("label", "")) for option in question.get("options", [])}
        values[f"q{number}-label"] = question.get("label", "")
        values[f"q{number}-options"] = "\n".join(labels.values())
        values[f"q{number}-concerns"] = "\n".join(labels.get(ident, ident) for ident in question.get("concern_if", []))
    return values


_READERS: dict[str, Callable[[Field, Mapping[str, Any]], dict[str, str]]] = {
    "line": _read_plain,
    "text": _read_plain,
    "number": _read_plain,
    "choice": _read_plain,
    "check": _read_check,
    "lines": _read_lines,
    "questions": _read_questions,
}


def to_toml(data: Mapping[str, Any]) -> str:
    """Exercise data written as a TOML file, in the library's key order."""
    return tomli_w.dumps(dict(data), multiline_strings=True)


# -- where a problem belongs ------------------------------------------------------------------

_STEP_PATH = re.compile(r"^steps\[(\d+)\]\.?(.*)$")
_QUESTION_PATH = re.compile(r"^questions\[(\d+)\]\.?(.*)$")


def field_of_problem(problem: ContentError) -> tuple[int | None, str]:
    """Which field a problem belongs beside: (step index or None, field name; "" for the step or
    exercise as a whole). A problem with a translation (``title_es``) belongs beside the field's twin."""
    path = _TRANSLATED_KEY.sub("", problem.field)
    index, name = _field_of_path(path)
    if name and path != problem.field:
        return index, translated(name)
    return index, name


_TRANSLATED_KEY = re.compile(rf"_(?:{'|'.join(LANGUAGES)})(?=$|[.\[])")


def _field_of_path(path: str) -> tuple[int | None, str]:
    match = _STEP_PATH.match(path)
    if match is None:
        if path == "languages":
            return None, "language"
        return None, path if path in EXERCISE_FIELDS else ""
    index, rest = int(match.group(1)), match.group(2)
    question = _QUESTION_PATH.match(rest)
    if question:
        part = question.group(2)
        name = "concerns" if part.startswith("concern_if") else "options" if part.startswith("options") else "label"
        return index, f"q{question.group(1)}-{name}"
    key = re.split(r"[.\[]", rest, maxsplit=1)[0]
    if key == "scale":
        sub = rest.removeprefix("scale").lstrip(".")
        return index, "scale_labels" if sub.startswith("labels") else "scale_min" if sub.startswith("min") else "scale_max"
    if key == "items":
        return index, "items"
    return index, key if key in {f.name for f in COMMON_FIELDS} | _KIND_FIELD_NAMES else ""


_KIND_FIELD_NAMES = {f.name for kind in BUILDER_KINDS.values() for f in kind.fields}

_INDEXED = re.compile(r"([A-Za-z_]+)\[(\d+)\]")
_SINGULAR = {"steps": N_("step %(number)s"), "options": N_("option %(number)s"), "items": N_("item %(number)s"),
             "questions": N_("question %(number)s"), "labels": N_("label %(number)s"),
             "exercises": N_("exercise %(number)s"), "concern_if": N_("alerting answer %(number)s")}


def readable_location(path: str, gettext: Callable[..., str] | None = None) -> str:
    """A field path as a person counts: ``steps[2].options[0].label`` -> "step 3, option 1, label"
    (the words translated by ``gettext``, a page's Flask-Babel one; English without)."""
    def counted(match: re.Match[str]) -> str:
        word, number = match.group(1), int(match.group(2)) + 1
        if word not in _SINGULAR:
            return f"{word} {number}"
        return gettext(_SINGULAR[word], number=number) if gettext else _SINGULAR[word] % {"number": number}

    return ", ".join(_INDEXED.sub(counted, part) for part in path.split(".")).replace("_", " ")
