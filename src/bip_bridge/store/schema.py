"""The store's tables (SQLAlchemy Core). Pseudonyms, dates, waves and caseworker ids only:
no name, e-mail address or external id is ever stored here (docs/privacy.md).

Changing a table means adding a migration (see bip_bridge.store.migrations).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

# One row per survey bip-bridge provisioned (or adopted by configuration).
surveys = sa.Table(
    "surveys", metadata,
    sa.Column("sid", sa.BigInteger, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # "participant" | "caseworker"
    sa.Column("template_version", sa.String(32), nullable=False),
    sa.Column("structure_hash", sa.String(64), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),  # the survey new waves go to
    sa.Column("provisioned_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("kind", "template_version", name="uq_surveys_kind_version"),
)

# One row per enrolled person, by pseudonym.
participants = sa.Table(
    "participants", metadata,
    sa.Column("pseudonym", sa.String(64), primary_key=True),
    sa.Column("language", sa.String(2), nullable=False),
    sa.Column("enrolled_on", sa.Date, nullable=False),
    sa.Column("ended_on", sa.Date, nullable=True),
    sa.Column("end_reason", sa.String(16), nullable=True),  # work | studies | other
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# Caseworker assignment history: caseworker_id from wave `from_wave` on.
caseworker_assignments = sa.Table(
    "caseworker_assignments", metadata,
    sa.Column("pseudonym", sa.String(64),
              sa.ForeignKey("participants.pseudonym", ondelete="CASCADE"), primary_key=True),
    sa.Column("from_wave", sa.Integer, primary_key=True),
    sa.Column("caseworker_id", sa.String(64), nullable=False),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
)

# One row per token bip-bridge created (or intends to create) in LimeSurvey.
tokens = sa.Table(
    "tokens", metadata,
    sa.Column("sid", sa.BigInteger, primary_key=True),
    sa.Column("pseudonym", sa.String(64),
              sa.ForeignKey("participants.pseudonym", ondelete="CASCADE"), primary_key=True),
    sa.Column("wave", sa.Integer, primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),  # participant | caseworker
    sa.Column("token", sa.String(64), nullable=False, unique=False),
    sa.Column("tid", sa.BigInteger, nullable=True),  # known once LimeSurvey confirmed
    sa.Column("caseworker_id", sa.String(64), nullable=True),
    sa.Column("due_on", sa.Date, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("reminders_sent", sa.Integer, nullable=False, default=0),
    sa.Column("last_reminded_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("completed", sa.Boolean, nullable=False, default=False),
)

# Sync runs: one row per run, with its summary.
sync_runs = sa.Table(
    "sync_runs", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),  # running | ok | failed
    sa.Column("summary", sa.JSON, nullable=True),
)

# Raw responses exactly as LimeSurvey exported them (JSON), keyed by survey and response id.
responses = sa.Table(
    "responses", metadata,
    sa.Column("sid", sa.BigInteger, primary_key=True),
    sa.Column("response_id", sa.BigInteger, primary_key=True),
    sa.Column("pseudonym", sa.String(64), nullable=True, index=True),
    sa.Column("wave", sa.Integer, nullable=True),
    sa.Column("submitted_at", sa.String(32), nullable=True),  # LimeSurvey's submitdate text
    sa.Column("complete", sa.Boolean, nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("data_hash", sa.String(64), nullable=False),
    # ids of sync_runs rows; not foreign keys (migration 0004, docs/store.md): only sync
    # writes them, with the id of the run that is writing
    sa.Column("first_run_id", sa.Integer, nullable=False),
    sa.Column("last_run_id", sa.Integer, nullable=False),
    sa.Column("deleted_in_source", sa.Boolean, nullable=False, default=False),
    # the sync run that found the response gone from LimeSurvey (audit; NULL while present)
    sa.Column("deleted_run_id", sa.Integer, nullable=True),
)

# Partial indexes: they hold only the few rows sync looks up (incomplete, or deleted in
# LimeSurvey), so the many complete rows a sync inserts cost no index write here, while
# the incomplete re-check and the live count never scan the history. The predicates are
# written exactly as sync_state's queries render them, so that SQLite's planner (which
# matches the terms literally) uses them.
_live = responses.c.deleted_in_source.is_(False)
_incomplete = sa.and_(responses.c.complete.is_(False), _live)
_deleted = responses.c.deleted_in_source.is_(True)
sa.Index("ix_responses_incomplete", responses.c.sid, responses.c.response_id,
         sqlite_where=_incomplete, postgresql_where=_incomplete)
sa.Index("ix_responses_deleted", responses.c.sid, responses.c.response_id,
         sqlite_where=_deleted, postgresql_where=_deleted)

# Per survey: the highest response id fully pulled (moves only with the data it covers).
sync_cursors = sa.Table(
    "sync_cursors", metadata,
    sa.Column("sid", sa.BigInteger, primary_key=True),
    sa.Column("max_response_id", sa.BigInteger, nullable=False, default=0),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)

# What was last pushed to a token's attributes (push-back is idempotent by comparing).
pushback_state = sa.Table(
    "pushback_state", metadata,
    sa.Column("sid", sa.BigInteger, primary_key=True),
    sa.Column("tid", sa.BigInteger, primary_key=True),
    sa.Column("values_hash", sa.String(64), nullable=False),
    sa.Column("pushed_at", sa.DateTime(timezone=True), nullable=False),
)

# Erasures: that one happened and when, never who.
erasure_log = sa.Table(
    "erasure_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("tokens_removed", sa.Integer, nullable=False),
    sa.Column("responses_removed", sa.Integer, nullable=False),
    sa.Column("store_rows_removed", sa.Integer, nullable=False),
)

# Erased people: a keyed mark per person (HMAC-SHA256 of the pseudonym under the label
# "erased", bip_bridge.erasure.erasure_mark), so import refuses them and sync skips their
# responses. Nothing readable; without the key not even linkable to a pseudonym.
erased_people = sa.Table(
    "erased_people", metadata,
    sa.Column("mark", sa.String(64), primary_key=True),
    sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
)

# Named locks (one sync at a time).
locks = sa.Table(
    "locks", metadata,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("holder", sa.String(128), nullable=False),
    sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
)

# What bip-bridge itself delivered to people (outreach: caseworker digests, letters), one
# row per item: recorded as "sending" before the e-mail goes out (or the letter is
# written) and "sent" after, so a re-run never delivers an item twice (docs/waves.md).
# Pseudonyms and caseworker ids only: addresses and names stay in LimeSurvey.
deliveries = sa.Table(
    "deliveries", metadata,
    sa.Column("channel", sa.String(16), primary_key=True),  # digest | letter
    sa.Column("sid", sa.BigInteger, primary_key=True),
    sa.Column("pseudonym", sa.String(64),
              sa.ForeignKey("participants.pseudonym", ondelete="CASCADE"), primary_key=True),
    sa.Column("wave", sa.Integer, primary_key=True),
    sa.Column("item", sa.String(16), primary_key=True),  # invite | remind1 | remind2 | letter
    sa.Column("caseworker_id", sa.String(64), nullable=True),
    sa.Column("batch", sa.String(36), nullable=False),  # the digest (or letters run) it was in
    sa.Column("status", sa.String(16), nullable=False),  # sending | sent | uncertain
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("location", sa.String(512), nullable=True),  # a letter's file
)
