"""The EMULATOR's mail methods: invitations and reminders into the outbox (never sent).

Tests and the demo only, never production. Each message is rendered from the survey's
e-mail templates in the participant's language, placeholders filled in.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from typing import Any

from bip_bridge.emulator.base import (
    EmulatorBase,
    Result,
    SentEmail,
    int_or,
    status,
)
from bip_bridge.emulator.state import (
    Survey,
)


class MailMethods(EmulatorBase):
    def _mail(self, survey: Survey, token: dict[str, Any], kind: str) -> SentEmail:
        lang = token.get("language") or ""
        if lang not in survey.languages:
            lang = survey.base_language
        settings = survey.language_settings.get(lang, {})
        key = "invite" if kind == "invite" else "remind"
        subject = str(settings.get(f"surveyls_email_{key}_subj") or "")
        body = str(settings.get(f"surveyls_email_{key}") or "")
        tok = str(token.get("token") or "")
        survey_url = f"{self.base_url}/index.php/{survey.sid}?token={tok}&lang={lang}"
        optout_url = (f"{self.base_url}/index.php/optout/tokens/{survey.sid}"
                      f"?token={tok}&langcode={lang}")
        optin_url = (f"{self.base_url}/index.php/optin/tokens/{survey.sid}"
                     f"?token={tok}&langcode={lang}")
        html_mail = survey.properties.get("htmlemail") == "Y"

        def link(url: str) -> str:
            return f'<a href="{html.escape(url)}">{url}</a>' if html_mail else url

        values = {
            "FIRSTNAME": str(token.get("firstname") or ""),
            "LASTNAME": str(token.get("lastname") or ""),
            "EMAIL": str(token.get("email") or ""), "TOKEN": tok,
            "SURVEYNAME": str(settings.get("surveyls_title") or ""),
            "SURVEYDESCRIPTION": str(settings.get("surveyls_description") or ""),
            "ADMINNAME": str(survey.properties.get("admin") or ""),
            "ADMINEMAIL": str(survey.properties.get("adminemail") or ""),
        }
        for attr in survey.token_attributes or []:
            values[attr.upper()] = str(token.get(attr) or "")
        links = {"SURVEYURL": link(survey_url), "OPTOUTURL": link(optout_url),
                 "OPTINURL": link(optin_url)}

        def fill(text: str, *, with_links: bool) -> str:
            def sub(m: re.Match[str]) -> str:
                name = m.group(1).upper()
                if name.startswith("TOKEN:"):
                    name = name[6:]
                if with_links and name in links:
                    return links[name]
                return values.get(name, m.group(0))

            return re.sub(r"\{([A-Za-z_:0-9]+)\}", sub, text)

        name = f"{values['FIRSTNAME']} {values['LASTNAME']}".strip()
        return SentEmail(
            survey_id=survey.sid, tid=int(token["tid"]), kind=kind,
            to=f"{name} <{values['EMAIL']}>" if name else values["EMAIL"], language=lang,
            subject=fill(subject, with_links=False), body=fill(body, with_links=True),
        )

    def _send(self, survey: Survey, tokens: list[dict[str, Any]], kind: str,
              eligible: int) -> Result:
        """Mail ``tokens``; ``eligible`` counts every token of the survey that could have
        been mailed (any tid): 6.14 reports ``eligible - sent`` as "N left to send" even
        when only some tids were asked for (measured: invite tid 1 of 3 -> "2 left")."""
        stamp = self._now_text(seconds=False)
        result: dict[str, Any] = {}
        tokens = tokens[:max(int(self.maxemails), 1)]  # one call sends at most maxemails
        for token in tokens:
            self.outbox.append(self._mail(survey, token, kind))
            if kind == "invite":
                token["sent"] = stamp
            else:
                token["remindersent"] = stamp
                token["remindercount"] = int(token.get("remindercount") or 0) + 1
            name = f"{token.get('firstname') or ''} {token.get('lastname') or ''}".strip()
            result[str(token["tid"])] = {"name": name, "email": token.get("email"),
                                         "status": "OK", "warning": None, "error": None}
        result["status"] = f"{eligible - len(tokens)} left to send"
        return result

    def _candidates(self, survey: Survey, ids: Any) -> list[dict[str, Any]]:
        wanted = {int_or(t) for t in ids} if isinstance(ids, list) and ids else None
        return [
            t for tid, t in sorted(survey.tokens.items())
            if (wanted is None or tid in wanted) and t.get("email")
            and t.get("emailstatus") == "OK" and t.get("token")
            and (t.get("usesleft") or 0) > 0
        ]

    def invite_participants(
        self, sSessionKey: Any, iSurveyID: Any, aTokenIds: Any = None, bEmail: Any = True
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        eligible = [t for t in self._candidates(survey, None) if t.get("sent") == "N"]
        tokens = [t for t in self._candidates(survey, aTokenIds) if t.get("sent") == "N"]
        if not tokens:
            return status("Error: No candidate tokens")
        return self._send(survey, tokens, "invite", len(eligible))

    def remind_participants(
        self, sSessionKey: Any, iSurveyID: Any, iMinDaysBetween: Any = None,
        iMaxReminders: Any = None, aTokenIds: Any = False,
    ) -> Result:
        survey = self._token_table(iSurveyID)
        if not isinstance(survey, Survey):
            return survey
        now = self._now()
        min_days = int_or(iMinDaysBetween)
        max_reminders = int_or(iMaxReminders)

        def due(t: dict[str, Any]) -> bool:
            if t.get("sent") == "N" or t.get("completed") != "N":
                return False
            if max_reminders and int(t.get("remindercount") or 0) >= max_reminders:
                return False
            if min_days:
                last = t.get("remindersent") if t.get("remindersent") != "N" else t.get("sent")
                try:
                    when = datetime.strptime(str(last), "%Y-%m-%d %H:%M")
                except ValueError:
                    return True
                return now - when >= timedelta(days=min_days)
            return True

        eligible = [t for t in self._candidates(survey, None) if due(t)]
        tokens = [t for t in self._candidates(survey, aTokenIds) if due(t)]
        if not tokens:
            return status("Error: No candidate tokens")
        return self._send(survey, tokens, "remind", len(eligible))
