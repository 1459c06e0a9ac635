"""Every text of the caseworker digest, the letters and the meeting sheets, in Swedish,
Danish and English (the cards and the report keep theirs in bip_bridge.reports.i18n).

Participant-facing texts (the letter) use short words and sentences (LIX <= 30).
Texts for caseworkers avoid naming their role, so they follow whatever word an
association uses for it.
"""

from __future__ import annotations

from typing import Any

LANGUAGES = ("sv", "da", "en")

TEXTS: dict[str, dict[str, str]] = {
    # --- waves in words
    "wave_first": {"sv": "första mätningen", "da": "første måling",
                   "en": "the first measurement"},
    "wave_later": {
        "sv": "mätning {number} ({months} månader efter start)",
        "da": "måling {number} ({months} måneder efter start)",
        "en": "measurement {number} ({months} months after the start)",
    },
    # --- caseworker digest (e-mail)
    "digest_subject_one": {
        "sv": "BIP: 1 bedömning att fylla i",
        "da": "BIP: 1 vurdering at udfylde",
        "en": "BIP: 1 assessment to fill in",
    },
    "digest_subject": {
        "sv": "BIP: {count} bedömningar att fylla i",
        "da": "BIP: {count} vurderinger at udfylde",
        "en": "BIP: {count} assessments to fill in",
    },
    "digest_greeting": {"sv": "Hej!", "da": "Hej!", "en": "Hello,"},
    "digest_new": {
        "sv": "Det är dags att fylla i din bedömning för de här deltagarna:",
        "da": "Det er tid til at udfylde din vurdering af disse deltagere:",
        "en": "It is time to fill in your assessment of these participants:",
    },
    "digest_reminder": {
        "sv": "Påminnelse: de här bedömningarna är fortfarande öppna:",
        "da": "Påmindelse: disse vurderinger er stadig åbne:",
        "en": "Reminder: these assessments are still open:",
    },
    "digest_due": {"sv": "från {date}", "da": "fra {date}", "en": "since {date}"},
    "digest_link_note": {
        "sv": "Varje länk gäller en deltagare och en mätning. Skicka inte länkarna vidare.",
        "da": "Hvert link gælder én deltager og én måling. Send ikke linkene videre.",
        "en": "Each link is for one participant and one measurement. Do not forward them.",
    },
    "digest_footer": {
        "sv": "Det här e-postmeddelandet skickades av bip-bridge. Du får ett meddelande "
              "per körning med allt som är aktuellt för dig.",
        "da": "Denne e-mail blev sendt af bip-bridge. Du får én e-mail pr. kørsel med alt, "
              "der er aktuelt for dig.",
        "en": "This e-mail was sent by bip-bridge. You get one e-mail per run listing "
              "everything that is due for you.",
    },
    # --- progression cards by e-mail (report --email-cards)
    "cards_subject": {"sv": "BIP: progressionskort {date}", "da": "BIP: progressionskort {date}",
                      "en": "BIP: progression cards {date}"},
    "cards_body": {
        "sv": "Hej!\n\nHär är progressionskorten för dina deltagare från rapporten den "
              "{date} ({count} st.). Öppna index.html för en översikt.\n\nKorten innehåller "
              "personuppgifter. Spara dem inte på delade platser, och radera meddelandet när "
              "du inte behöver det längre.\n\n--\nSkickat av bip-bridge.\n",
        "da": "Hej!\n\nHer er progressionskortene for dine deltagere fra rapporten den "
              "{date} ({count} stk.). Åbn index.html for et overblik.\n\nKortene indeholder "
              "personoplysninger. Gem dem ikke på delte steder, og slet beskeden, når du ikke "
              "har brug for den længere.\n\n--\nSendt af bip-bridge.\n",
        "en": "Hello,\n\nHere are the progression cards of your participants from the report "
              "of {date} ({count}). Open index.html for an overview.\n\nThe cards hold "
              "personal data. Do not keep them in shared places, and delete this message "
              "when you no longer need it.\n\n--\nSent by bip-bridge.\n",
    },
    # --- letter to a participant (paper)
    "letter_title": {"sv": "Dags att svara", "da": "Tid til at svare", "en": "Time to answer"},
    "letter_greeting": {"sv": "Hej {name}!", "da": "Hej {name}!", "en": "Hello {name},"},
    "letter_intro": {
        "sv": "Nu är det dags för {wave}. Vi vill veta hur du har det och vad du tänker om "
              "arbete. Det tar en kort stund.",
        "da": "Nu er det tid til {wave}. Vi vil gerne vide, hvordan du har det, og hvad du "
              "tænker om arbejde. Det tager kort tid.",
        "en": "It is time for {wave}. We want to know how you are and what you think about "
              "work. It takes a short while.",
    },
    "letter_scan": {
        "sv": "Skanna koden med mobilens kamera.",
        "da": "Skan koden med mobilens kamera.",
        "en": "Scan the code with your phone's camera.",
    },
    "letter_or_type": {
        "sv": "Eller skriv in länken i en webbläsare:",
        "da": "Eller skriv linket i en browser:",
        "en": "Or type the link into a web browser:",
    },
    "letter_own": {
        "sv": "Länken är bara din. Visa den inte för andra.",
        "da": "Linket er kun dit. Vis det ikke til andre.",
        "en": "The link is yours only. Do not show it to others.",
    },
    "letter_meeting": {
        "sv": "Du kan också svara när vi ses nästa gång. Ta med brevet då.",
        "da": "Du kan også svare, når vi ses næste gang. Tag brevet med.",
        "en": "You can also answer when we meet next time. Bring this letter.",
    },
    "letter_since": {"sv": "Öppen från {date}", "da": "Åben fra {date}",
                     "en": "Open from {date}"},
    # --- meeting sheet (for the caseworker)
    "sheet_title": {"sv": "Öppna länkar", "da": "Åbne links", "en": "Open links"},
    "sheet_intro": {
        "sv": "Deltagare som ännu inte har svarat på den aktuella mätningen, den {date}. "
              "Deltagaren kan skanna koden i mötet; din egen bedömning har en egen länk.",
        "da": "Deltagere, der endnu ikke har svaret på den aktuelle måling, den {date}. "
              "Deltageren kan skanne koden på mødet; din egen vurdering har sit eget link.",
        "en": "Participants who have not yet answered the current measurement, as of {date}. "
              "The participant can scan the code in the meeting; your own assessment has its "
              "own link.",
    },
    "sheet_participant": {"sv": "Deltagare", "da": "Deltager", "en": "Participant"},
    "sheet_wave": {"sv": "Mätning", "da": "Måling", "en": "Measurement"},
    "sheet_link": {"sv": "Deltagarens länk", "da": "Deltagerens link",
                   "en": "Participant's link"},
    "sheet_own": {"sv": "Din bedömning", "da": "Din vurdering", "en": "Your assessment"},
    "sheet_answered": {"sv": "besvarad", "da": "besvaret", "en": "answered"},
    "sheet_none": {
        "sv": "Inga öppna länkar just nu.",
        "da": "Ingen åbne links lige nu.",
        "en": "No open links right now.",
    },
    "sheet_private": {
        "sv": "Innehåller personuppgifter. Förvara och förstör som annat klientmaterial.",
        "da": "Indeholder personoplysninger. Opbevar og destruer som andet klientmateriale.",
        "en": "Contains personal data. Keep and destroy it like other client records.",
    },
}


def text(key: str, language: str, **values: Any) -> str:
    """The text ``key`` in ``language`` (English when the language is not offered)."""
    entry = TEXTS[key]
    template = entry.get(language) or entry["en"]
    return template.format(**values) if values else template


def wave_words(wave: int, language: str, interval_months: int = 3) -> str:
    """A wave as people say it: "första mätningen", "mätning 2 (3 månader efter start)"."""
    if wave <= 0:
        return text("wave_first", language)
    return text("wave_later", language, number=wave + 1, months=wave * interval_months)


def format_date(day: Any, language: str) -> str:
    """A date as a reader of ``language`` writes it (ISO in sv; 31.1.2026 in da)."""
    if language == "da":
        return f"{day.day}.{day.month}.{day.year}"
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return day.isoformat()


MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")
