"""Every page a visitor, a partner or a counselor can open is in Spanish for someone who reads Spanish.

The pages are all the app's GET routes (read from its URL map), opened with the ids of the
authorisation matrix's world (tests/security/test_matrix.py); each HTML page that answers 200 must
say ``<html lang="es">`` and its visible text must hold none of a few common interface words that
give away an English string nobody marked or translated. Text shown as written in English (people's
own content) must be marked ``lang="en"``, and is then left out.
"""

from __future__ import annotations

import html as html_lib
import re

import pytest
from security.test_matrix import World, logged_in_client, route_keys

from couples.extensions import db
from couples.models import User

SPANISH = {"Accept-Language": "es"}
ENGLISH_GIVEAWAYS = (" the ", " your ", " you ", "Log in", "Log out", "Save", "Please", " and ", "Cancel")
"""Words in nearly every English sentence or button, and in no Spanish one."""
NOT_SHOWN = re.compile(r"<(script|style|textarea)\b.*?</\1>|<[^>]+>", re.S | re.IGNORECASE)
# Text marked as written in English (a counselor's own exercise, a plan titled only in English) is
# shown as written, and must say so with ``lang``: marked, it is no giveaway; unmarked, it is.
MARKED_ENGLISH = re.compile(r"<(\w+)\b[^>]*\blang=\"en\"[^>]*>.*?</\1>", re.S)
READERS = ("anonymous", "partner_a", "counselor")


def visible_text(page: str) -> str:
    """The words a reader sees: tags, scripts and (people's) text boxes taken out."""
    body = page.split("<body", 1)[-1]  # <html lang="…"> itself is the page's language
    return " ".join(html_lib.unescape(NOT_SHOWN.sub(" ", MARKED_ENGLISH.sub(" ", body))).split())


PEOPLES_WORDS = ("We talk less in the evenings.",)
"""What the world's partners wrote (tests/builders.py): people's words stay as written, in any language."""


def giveaways(text: str) -> list[str]:
    for words in PEOPLES_WORDS:
        text = text.replace(words, " ")
    return [word.strip() for word in ENGLISH_GIVEAWAYS if re.search(rf"\b{re.escape(word.strip())}\b", text)]


def context_of(text: str, words: list[str]) -> str:
    """Where the first giveaway stands in ``text``, with some words around it."""
    at = max(f" {text} ".find(f" {words[0]} "), text.find(words[0]), 0) if words else 0
    return text[max(at - 120, 0):at + 120]


def reads_spanish(app, world: World, person: str) -> None:
    if person == "anonymous":
        return
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == world.emails[person]))
        user.language = "es"
        db.session.commit()


@pytest.mark.parametrize("person", READERS)
def test_every_page_is_in_spanish_for_a_spanish_reader(app, person):
    world = World(app)
    reads_spanish(app, world, person)
    client = logged_in_client(app, world, person)
    problems, seen = [], 0
    for key, rule in sorted(route_keys(app).items()):
        method, endpoint = key.split()
        if method != "GET" or endpoint == "static":
            continue
        url = rule.build({name: value for name, value in world.url_values(endpoint).items()
                          if name in rule.arguments}, append_unknown=False)[1]
        response = client.get(url, headers=SPANISH)
        page = response.get_data(as_text=True) if response.mimetype == "text/html" else ""
        response.close()
        if response.status_code != 200 or not page:
            continue
        seen += 1
        lang = re.search(r'<html lang="([^"]*)"', page)
        if not lang or lang.group(1) != "es":
            problems.append(f"{url}: <html lang> is {lang.group(1) if lang else 'missing'}")
        words = giveaways(visible_text(page))
        if words:
            problems.append(f"{url}: English words {words} in: {context_of(visible_text(page), words)}")
    assert seen >= 3
    assert not problems, f"{person}:\n" + "\n".join(problems)
