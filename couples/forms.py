"""Web forms. Every form is a FlaskForm, so every form carries a CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext
from flask_wtf import FlaskForm
from wtforms import (BooleanField, EmailField, IntegerField, PasswordField, SelectField, StringField, SubmitField,
                     TextAreaField)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional, ValidationError

from .content.parse import MAX_PLAN_EXERCISES
from .i18n import LANGUAGES
from .content.schema import TITLE_MAX
from .services.accounts import EMAIL_MAX, NAME_MAX, PASSWORD_MAX, PASSWORD_MIN, check_email
from .services.authoring import SOURCE_MAX
from .services.couples import timezone_names
from .services.review import NOTE_MAX


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


def _email_format(_form: FlaskForm, field: EmailField) -> None:
    problem = check_email(field.data or "")
    if problem:
        raise ValidationError(problem)


def _email_field() -> EmailField:
    return EmailField(
        lazy_gettext("Email"),
        filters=[_strip],
        validators=[DataRequired(lazy_gettext("Enter your email address.")), Length(max=EMAIL_MAX), _email_format],
        render_kw={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"},
    )


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[
            InputRequired(lazy_gettext("Choose a password.")),
            Length(PASSWORD_MIN, PASSWORD_MAX, lazy_gettext("Use between %(min)s and %(max)s characters.")),
        ],
        description=lazy_gettext("At least %(min)s characters. A few unrelated words work well.", min=PASSWORD_MIN),
        render_kw={"autocomplete": "new-password", "minlength": PASSWORD_MIN, "maxlength": PASSWORD_MAX},
    )
    confirm = PasswordField(
        lazy_gettext("Repeat the password"),
        validators=[InputRequired(lazy_gettext("Repeat the password.")),
                    EqualTo("password", lazy_gettext("The passwords don't match."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


def _name_field(label: str, autocomplete: str = "off") -> StringField:
    return StringField(
        label,
        filters=[_strip],
        validators=[DataRequired(lazy_gettext("Enter a name.")),
                    Length(1, NAME_MAX, lazy_gettext("Use at most %(max)s characters."))],
        render_kw={"maxlength": NAME_MAX, "autocomplete": autocomplete},
    )


def _language_field() -> SelectField:
    """The language a person reads the app in; each language is named in itself."""
    return SelectField(
        lazy_gettext("Language"),
        # Each option in its own language, marked so (screen readers then read "Español" in Spanish).
        choices=[SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items()],
        validate_choice=True,
        description=lazy_gettext("The app's pages and e-mails come in this language. You can change it later."),
    )


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        lazy_gettext("Password"),
        validators=[InputRequired(lazy_gettext("Enter your password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(lazy_gettext("Log in"))


class SignupForm(FlaskForm):
    display_name = _name_field(lazy_gettext("Your name (shown to the couples you work with)"), "name")
    email = _email_field()
    password, confirm = _new_password_fields()
    language = _language_field()
    submit = SubmitField(lazy_gettext("Create counselor account"))


class AcceptInvitationForm(FlaskForm):
    email = _email_field()
    password, confirm = _new_password_fields()
    language = _language_field()
    submit = SubmitField(lazy_gettext("Join"))


class LanguageForm(FlaskForm):
    """Change the language of one's own account."""

    language = _language_field()
    submit = SubmitField(lazy_gettext("Save the language"))


def _noted_language_field(label: str) -> SelectField:
    """A partner's language as their counselor knows it, or not noted (their browser decides)."""
    return SelectField(
        label,
        choices=[SelectChoice("", lazy_gettext("Not noted")),
                 *(SelectChoice(code, name, render_kw={"lang": code}) for code, name in LANGUAGES.items())],
        default="",
        validate_choice=True,
        description=lazy_gettext("Optional. Their invitation page opens in it and offers it for their account."),
    )


