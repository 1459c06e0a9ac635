"""Deliver one e-mail at most once: the store's ``deliveries`` rows around the SMTP send.

1. the message's items are written as ``sending`` (one transaction);
2. the message goes to the SMTP server;
3. the items become ``sent`` (one transaction, with whatever else the caller records).

A row means "never again". Rows left ``sending`` by a run cut off between 2 and 3
become ``uncertain`` on the next run (the server may have taken the message) and are
not sent again. A :class:`~bip_bridge.errors.MailError` means the server did not take
the message: its rows are removed and the items stay due.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa

from bip_bridge.store import schema

log = logging.getLogger(__name__)

SENDING, SENT, UNCERTAIN = "sending", "sent", "uncertain"
Sender = Callable[[EmailMessage], None]
Key = tuple[int, str, int, str]  # (sid, pseudonym, wave, item)


def delivered_keys(conn: sa.Connection, channel: str) -> set[Key]:
    """Every item of ``channel`` that has a row (sent, sending or uncertain)."""
    d = schema.deliveries
    rows = conn.execute(sa.select(d.c.sid, d.c.pseudonym, d.c.wave, d.c.item)
                        .where(d.c.channel == channel))
    return {(int(r.sid), r.pseudonym, int(r.wave), r.item) for r in rows}


def settle_interrupted(engine: sa.Engine, channel: str, now: datetime,
                       on_settled: Callable[[sa.Connection, Sequence[Any]], None] | None = None
                       ) -> int:
    """Rows left ``sending`` become ``uncertain`` (``on_settled`` sees them in the same
    transaction). Returns how many."""
    d = schema.deliveries
    with engine.begin() as conn:
        rows = conn.execute(sa.select(d).where(d.c.channel == channel,
                                               d.c.status == SENDING)).all()
        if not rows:
            return 0
        if on_settled is not None:
            on_settled(conn, rows)
        conn.execute(sa.update(d).where(d.c.channel == channel, d.c.status == SENDING)
                     .values(status=UNCERTAIN))
    log.warning("%d %s item(s) were being sent when a run was cut off; they are not sent "
                "again", len(rows), channel)
    return len(rows)


def send_once(engine: sa.Engine, channel: str, keys: Sequence[Key], message: EmailMessage,
              send: Sender, *, caseworker_id: str | None, now: datetime,
              on_sent: Callable[[sa.Connection, Sequence[Any]], None] | None = None) -> None:
    """Steps 1-3 of the module doc for one message. Raises MailError (rows removed)."""
    from bip_bridge.errors import MailError

    d = schema.deliveries
    batch = str(uuid.uuid4())
    with engine.begin() as conn:
        for sid, pseudonym, wave, item in keys:
            conn.execute(sa.insert(d).values(
                channel=channel, sid=sid, pseudonym=pseudonym, wave=wave, item=item,
                caseworker_id=caseworker_id, batch=batch, status=SENDING, recorded_at=now))
    try:
        send(message)
    except MailError:
        with engine.begin() as conn:
            conn.execute(sa.delete(d).where(d.c.channel == channel, d.c.batch == batch))
        raise
    with engine.begin() as conn:
        if on_sent is not None:
            rows = conn.execute(sa.select(d).where(d.c.channel == channel,
                                                   d.c.batch == batch)).all()
            on_sent(conn, rows)
        conn.execute(sa.update(d).where(d.c.channel == channel, d.c.batch == batch)
                     .values(status=SENT, sent_at=now))
