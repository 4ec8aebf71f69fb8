"""Command-line commands (flask --app couples ...)."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import vault
from .content import PACKAGED_FOLDER, check_folder, load_library
from .crypto import KEY_FILE_LOOK_EVERY, keyring
from .database import upgrade_database
from .extensions import db
from .services import accounts, live, reminders
from .services import passwords  # accounts

@click.command("create-counselor")
@click.option("--email", required=True, help="The counselor's login email.")
@click.option("--name", required=True, help="The name couples will see.")
@click.password_option(help="Asked for (hidden, twice) when not given.")
@with_appcontext
def create_counselor_command(email: str, name: str, password: str) -> None:
    """Create a counselor account."""
    for problem, param in (
        (accounts.check_email(accounts.normalize_email(email)), "email"),
        (accounts.check_name(name), "name"),
        (accounts.check_password(password), "password"),
    ):
        if problem:
            raise click.BadParameter(problem, param_hint=f"--{param}")
    try:
        user = accounts.create_counselor(email=email, display_name=name, password=password, via="cli")
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Created counselor {user.display_name} <{user.email}>. They can log in now.")


@click.command("demo")
@with_appcontext
def demo_command() -> None:
    """Create or refresh a demo counselor and the demo couple "Alex & Sam", with new passwords."""
    upgrade_database(current_app)
    demo = accounts.ensure_demo()
    click.echo("Demo accounts are ready (passwords are new each time this runs).\n")
    for account in demo["accounts"]:
        click.echo(f"  {account['name']:<15} ({account['role']:<9})  {account['email']:<28}  {account['password']}")
    settings = current_app.config["SETTINGS"]
    click.echo(
        f"\nOpen http://{settings.host}:{settings.port}/login once the server is up: scripts/run starts it\n"
        "right after this (elsewhere, start it with `python wsgi.py`). Each request it serves is logged.\n"
        "To see both partners live, use two browser windows that don't share cookies\n"
        "(for example one normal and one private window, or two browsers):\n"
        "log in as Alex in one and as Sam in the other. Log in as the counselor to see the couple."
    )


@click.command("close-abandoned")
@with_appcontext
def close_abandoned_command() -> None:
    """Close as abandoned every open session untouched for longer than COUPLES_RESUME_DAYS."""
    closed = live.close_abandoned()
    click.echo(f"Closed {closed} abandoned session{'' if closed == 1 else 's'}.")


@click.command("check-content")
@click.argument("folder", required=False, type=click.Path(exists=True, file_okay=False, path_type=Path))
def check_content_command(folder: Path | None) -> None:
    """Check a content folder (default: the packaged library); every problem is printed, one per line."""
    folder = folder or PACKAGED_FOLDER
    problems = check_folder(folder)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        raise SystemExit(1)
    library = load_library(folder)
    click.echo(f"Content is valid: {len(library.exercises)} exercises, {len(library.plans)} plans")


# --- encryption at rest and backups (couples/crypto.py, couples/vault.py) -------------------------


def _sealed_columns() -> list[vault.SealedColumn]:
    return vault.encrypted_columns(db.metadata)


@click.command("rotate-key")
@click.option("--grace", default=2.0, show_default=True, type=click.FloatRange(0, 600),
              help="Seconds the last, clean pass waits after the new key appeared, for writes already under way "
                   f"(at least {2 * KEY_FILE_LOOK_EVERY:g}, twice the time between two looks at the key file by a server).")
@click.option("--keep-old", is_flag=True, help="Keep the old keys in the key file (they are retired by default).")
@with_appcontext
def rotate_key_command(grace: float, keep_old: bool) -> None:
    """Re-encrypt everything under a new key while the servers keep running, then retire the old keys."""
    try:
        rotation = vault.rotate_key(db.engine, keyring(), _sealed_columns(), grace=grace, keep_old=keep_old)
    except vault.VaultError as error:
        raise click.ClickException(str(error)) from error
    resealed = sum(counts.resealed for counts in rotation.passes)
    retaken = sum(counts.conflicts for counts in rotation.passes)
    click.echo(f"New key {rotation.new_key}: {resealed} values re-encrypted in {len(rotation.passes)} passes"
               f" ({retaken} changed by a server meanwhile and taken again).")
    if rotation.retired:
        click.echo(f"Retired {', '.join(rotation.retired)}. Back up the key file now (docs/security.md).")
    if rotation.scrubbed:
        click.echo("The space the old values took is overwritten (VACUUM).")
    else:
        click.echo("The database's write-ahead log could not be emptied while a server was reading; "
                   "its old pages go at the next checkpoint (docs/security.md).", err=True)


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(target: Path) -> None:
    """Write a consistent copy of the database to TARGET while the servers keep running (the key file is separate)."""
    try:
        vault.backup(db.engine, target)
    except vault.VaultError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"Backed up the database to {target}. It is encrypted with {keyring().path}: back that file up too.")


@click.command("restore")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(source: Path) -> None:
    """Restore a backup into this app's database, which must be empty; then check the key file opens it."""
    try:
        vault.restore(db.engine, source)
        missing = vault.missing_keys(db.engine, keyring(), _sealed_columns())
    except vault.VaultError as error:
        raise click.ClickException(str(error)) from error
    if missing:
        raise click.ClickException(f"Restored, but the key file {keyring().path} lacks the keys "
                                   f"{', '.join(sorted(missing))}: restore the key file backed up with this database.")
    click.echo(f"Restored {source}; the key file opens every encrypted value.")


def register(app: Flask) -> None:
    """Attach the commands to ``app``."""
    app.cli.add_command(create_counselor_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(check_content_command)
    app.cli.add_command(reminders.send_reminders_command)
    app.cli.add_command(passwords.password_link_command)  # accounts
    app.cli.add_command(close_abandoned_command)
    app.cli.add_command(rotate_key_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