class NewCoupleForm(FlaskForm):
    partner_a_name = _name_field(lazy_gettext("First partner's name"))
    partner_a_language = _noted_language_field(lazy_gettext("First partner's language"))
    partner_b_name = _name_field(lazy_gettext("Second partner's name"))
    partner_b_language = _noted_language_field(lazy_gettext("Second partner's language"))
    timezone = SelectField(
        lazy_gettext("The couple's time zone"),
        default="America/New_York",
        validate_choice=True,
        description=lazy_gettext("Used to show session times in the couple's local time."),
    )
    submit = SubmitField(lazy_gettext("Create couple and invitation links"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.timezone.choices = [(name, name.replace("_", " ")) for name in timezone_names()]

    def languages(self) -> dict[str, str | None]:
        """The language noted for each partner's slot (None: not noted)."""
        return {"a": self.partner_a_language.data or None, "b": self.partner_b_language.data or None}


class ActionForm(FlaskForm):
    """A form with nothing but the CSRF token, for buttons that POST (log out, revoke, reissue)."""


class RoutineForm(FlaskForm):
    """The counselor's routine for one couple's sessions."""

    individual_time_first = BooleanField(
        lazy_gettext("See each partner on their own first"),
        description=lazy_gettext("Every session then stops after the private check-in, and both partners read that you "
                       "would like to talk with each of them on their own before they go on together."),
    )
    submit = SubmitField(lazy_gettext("Save the routine"))


class ExerciseForm(FlaskForm):
    """A counselor's exercise as TOML; the content validators check it, not the form."""

    source = TextAreaField(
        lazy_gettext("Exercise (TOML)"),
        validators=[InputRequired(lazy_gettext("Write or paste the exercise."))],
        render_kw={"rows": 28, "spellcheck": "false", "autocapitalize": "none", "class": "code-box",
                   "data-max-chars": SOURCE_MAX,
                   "data-over-text": lazy_gettext("This is {count} characters over the limit. Nothing was sent: "
                                        "shorten it, then save again.")},
    )
    submit = SubmitField(lazy_gettext("Check and save"))


ALL_COUPLES = "all"


class ComposePlanForm(FlaskForm):
    """Title and audience of a new plan; its exercises come as ``position-<exercise id>`` inputs."""

    title = StringField(
        lazy_gettext("Title"),
        filters=[_strip],
        validators=[DataRequired(lazy_gettext("Give the plan a title."))],
        render_kw={"maxlength": TITLE_MAX},
    )
    couple = SelectField(lazy_gettext("For"), validate_choice=True)
    submit = SubmitField(lazy_gettext("Check and save the plan"))

    def __init__(self, couples, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.couple.choices = [(ALL_COUPLES, lazy_gettext("All my couples"))] + [(str(c.id), c.title) for c in couples]

    def positions(self) -> list[tuple[str, IntegerField]]:
        """(exercise id, its position field) for every exercise offered, in page order."""
        return [(field.name.removeprefix(POSITION), field) for field in self if field.name.startswith(POSITION)]


POSITION = "position-"  # the input holding an exercise's place in a new plan: position-<exercise id>


def compose_plan_form(couples, exercise_ids) -> ComposePlanForm:
    """The plan form with one optional position (a whole number from 1 to the most a plan holds)
    for each exercise in ``exercise_ids``; anything else in such a box is a field error."""
    position = IntegerField(validators=[Optional(), NumberRange(1, MAX_PLAN_EXERCISES)])
    fields = {f"{POSITION}{exercise_id}": position for exercise_id in exercise_ids}
    return type("ComposePlanPositionsForm", (ComposePlanForm,), fields)(couples)

class NoteForm(FlaskForm):
    """The counselor's private note on one session."""

    text = TextAreaField(
        lazy_gettext("Private note"),
        filters=[_strip],
        validators=[Length(max=NOTE_MAX, message=lazy_gettext("A note can be at most %(max)d characters long."))],
        description=lazy_gettext("Only you can read this. The partners never see it."),
        render_kw={"rows": 6, "maxlength": NOTE_MAX},
    )
    submit = SubmitField(lazy_gettext("Save the note"))


# --- facilitate: how a partner's counselor can reach them privately ---------------------------

class PrivateContactForm(FlaskForm):
    """A partner's own words on how their counselor can reach them privately (empty: none)."""

    private_contact = TextAreaField(
        lazy_gettext("How your counselor can reach you privately"),
        description=lazy_gettext("For example a phone number and the times it is safe to call, or \"only by the "
                                 "e-mail address I log in with\". Only your counselor sees this, never your partner."),
        validators=[Optional(), Length(max=300, message=lazy_gettext("Please keep it under 300 characters."))],
        filters=[_strip],
        render_kw={"rows": 3, "maxlength": 300},
    )
    submit = SubmitField(lazy_gettext("Save"))
# -- accounts: getting back in, consent ----------------------------------------------------------


class ResetRequestForm(FlaskForm):
    """Ask for a password-reset link by e-mail."""

    email = _email_field()
    submit = SubmitField(lazy_gettext("Send me a link"))


class NewPasswordForm(FlaskForm):
    """Choose a new password through a reset link."""

    password, confirm = _new_password_fields()
    submit = SubmitField(lazy_gettext("Save my new password"))


class ChangePasswordForm(FlaskForm):
    """Change the password while logged in; the current one is asked for first."""

    current = PasswordField(
        lazy_gettext("Current password"),
        validators=[InputRequired(lazy_gettext("Enter your current password.")), Length(max=PASSWORD_MAX)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields()
    submit = SubmitField(lazy_gettext("Change my password"))


class ConsentForm(FlaskForm):
    """A partner accepts what their counselor can see."""

    submit = SubmitField(lazy_gettext("I have read this and I agree"))
