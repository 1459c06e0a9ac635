"""The due-list: what to create, invite, remind or withdraw on a given day. Pure, so a
year can be walked in tests (docs/waves.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta

from bip_bridge.cohort import KINDS, WaveState
from bip_bridge.config import Settings, WaveSettings
from bip_bridge.wave_calendar import current_wave, due_date


@dataclass(frozen=True)
class Action:
    """One thing to do for one token. ``op`` is create, invite, remind or withdraw."""

    op: str
    kind: str
    pseudonym: str
    wave: int
    due_on: date
    caseworker_id: str | None = None
    reminder: int = 0  # the reminder's number (1, 2, ...) for op == "remind"

    def describe(self) -> str:
        what = {"create": "create token", "invite": "send invitation",
                "remind": f"send reminder {self.reminder}",
                "withdraw": "withdraw the not yet invited token"}[self.op]
        return (f"{what}: {self.kind} survey, participant {self.pseudonym[:12]}…, "
                f"wave {self.wave} (due {self.due_on.isoformat()})")


def due_actions(state: WaveState, today: date, settings: Settings | WaveSettings) -> list[Action]:
    """What is due on ``today``. Pure.

    * the current wave (the latest one due) of every active participant gets a token in
      both surveys, then an invitation (on its due date, or the first run after it);
    * reminders ``reminder_days`` after the invitation (normally sent on the due date),
      never closer together than the gap between two configured days, only to invited,
      not-completed tokens of the current wave;
    * earlier waves that were never created are not created late (a missing wave is
      missing data, not a late one); a wave's reminders stop when the next wave is due;
    * ended participants get nothing new; tokens created in advance for a wave due after
      the end (a caseworker change) are withdrawn unless already invited.
    """
    waves = settings.waves if isinstance(settings, Settings) else settings
    days = waves.reminder_days
    actions: list[Action] = []
    for pseudonym in sorted(state.participants):
        person = state.participants[pseudonym]
        if person.ended_on is not None:
            for (kind, p, wave), tok in sorted(state.tokens.items()):
                if (p == pseudonym and tok.due_on > person.ended_on and tok.invited_on is None
                        and not tok.completed):
                    actions.append(Action("withdraw", kind, p, wave, tok.due_on,
                                          tok.caseworker_id))
            continue
        k = current_wave(person.enrolled_on, today, waves.interval_months)
        if k < 0:
            continue
        due = due_date(person.enrolled_on, k, waves.interval_months)
        cw = person.caseworker_at(k)
        for kind in KINDS:
            existing = state.tokens.get((kind, pseudonym, k))
            if existing is None or existing.tid is None:
                actions.append(Action("create", kind, pseudonym, k, due, cw))
                actions.append(Action("invite", kind, pseudonym, k, due, cw))
                continue
            tok = existing
            if tok.completed:
                continue
            if tok.invited_on is None:
                actions.append(Action("invite", kind, pseudonym, k, due, tok.caseworker_id))
                continue
            n = tok.reminders_sent
            if n >= len(days) or today < tok.invited_on + relativedelta(days=days[n]):
                continue
            if n > 0 and tok.last_reminded_on is not None and \
                    today < tok.last_reminded_on + relativedelta(days=days[n] - days[n - 1]):
                continue
            actions.append(Action("remind", kind, pseudonym, k, due, tok.caseworker_id,
                                  reminder=n + 1))
    return actions
