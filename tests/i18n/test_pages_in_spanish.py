"""Every page a visitor, a partner or a counselor can open is in Spanish for someone who reads Spanish.

The pages are all the app's GET routes (read from its URL map), opened with the ids of the
authorisation matrix's world (tests/security/test_matrix.py); each HTML page that answers 200 must
say ``<html lang="es">`` and its visible text must hold none of a few common interface words that
give away an English string nobody marked or translated.
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
READERS = ("anonymous", "partner_a", "counselor")


def visible_text(page: str) -> str:
    """The words a reader sees: tags, scripts and (people's) text boxes taken out."""
    return " ".join(html_lib.unescape(NOT_SHOWN.sub(" ", page)).split())


def giveaways(text: str) -> list[str]:
    padded = f" {text} "
    return [word.strip() for word in ENGLISH_GIVEAWAYS if word in padded]


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
            problems.append(f"{url}: English words {words} in: {visible_text(page)[:300]}")
    assert seen >= 3
    assert not problems, f"{person}:\n" + "\n".join(problems)
