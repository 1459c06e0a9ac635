"""Every text of the HTML report and the progression cards, in Swedish, Danish and English,
plus number formatting per language (decimal comma in sv/da).

Indicator and belief-category labels are not here: they come from the measurement model
(the survey templates), so an association's own wording shows up in its reports.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from bip_bridge.model import LANGUAGES
from bip_bridge.reports.i18n_report import REPORT_TEXTS

TEXTS: dict[str, dict[str, str]] = {
    # --- report: frame
    "report_title": {
        "sv": "BIP-progression – rapport",
        "da": "BIP-progression – rapport",
        "en": "BIP progression – report",
    },
    "generated": {"sv": "Rapportdatum", "da": "Rapportdato", "en": "Report date"},
    "template_version": {"sv": "Mallversion", "da": "Skabelonversion", "en": "Template version"},
    "participants_total": {
        "sv": "Deltagare med minst ett svar",
        "da": "Deltagere med mindst ét svar",
        "en": "Participants with at least one response",
    },
    "contents": {"sv": "Innehåll", "da": "Indhold", "en": "Contents"},
    # --- sections
    "sec_waves": {
        "sv": "Deltagare och svarsfrekvens per mättillfälle",
        "da": "Deltagere og svarprocent pr. måling",
        "en": "Participants and response rates per wave",
    },
    "sec_time": {"sv": "Progression över tid", "da": "Progression over tid",
                 "en": "Progression over time"},
    "sec_groups": {
        "sv": "Progression efter insatser, handledare och tilltro",
        "da": "Progression efter indsatser, sagsbehandler og tro",
        "en": "Progression by interventions, caseworker and belief",
    },
    "sec_outcomes": {"sv": "Utfall", "da": "Udfald", "en": "Outcomes"},
    "sec_quality": {"sv": "Datakvalitet", "da": "Datakvalitet", "en": "Data quality"},
    "sec_method": {"sv": "Metod", "da": "Metode", "en": "Method"},
    # --- wave table
    "wave": {"sv": "Mättillfälle", "da": "Måling", "en": "Wave"},
    "wave_short": {"sv": "Mätn.", "da": "Mål.", "en": "Wave"},
    "baseline": {"sv": "start", "da": "start", "en": "baseline"},
    "invited_p": {"sv": "Inbjudna deltagare", "da": "Inviterede deltagere",
                  "en": "Participants invited"},
    "answered_p": {"sv": "Svar deltagare", "da": "Svar deltagere", "en": "Participant responses"},
    "rate_p": {"sv": "Svarsfrekvens deltagare", "da": "Svarprocent deltagere",
               "en": "Participant response rate"},
    "invited_c": {"sv": "Inbjudningar handledare", "da": "Invitationer sagsbehandlere",
                  "en": "Caseworker invitations"},
    "answered_c": {"sv": "Svar handledare", "da": "Svar sagsbehandlere",
                   "en": "Caseworker responses"},
    "rate_c": {"sv": "Svarsfrekvens handledare", "da": "Svarprocent sagsbehandlere",
               "en": "Caseworker response rate"},
    "no_invitations": {
        "sv": "Inga uppgifter om inbjudningar finns; bara antalet svar visas.",
        "da": "Der findes ingen oplysninger om invitationer; kun antallet af svar vises.",
        "en": "No invitation data is available; only the numbers of responses are shown.",
    },
    # --- time
    "time_intro": {
        "sv": "Medelvärde av deltagarindex (P) och handledarindex (C) per mättillfälle, "
              "med 95 % konfidensintervall. Skala 1–10.",
        "da": "Gennemsnit af deltagerindeks (P) og sagsbehandlerindeks (C) pr. måling, "
              "med 95 % konfidensinterval. Skala 1–10.",
        "en": "Mean participant index (P) and caseworker index (C) per wave, with 95 % "
              "confidence intervals. Scale 1–10.",
    },
    "p_index": {"sv": "Deltagarindex (P)", "da": "Deltagerindeks (P)",
                "en": "Participant index (P)"},
    "c_index": {"sv": "Handledarindex (C)", "da": "Sagsbehandlerindeks (C)",
                "en": "Caseworker index (C)"},
    "index_axis": {"sv": "Index (1–10)", "da": "Indeks (1–10)", "en": "Index (1–10)"},
    "change_axis": {"sv": "Förändring per period", "da": "Ændring pr. periode",
                    "en": "Change per period"},
    # --- cohort
    "groups_intro": {
        "sv": "Förändring av index under en period (från ett mättillfälle till nästa), "
              "grupperad efter periodens egenskaper. Medelvärde med 95 % konfidensintervall "
              "och andel som förbättrats, är oförändrade eller försämrats.",
        "da": "Ændring af indeks i en periode (fra én måling til den næste), grupperet efter "
              "periodens egenskaber. Gennemsnit med 95 % konfidensinterval og andel, der er "
              "forbedret, uændret eller forværret.",
        "en": "Change of the indices over a period (from one wave to the next), grouped by "
              "the period's properties. Mean with 95 % confidence interval and the shares "
              "improved, unchanged and declined.",
    },
    "measure": {"sv": "Mått", "da": "Mål", "en": "Measure"},
    "group": {"sv": "Grupp", "da": "Gruppe", "en": "Group"},
    "n": {"sv": "Antal", "da": "Antal", "en": "n"},
    "mean": {"sv": "Medelvärde", "da": "Gennemsnit", "en": "Mean"},
    "sd": {"sv": "Standardavvikelse", "da": "Standardafvigelse", "en": "Standard deviation"},
    "ci": {"sv": "95 % konfidensintervall", "da": "95 % konfidensinterval",
           "en": "95 % confidence interval"},
    "share_improved": {"sv": "Förbättrade", "da": "Forbedret", "en": "Improved"},
    "share_unchanged": {"sv": "Oförändrade", "da": "Uændret", "en": "Unchanged"},
    "share_declined": {"sv": "Försämrade", "da": "Forværret", "en": "Declined"},
    "suppressed": {"sv": "för få", "da": "for få", "en": "too few"},
    "no_data": {"sv": "Inga uppgifter ännu.", "da": "Ingen data endnu.", "en": "No data yet."},
    "d_p": {"sv": "Förändring deltagarindex (ΔP)", "da": "Ændring deltagerindeks (ΔP)",
            "en": "Change of participant index (ΔP)"},
    "d_c": {"sv": "Förändring handledarindex (ΔC)", "da": "Ændring sagsbehandlerindeks (ΔC)",
            "en": "Change of caseworker index (ΔC)"},
    "in_work_or_studies": {"sv": "Andel i arbete eller studier",
                           "da": "Andel i arbejde eller uddannelse",
                           "en": "Share in work or studies"},
    # groupings
    "grouping_parallel": {"sv": "Antal parallella insatstyper", "da": "Antal parallelle "
                          "indsatstyper", "en": "Number of parallel intervention types"},
    "grouping_combo": {"sv": "Kombination av insatser", "da": "Kombination af indsatser",
                       "en": "Combination of interventions"},
    "grouping_continuous": {"sv": "Insatser utan uppehåll", "da": "Indsatser uden pauser",
                            "en": "Interventions without gaps"},
    "grouping_caseworker_changed": {"sv": "Byte av handledare", "da": "Skift af sagsbehandler",
                                    "en": "Change of caseworker"},
    "grouping_belief_start": {"sv": "Handledarens tilltro vid periodens start",
                              "da": "Sagsbehandlerens tro ved periodens start",
                              "en": "Caseworker's belief at the start of the period"},
    "grouping_all": {"sv": "Alla perioder", "da": "Alle perioder", "en": "All periods"},
    "finding_parallel": {
        "sv": "BIP: insatser parallellt med en jobbinriktad insats gav mer progression än "
              "insatser i steg.",
        "da": "BIP: indsatser parallelt med en jobrettet indsats gav mere progression end "
              "indsatser i trin.",
        "en": "BIP: interventions in parallel with a job-oriented one gave more progression "
              "than step-by-step ones.",
    },
    "finding_combo": {
        "sv": "BIP: jobbinriktade insatser ger progression på egen hand; övriga bara "
              "tillsammans med en jobbinriktad.",
        "da": "BIP: jobrettede indsatser giver progression alene; øvrige kun sammen med en "
              "jobrettet.",
        "en": "BIP: job-oriented interventions create progression on their own; others only "
              "together with a job-oriented one.",
    },
    "finding_continuous": {
        "sv": "BIP: uppehåll utan insats gav tillbakagång.",
        "da": "BIP: pauser uden indsats gav tilbagegang.",
        "en": "BIP: gaps without any intervention led to regression.",
    },
    "finding_caseworker_changed": {
        "sv": "BIP: byte av handledare sänkte chansen till arbete med omkring 22 %.",
        "da": "BIP: skift af sagsbehandler sænkede jobchancen med omkring 22 %.",
        "en": "BIP: a change of caseworker lowered the job chance by about 22 %.",
    },
    "finding_belief_start": {
        "sv": "BIP: handledarens tilltro var den starkaste enskilda faktorn.",
        "da": "BIP: sagsbehandlerens tro var den stærkeste enkeltfaktor.",
        "en": "BIP: the caseworker's belief was the strongest single factor.",
    },
    # group values
    "combo_none": {"sv": "inga insatser", "da": "ingen indsatser", "en": "no interventions"},
    "combo_job_only": {"sv": "bara jobbinriktad", "da": "kun jobrettet", "en": "job-oriented only"},
    "combo_job_plus": {"sv": "jobbinriktad + annan", "da": "jobrettet + anden",
                       "en": "job-oriented + other"},
    "combo_other_only": {"sv": "bara andra insatser", "da": "kun andre indsatser",
                         "en": "other interventions only"},
    "yes": {"sv": "ja", "da": "ja", "en": "yes"},
    "missing": {"sv": "uppgift saknas", "da": "oplysning mangler", "en": "not known"},
    "all": {"sv": "alla", "da": "alle", "en": "all"},
    "all_waves": {"sv": "alla mättillfällen", "da": "alle målinger", "en": "all waves"},
    "no": {"sv": "nej", "da": "nej", "en": "no"},
    # outcomes / quality
    "quality_count": {"sv": "Antal per typ", "da": "Antal pr. type", "en": "Count per kind"},
    "kind": {"sv": "Typ", "da": "Type", "en": "Kind"},
    # data-quality kinds (metrics.data_quality "kind" codes)
    "dq_incomplete_ignored": {"sv": "Ofullständigt svar, räknas inte",
                              "da": "Ufuldstændigt svar, tælles ikke",
                              "en": "Incomplete response, not counted"},
    "dq_missing_pseudonym": {"sv": "Svar utan pseudonym", "da": "Svar uden pseudonym",
                             "en": "Response without a pseudonym"},
    "dq_missing_wave": {"sv": "Svar utan mättillfälle", "da": "Svar uden måling",
                        "en": "Response without a wave"},
    "dq_invalid_wave": {"sv": "Ogiltigt mättillfälle", "da": "Ugyldig måling",
                        "en": "Invalid wave number"},
    "dq_duplicate_response": {"sv": "Dubbelt svar (det senare räknas)",
                              "da": "Dobbelt svar (det seneste tælles)",
                              "en": "Duplicate response (the later one counts)"},
    "dq_out_of_range": {"sv": "Svar utanför skalan (räknas som saknat)",
                        "da": "Svar uden for skalaen (tælles som manglende)",
                        "en": "Answer outside the scale (counted as missing)"},
    "dq_caseworker_without_participant": {
        "sv": "Handledarsvar utan deltagarsvar",
        "da": "Sagsbehandlersvar uden deltagersvar",
        "en": "Caseworker response without a participant response"},
    "dq_late_wave": {"sv": "Sent besvarat mättillfälle", "da": "Sent besvaret måling",
                     "en": "Wave answered late"},
    "belief_start": {"sv": "Tilltro vid start", "da": "Tro ved start", "en": "Belief at start"},
    "n_in_work_or_studies": {"sv": "I arbete eller studier", "da": "I arbejde eller uddannelse",
                             "en": "In work or studies"},
    "share": {"sv": "Andel", "da": "Andel", "en": "Share"},
    "questionnaire": {"sv": "Enkät", "da": "Spørgeskema", "en": "Questionnaire"},
    "detail": {"sv": "Beskrivning", "da": "Beskrivelse", "en": "Detail"},
    "response_id": {"sv": "Svars-id", "da": "Svar-id", "en": "Response id"},
    "sid": {"sv": "Enkät-id", "da": "Spørgeskema-id", "en": "Survey id"},
    "count": {"sv": "Antal", "da": "Antal", "en": "Count"},
    "pseudonym": {"sv": "Pseudonym", "da": "Pseudonym", "en": "Pseudonym"},
    "period": {"sv": "Period", "da": "Periode", "en": "Period"},
    "caseworker": {"sv": "Handledare", "da": "Sagsbehandler", "en": "Caseworker"},
    "participant": {"sv": "Deltagare", "da": "Deltager", "en": "Participant"},
}

# --- progression cards and the caseworker's index page (reports/card_view.py, cards.py).
# Read aloud with the participant: short words and sentences (tests/test_wording.py keeps
# the sv and da texts at LIX <= 30). "Handledare" is the one Swedish word for the
# caseworker (docs/templates.md).
CARD_TEXTS: dict[str, dict[str, str]] = {
    "card_title": {"sv": "Så går det för {name}", "da": "Sådan går det for {name}",
                   "en": "How things are going for {name}"},
    "card_meta": {"sv": "Handledare: {caseworker}. Utskrivet {date}.",
                  "da": "Sagsbehandler: {caseworker}. Udskrevet {date}.",
                  "en": "Caseworker: {caseworker}. Printed {date}."},
    "card_intro": {
        "sv": "Här ser du dina svar och din handledares svar. Ett svar är ett tal från {min} "
              "till {max}. Ett högt tal är bra. Prata om det som har ändrats.",
        "da": "Her ser du dine svar og din sagsbehandlers svar. Et svar er et tal fra {min} "
              "til {max}. Et højt tal er godt. Tal om det, der har ændret sig.",
        "en": "Here you see your answers and your caseworker's answers. An answer is a number "
              "from {min} to {max}. A high number is good. Talk about what has changed.",
    },
    "card_sec_belief": {"sv": "Tror din handledare att du har jobb eller studier om ett år?",
                        "da": "Tror din sagsbehandler, at du har job eller uddannelse om et år?",
                        "en": "Does your caseworker think you will work or study in a year?"},
    "card_at_start": {"sv": "Start:", "da": "Start:", "en": "Start:"},
    "card_now": {"sv": "Nu:", "da": "Nu:", "en": "Now:"},
    "card_no_answer": {"sv": "Inget svar än.", "da": "Intet svar endnu.", "en": "No answer yet."},
    "card_of_scale": {"sv": "{value} av {max}", "da": "{value} af {max}",
                      "en": "{value} of {max}"},
    "card_sec_profile": {"sv": "Dina svar och din handledares svar",
                         "da": "Dine svar og din sagsbehandlers svar",
                         "en": "Your answers and your caseworker's answers"},
    "card_you": {"sv": "Du", "da": "Du", "en": "You"},
    "card_cw": {"sv": "Handledaren", "da": "Sagsbehandleren", "en": "Caseworker"},
    "card_start": {"sv": "start", "da": "start", "en": "start"},
    "card_now_short": {"sv": "nu", "da": "nu", "en": "now"},
    "card_lg_p_start": {"sv": "du vid start", "da": "du ved start", "en": "you at the start"},
    "card_lg_p_now": {"sv": "du nu", "da": "du nu", "en": "you now"},
    "card_lg_c_start": {"sv": "handledaren vid start", "da": "sagsbehandleren ved start",
                        "en": "caseworker at the start"},
    "card_lg_c_now": {"sv": "handledaren nu", "da": "sagsbehandleren nu",
                      "en": "caseworker now"},
    "card_sec_time": {"sv": "Så har det gått över tid", "da": "Sådan er det gået over tid",
                      "en": "How it has gone over time"},
    "card_lg_p_line": {"sv": "dina svar i snitt", "da": "dine svar i snit",
                       "en": "your answers on average"},
    "card_lg_c_line": {"sv": "handledarens svar i snitt", "da": "sagsbehandlerens svar i snit",
                       "en": "your caseworker's answers on average"},
    "card_time_note": {
        "sv": "Varje punkt är ett snitt av alla svar vid en mätning. Tiden räknas i månader "
              "från den första mätningen.",
        "da": "Hvert punkt er et snit af alle svar ved en måling. Tiden tælles i måneder fra "
              "den første måling.",
        "en": "Each point is the average of all answers at one measurement. Time is counted "
              "in months from the first one.",
    },
    "start_short": {"sv": "Start", "da": "Start", "en": "Start"},
    "card_sec_periods": {"sv": "Stöd mellan mätningarna", "da": "Støtte mellem målingerne",
                         "en": "Support between the measurements"},
    "card_measurement": {"sv": "Månader från start", "da": "Måneder fra start",
                         "en": "Months from the start"},
    "card_period_label": {"sv": "{a}–{b} mån", "da": "{a}–{b} mdr.", "en": "{a}–{b} mo"},
    "card_months": {"sv": "{m} mån", "da": "{m} mdr.", "en": "{m} mo"},
    "card_months_up_to": {"sv": "Månader från start, till", "da": "Måneder fra start, til",
                          "en": "Months from the start, to"},
    "card_ins_JOB": {"sv": "Stöd att få jobb", "da": "Støtte til at få job",
                     "en": "Help to find a job"},
    "card_ins_KOMP": {"sv": "Kurs eller utbildning", "da": "Kursus eller uddannelse",
                      "en": "Course or education"},
    "card_ins_SOC": {"sv": "Stöd i vardagen", "da": "Støtte i hverdagen",
                     "en": "Help in everyday life"},
    "card_ins_HALSA": {"sv": "Stöd för hälsan", "da": "Støtte til helbredet",
                       "en": "Help with health"},
    "card_level_full": {"sv": "hela tiden", "da": "hele tiden", "en": "all the time"},
    "card_level_part": {"sv": "en del", "da": "en del", "en": "some"},
    "card_level_none": {"sv": "inte alls", "da": "slet ikke", "en": "not at all"},
    "card_level_unknown": {"sv": "?", "da": "?", "en": "?"},
    "card_gap_weeks": {"sv": "Veckor utan stöd", "da": "Uger uden støtte",
                       "en": "Weeks with no help"},
    "card_new_caseworker": {"sv": "Ny handledare", "da": "Ny sagsbehandler",
                            "en": "New caseworker"},
    "card_new_caseworker_mark": {"sv": "ja", "da": "ja", "en": "yes"},
    "card_lg_full": {"sv": "hela tiden", "da": "hele tiden", "en": "all the time"},
    "card_lg_part": {"sv": "en del av tiden", "da": "en del af tiden", "en": "some of the time"},
    "card_lg_none": {"sv": "inte alls", "da": "slet ikke", "en": "not at all"},
    "card_lg_unknown": {"sv": "inget svar från handledaren", "da": "intet svar fra "
                        "sagsbehandleren", "en": "no answer from the caseworker"},
    "card_no_periods": {"sv": "Det finns bara en mätning än.",
                        "da": "Der er kun én måling endnu.",
                        "en": "There is only one measurement so far."},
    "card_footer": {
        "sv": "Svaren går från {min} (stämmer inte alls) till {max} (stämmer helt). "
              "Streck betyder inget svar. bip-bridge {version}.",
        "da": "Svarene går fra {min} (passer slet ikke) til {max} (passer helt). "
              "Streg betyder intet svar. bip-bridge {version}.",
        "en": "Answers go from {min} (not true at all) to {max} (completely true). "
              "A dash means no answer. bip-bridge {version}.",
    },
    "card_footer_pseudonym": {
        "sv": "Namnet kunde inte hämtas, så kortet visar en kod.",
        "da": "Navnet kunne ikke hentes, så kortet viser en kode.",
        "en": "The name could not be fetched, so the card shows a code.",
    },
    "unassigned": {"sv": "ingen handledare", "da": "ingen sagsbehandler",
                   "en": "no caseworker"},
    # the caseworker's index page
    "cards_index_title": {"sv": "Mina deltagare – handledare {caseworker}",
                          "da": "Mine deltagere – sagsbehandler {caseworker}",
                          "en": "My participants – caseworker {caseworker}"},
    "cards_index_meta": {"sv": "{count} deltagare. Utskrivet {date}.",
                         "da": "{count} deltagere. Udskrevet {date}.",
                         "en": "{count} participant(s). Printed {date}."},
    "cards_col_name": {"sv": "Förnamn", "da": "Fornavn", "en": "First name"},
    "cards_col_last": {"sv": "Senast besvarad mätning", "da": "Senest besvarede måling",
                       "en": "Last measurement answered"},
    "cards_col_next": {"sv": "Nästa mätning", "da": "Næste måling", "en": "Next measurement"},
    "cards_col_card": {"sv": "Kort", "da": "Kort", "en": "Card"},
    "cards_open": {"sv": "Öppna kortet", "da": "Åbn kortet", "en": "Open the card"},
    "cards_col_due": {"sv": "Datum", "da": "Dato", "en": "Date"},
    "cards_wave_short": {"sv": "mätning {number} ({months} mån)",
                         "da": "måling {number} ({months} mdr.)",
                         "en": "measurement {number} ({months} mo)"},
    "cards_overdue": {"sv": "{date} (försenad)", "da": "{date} (forsinket)",
                      "en": "{date} (overdue)"},
    "cards_ended": {"sv": "avslutad", "da": "afsluttet", "en": "ended"},
    "cards_started": {"sv": "start {date}", "da": "start {date}", "en": "started {date}"},
    "cards_none": {"sv": "ingen än", "da": "ingen endnu", "en": "none yet"},
    "cards_index_note": {
        "sv": "Förnamnen hämtas från LimeSurvey när sidan skapas. De sparas inte i "
              "bip-bridge. Utan kontakt med LimeSurvey visas en kod i stället.",
        "da": "Fornavnene hentes fra LimeSurvey, når siden laves. De gemmes ikke i "
              "bip-bridge. Uden kontakt til LimeSurvey vises en kode i stedet.",
        "en": "First names are read from LimeSurvey when the page is made. bip-bridge does "
              "not store them. Without a connection to LimeSurvey a code is shown instead.",
    },
}

TEXTS.update(CARD_TEXTS)
TEXTS.update(REPORT_TEXTS)  # the report's own section (headline, data quality, method)

MEASURE_KEYS = {
    "d_p": "d_p", "delta_p": "d_p", "dp": "d_p",
    "d_c": "d_c", "delta_c": "d_c", "dc": "d_c",
    "in_work_or_studies": "in_work_or_studies",
}


class Translator:
    """Texts and number formats of one language."""

    def __init__(self, language: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}")
        self.language = language
        self.decimal = "." if language == "en" else ","

    def __call__(self, key: str, **fields: Any) -> str:
        entry = TEXTS.get(key)
        text = entry[self.language] if entry else key
        return text.format(**fields) if fields else text

    def has(self, key: str) -> bool:
        return key in TEXTS

    def number(self, value: Any, digits: int = 1, *, signed: bool = False) -> str:
        """A number in this language's style; "" for missing."""
        if value is None or value is pd.NA:
            return ""
        try:
            x = float(value)
        except (TypeError, ValueError):
            return str(value)
        if math.isnan(x):
            return ""
        text = f"{x:+.{digits}f}" if signed else f"{x:.{digits}f}"
        if text.lstrip("+-").strip("0.") == "":
            text = f"{0:.{digits}f}"
        text = text.replace("-", "−")
        return text.replace(".", self.decimal)

    def percent(self, share: Any) -> str:
        """A share 0-1 as a whole percentage ("42 %" in sv/da, "42%" in en)."""
        text = self.number(None if share is None else float(share) * 100, 0)
        if not text:
            return ""
        return f"{text}%" if self.language == "en" else f"{text}\u00a0%"

    def measure(self, name: str) -> str:
        key = MEASURE_KEYS.get(str(name).lower())
        return self(key) if key else str(name)

    def grouping(self, name: str) -> str:
        key = f"grouping_{name}"
        return self(key) if key in TEXTS else str(name)

    def finding(self, name: str) -> str:
        key = f"finding_{name}"
        return self(key) if key in TEXTS else ""

