"""encryption at rest: seal every private value already stored, then overwrite the plain copies

Answers, check-ins, summaries (and their item documents), signed summaries, step results, the
session event log, counselor notes, follow-up notes and reflections, partners' private contact
details and counselors' TOTP secrets are sealed with the key file's newest key
(couples/crypto.py). The column types stay as they were: a sealed JSON value is one JSON string.
Then SQLite's VACUUM (with secure_delete on while sealing) and PostgreSQL's VACUUM FULL rewrite the
tables, so no page keeps an old plain copy.

Revision ID: 0012_encryption
Revises: 0011_leave
Create Date: 2026-11-27 21:00:00

"""
from contextlib import nullcontext

from alembic import op

from couples.crypto import keyring
from couples.vault import SealedColumn, reseal_all, scrub_freed_space, unseal_all


# revision identifiers, used by Alembic.
revision = '0012_encryption'
down_revision = "0011_leave"
branch_labels = None
depends_on = None

COLUMNS = [
    SealedColumn("live_sessions", ("id",), "state", "json"),
    SealedColumn("session_events", ("id",), "data", "json"),
    SealedColumn("step_results", ("id",), "facts", "json"),
    SealedColumn("summaries", ("id",), "state", "json"),
    SealedColumn("summary_item_docs", ("summary_id", "item_id"), "doc", "bytes"),
    SealedColumn("signed_summaries", ("id",), "content", "json"),
    SealedColumn("counselor_notes", ("id",), "text", "text"),
    SealedColumn("followups", ("id",), "note", "text"),
    SealedColumn("followup_reflections", ("id",), "text", "text"),
    SealedColumn("users", ("id",), "private_contact", "text"),
    SealedColumn("users", ("id",), "totp_secret", "text"),
    SealedColumn("users", ("id",), "totp_pending_secret", "text"),
]


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        bind.exec_driver_sql("PRAGMA secure_delete=ON")  # freed cells are zeroed, not left in place
    ring = keyring()
    reseal_all(lambda: nullcontext(bind), COLUMNS, ring, ring.newest)
    with op.get_context().autocommit_block():
        scrub_freed_space(bind, [sealed.table for sealed in COLUMNS])


def downgrade():
    unseal_all(op.get_bind(), COLUMNS, keyring())
