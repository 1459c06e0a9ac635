"""Texts of the HTML report's headline, data-quality, adjusted-difference and method
sections, in Swedish, Danish and English (merged into :data:`bip_bridge.reports.i18n.TEXTS`;
kept in their own module so the report's texts and the cards' texts change apart)."""

from __future__ import annotations

REPORT_TEXTS: dict[str, dict[str, str]] = {
    # --- headline figures (each says what it counts)
    "periods_dp": {
        "sv": "Perioder med förändring i deltagarindex (ΔP)",
        "da": "Perioder med ændring i deltagerindeks (ΔP)",
        "en": "Periods with a change in the participant index (ΔP)",
    },
    "periods_dc": {
        "sv": "Perioder med förändring i handledarindex (ΔC)",
        "da": "Perioder med ændring i sagsbehandlerindeks (ΔC)",
        "en": "Periods with a change in the caseworker index (ΔC)",
    },
    "headline_note": {
        "sv": "En period går från ett mättillfälle till nästa. En period har en förändring i "
              "deltagarindex när deltagaren svarat vid båda mättillfällena, och i "
              "handledarindex när handledaren gjort det; därför skiljer sig de två "
              "antalen. Antalen är desamma som raden ”alla” i tabellerna nedan.",
        "da": "En periode går fra én måling til den næste. En periode har en ændring i "
              "deltagerindeks, når deltageren har svaret ved begge målinger, og i "
              "sagsbehandlerindeks, når sagsbehandleren har; derfor er de to antal "
              "forskellige. Antallene er de samme som rækken »alle« i tabellerne nedenfor.",
        "en": "A period runs from one wave to the next. A period has a change in the "
              "participant index when the participant answered at both waves, and in the "
              "caseworker index when the caseworker did; that is why the two counts differ. "
              "They are the counts of the row “all” in the tables below.",
    },
    "small_cell_note": {
        "sv": "Skydd av deltagarnas integritet: en cell med färre än {min_cell} personer visas "
              "inte, och inte heller ett antal eller en andel där antalet (eller resten upp "
              "till n) är 1–{count_below}. Där en dold siffra annars skulle kunna räknas fram "
              "ur en summa döljs också nästa minsta cell. Dolda värden visas som –.",
        "da": "Beskyttelse af deltagernes privatliv: en celle med færre end {min_cell} personer "
              "vises ikke, og heller ikke et antal eller en andel, hvor antallet (eller resten "
              "op til n) er 1–{count_below}. Hvor et skjult tal ellers kunne regnes ud af en "
              "sum, skjules også den næstmindste celle. Skjulte værdier vises som –.",
        "en": "To protect the participants' privacy, a cell with fewer than {min_cell} people "
              "is not shown, nor a count or share whose count (or the rest up to n) is "
              "1–{count_below}. Where a hidden figure could otherwise be worked out from a "
              "total, the next smallest cell is hidden too. Hidden values show as –.",
    },
    # --- response section: non-response is not a data error
    "nonresponse_title": {"sv": "Bortfall", "da": "Frafald", "en": "Non-response"},
    "nonresponse_intro": {
        "sv": "Bortfall är inga fel i data: det är svar som saknas ännu eller aldrig kom.",
        "da": "Frafald er ikke fejl i data: det er svar, der mangler endnu eller aldrig kom.",
        "en": "Non-response is not an error in the data: these are answers still missing or "
              "that never came.",
    },
    "nr_caseworker_without_participant": {
        "sv": "Handledaren har svarat, deltagaren inte (ännu)",
        "da": "Sagsbehandleren har svaret, deltageren ikke (endnu)",
        "en": "The caseworker answered, the participant has not (yet)",
    },
    "nr_incomplete_ignored": {
        "sv": "Påbörjade men inte inskickade svar (räknas inte)",
        "da": "Påbegyndte, men ikke indsendte svar (tælles ikke)",
        "en": "Responses started but not submitted (not counted)",
    },
    "nr_action": {
        "sv": "Vad göra: påminnelserna går ut automatiskt; handledaren kan fråga deltagaren "
              "vid nästa möte. Vid mättillfälle 0 betyder det oftast bara att deltagaren inte "
              "hunnit svara.",
        "da": "Hvad gør man: påmindelserne sendes automatisk; sagsbehandleren kan spørge "
              "deltageren ved næste møde. Ved måling 0 betyder det oftest blot, at deltageren "
              "ikke har nået at svare.",
        "en": "What to do: reminders go out automatically; the caseworker can ask the "
              "participant at the next meeting. At wave 0 it mostly just means the participant "
              "has not answered yet.",
    },
    "of_which_wave0": {"sv": "varav vid mättillfälle 0", "da": "heraf ved måling 0",
                       "en": "of which at wave 0"},
    # --- data quality: counts per kind, meaning, what to do
    "quality_intro": {
        "sv": "Fel och avvikelser i svaren, per typ. Listan med varje enskilt fynd "
              "(pseudonymer och svars-id) finns i data_quality.csv, för analytikern.",
        "da": "Fejl og afvigelser i svarene, pr. type. Listen med hvert enkelt fund "
              "(pseudonymer og svar-id) findes i data_quality.csv, til analytikeren.",
        "en": "Errors and irregularities in the responses, by kind. The list of every single "
              "finding (pseudonyms and response ids) is in data_quality.csv, for the analyst.",
    },
    "quality_none": {"sv": "Inga fel i data hittades.", "da": "Ingen fejl i data fundet.",
                     "en": "No errors in the data were found."},
    "meaning": {"sv": "Vad det betyder", "da": "Hvad det betyder", "en": "What it means"},
    "action": {"sv": "Vad göra", "da": "Hvad gør man", "en": "What to do"},
    "dq_caseworker_unknown_pseudonym": {
        "sv": "Handledarsvar med okänd pseudonym",
        "da": "Sagsbehandlersvar med ukendt pseudonym",
        "en": "Caseworker response with an unknown pseudonym",
    },
    "dqm_missing_pseudonym": {
        "sv": "Ett inskickat svar saknar deltagarens pseudonym och kan inte kopplas till någon.",
        "da": "Et indsendt svar mangler deltagerens pseudonym og kan ikke kobles til nogen.",
        "en": "A submitted response lacks the participant's pseudonym and cannot be linked.",
    },
    "dqa_missing_pseudonym": {
        "sv": "Svaret räknas inte. Kontrollera att enkäten bara besvaras via inbjudningslänken.",
        "da": "Svaret tælles ikke. Kontrollér, at skemaet kun besvares via invitationslinket.",
        "en": "It is not counted. Check that the survey is only answered through the "
              "invitation link.",
    },
    "dqm_missing_wave": {
        "sv": "Ett inskickat svar saknar mättillfälle.",
        "da": "Et indsendt svar mangler måling.",
        "en": "A submitted response has no wave.",
    },
    "dqa_missing_wave": {
        "sv": "Svaret räknas inte. Analytikern kan rätta det i LimeSurvey.",
        "da": "Svaret tælles ikke. Analytikeren kan rette det i LimeSurvey.",
        "en": "It is not counted. The analyst can correct it in LimeSurvey.",
    },
    "dqm_invalid_wave": {
        "sv": "Mättillfället är inte ett heltal 0, 1, 2 …",
        "da": "Målingen er ikke et heltal 0, 1, 2 …",
        "en": "The wave is not a whole number 0, 1, 2 …",
    },
    "dqa_invalid_wave": {
        "sv": "Svaret räknas inte. Analytikern kan rätta det i LimeSurvey.",
        "da": "Svaret tælles ikke. Analytikeren kan rette det i LimeSurvey.",
        "en": "It is not counted. The analyst can correct it in LimeSurvey.",
    },
    "dqm_duplicate_response": {
        "sv": "Samma person har skickat in två svar vid samma mättillfälle.",
        "da": "Samme person har indsendt to svar ved samme måling.",
        "en": "The same person submitted two responses at the same wave.",
    },
    "dqa_duplicate_response": {
        "sv": "Det senare svaret räknas; inget behöver göras.",
        "da": "Det seneste svar tælles; intet skal gøres.",
        "en": "The later response counts; nothing needs doing.",
    },
    "dqm_out_of_range": {
        "sv": "Ett svar ligger utanför svarsalternativen (till exempel 0 eller 11).",
        "da": "Et svar ligger uden for svarmulighederne (for eksempel 0 eller 11).",
        "en": "An answer lies outside the answer options (for example 0 or 11).",
    },
    "dqa_out_of_range": {
        "sv": "Svaret räknas som saknat. Kontrollera att enkäten inte ändrats för hand.",
        "da": "Svaret tælles som manglende. Kontrollér, at skemaet ikke er ændret i hånden.",
        "en": "The answer counts as missing. Check that the survey was not edited by hand.",
    },
    "dqm_late_wave": {
        "sv": "Ett mättillfälle besvarades först när nästa redan skulle ha gjorts.",
        "da": "En måling blev besvaret først, da den næste allerede skulle være foretaget.",
        "en": "A wave was answered only when the next one was already due.",
    },
    "dqa_late_wave": {
        "sv": "Svaret räknas men kan beskriva en senare period. Svara i tid nästa gång.",
        "da": "Svaret tælles, men kan beskrive en senere periode. Svar til tiden næste gang.",
        "en": "It counts, but may describe a later period. Answer on time next time.",
    },
    "dqm_caseworker_unknown_pseudonym": {
        "sv": "Ett handledarsvar har en pseudonym som ingen registrerad deltagare har.",
        "da": "Et sagsbehandlersvar har en pseudonym, som ingen registreret deltager har.",
        "en": "A caseworker response carries a pseudonym no registered participant has.",
    },
    "dqa_caseworker_unknown_pseudonym": {
        "sv": "Analytikern kontrollerar pseudonymen i LimeSurvey (data_quality.csv).",
        "da": "Analytikeren kontrollerer pseudonymen i LimeSurvey (data_quality.csv).",
        "en": "The analyst checks the pseudonym in LimeSurvey (data_quality.csv).",
    },
    "dqm_other": {"sv": "Se data_quality.csv.", "da": "Se data_quality.csv.",
                  "en": "See data_quality.csv."},
    "footer": {
        "sv": "Skapad av bip-bridge {version}. Bara sammanräknade siffror: inga namn, "
              "pseudonymer eller svars-id.",
        "da": "Lavet af bip-bridge {version}. Kun sammentalte tal: ingen navne, pseudonymer "
              "eller svar-id.",
        "en": "Made by bip-bridge {version}. Aggregate figures only: no names, pseudonyms or "
              "response ids.",
    },
    # --- raw and adjusted differences
    "raw_diff": {"sv": "Skillnad mot gruppen {ref}", "da": "Forskel fra gruppen {ref}",
                 "en": "Difference from group {ref}"},
    "delta_note": {
        "sv": "ΔP = förändring i deltagarindex, ΔC = förändring i handledarindex, från ett "
              "mättillfälle till nästa.",
        "da": "ΔP = ændring i deltagerindeks, ΔC = ændring i sagsbehandlerindeks, fra én "
              "måling til den næste.",
        "en": "ΔP = change in the participant index, ΔC = change in the caseworker index, "
              "from one wave to the next.",
    },
    "adjusted_diff": {"sv": "Justerad skillnad (95 % KI)", "da": "Justeret forskel (95 % KI)",
                      "en": "Adjusted difference (95 % CI)"},
    "reference_group": {"sv": "jämförelsegrupp", "da": "sammenligningsgruppe",
                        "en": "reference group"},
    "too_few_model": {"sv": "för få för modellen", "da": "for få til modellen",
                      "en": "too few for the model"},
    "model_failed": {"sv": "modellen gick inte att skatta", "da": "modellen kunne ikke "
                     "estimeres", "en": "the model could not be estimated"},
    "adjusted_sentence": {
        "sv": "Justerad skillnad: skillnaden mot jämförelsegruppen när deltagarnas startnivå "
              "(index vid mättillfälle 0) och mättillfället hålls lika, med hänsyn till att "
              "samma person har flera perioder. Den kan ändå inte utesluta att grupperna "
              "skiljer sig på annat sätt (motivation, hälsa, vem som fick vilken insats), så "
              "den visar ett samband, inte vad insatsen orsakade.",
        "da": "Justeret forskel: forskellen fra sammenligningsgruppen, når deltagernes "
              "startniveau (indeks ved måling 0) og målingen holdes ens, under hensyn til at "
              "samme person har flere perioder. Den kan stadig ikke udelukke, at grupperne "
              "adskiller sig på anden vis (motivation, helbred, hvem der fik hvilken indsats), "
              "så den viser en sammenhæng, ikke hvad indsatsen forårsagede.",
        "en": "Adjusted difference: the difference from the reference group when the "
              "participants' starting level (index at wave 0) and the wave are held equal, "
              "allowing for the same person having several periods. It still cannot rule out "
              "that the groups differ in other ways (motivation, health, who was given which "
              "intervention), so it shows an association, not what the intervention caused.",
    },
    # --- outcomes
    "outcomes_intro": {
        "sv": "Andel i arbete eller studier vid ett mättillfälle, efter handledarens tilltro "
              "vid periodens start (BIP: omkring 1 % mot 27 % i arbete efter ett år). "
              "Raden ”alla mättillfällen” slår ihop alla perioder.",
        "da": "Andel i arbejde eller uddannelse ved en måling, efter sagsbehandlerens tro ved "
              "periodens start (BIP: omkring 1 % mod 27 % i arbejde efter et år). Rækken "
              "»alle målinger« samler alle perioder.",
        "en": "Share in work or studies at a wave, by the caseworker's belief at the start of "
              "the period (BIP: about 1 % vs 27 % in work after a year). The rows “all waves” "
              "pool every period.",
    },
    # --- method, in the report itself
    "method_responses": {
        "sv": "Vilka svar som räknas: bara inskickade svar. Har någon svarat två gånger vid "
              "samma mättillfälle räknas det senare. Svar utanför skalan och ”vet inte” räknas "
              "som saknade.",
        "da": "Hvilke svar der tælles: kun indsendte svar. Har nogen svaret to gange ved samme "
              "måling, tælles det seneste. Svar uden for skalaen og »ved ikke« tælles som "
              "manglende.",
        "en": "Which responses count: submitted ones only. Where someone answered twice at the "
              "same wave, the later one counts. Answers outside the scale and “don't know” "
              "count as missing.",
    },
    "method_indices": {
        "sv": "Index: deltagarindex P är medelvärdet av deltagarens svar på de {p_count} "
              "frågorna (om minst {p_min} är besvarade), handledarindex C medelvärdet av "
              "handledarens svar på {c_count} frågor utom tilltron (minst {c_min}). Skala "
              "1–10.",
        "da": "Indeks: deltagerindeks P er gennemsnittet af deltagerens svar på de {p_count} "
              "spørgsmål (hvis mindst {p_min} er besvaret), sagsbehandlerindeks C "
              "gennemsnittet af sagsbehandlerens svar på {c_count} spørgsmål undtagen troen "
              "(mindst {c_min}). Skala 1–10.",
        "en": "Indices: the participant index P is the mean of the participant's answers to "
              "the {p_count} items (if at least {p_min} are answered), the caseworker index C "
              "the mean of the caseworker's answers to {c_count} items other than the belief "
              "item (at least {c_min}). Scale 1–10.",
    },
    "method_change": {
        "sv": "Förändring: skillnaden i index mellan två på varandra följande mättillfällen "
              "(en period). Saknas ett mättillfälle får perioderna runt det ingen förändring; "
              "inget fylls i. Insatserna, uppehållen och byte av handledare är de som "
              "handledaren rapporterat för perioden; tilltron är den vid periodens start.",
        "da": "Ændring: forskellen i indeks mellem to på hinanden følgende målinger (en "
              "periode). Mangler en måling, får perioderne omkring den ingen ændring; intet "
              "udfyldes. Indsatser, pauser og skift af sagsbehandler er dem, sagsbehandleren "
              "har rapporteret for perioden; troen er den ved periodens start.",
        "en": "Change: the difference in an index between two consecutive waves (a period). "
              "Where a wave is missing, the periods around it get no change; nothing is filled "
              "in. Interventions, gaps and caseworker changes are those the caseworker "
              "reported for the period; the belief is the one at its start.",
    },
    "method_ci": {
        "sv": "Medelvärden visas med 95 % konfidensintervall: medelvärde ± t(0,975; n−1) · "
              "s/√n. Ett brett intervall betyder att siffran är osäker.",
        "da": "Gennemsnit vises med 95 % konfidensinterval: gennemsnit ± t(0,975; n−1) · "
              "s/√n. Et bredt interval betyder, at tallet er usikkert.",
        "en": "Means are shown with 95 % confidence intervals: mean ± t(0.975, n−1) · s/√n. "
              "A wide interval means the figure is uncertain.",
    },
    "method_adjusted": {
        "sv": "Justerade skillnader kommer från en linjär blandad modell per mått och "
              "gruppering: förändring = grupp + index vid mättillfälle 0 + mättillfälle, med "
              "ett slumpmässigt intercept per deltagare (skattad med generaliserade minsta "
              "kvadrater, 95 % intervall). Grupper med för få personer tas inte med.",
        "da": "Justerede forskelle kommer fra en lineær blandet model pr. mål og gruppering: "
              "ændring = gruppe + indeks ved måling 0 + måling, med et tilfældigt intercept "
              "pr. deltager (estimeret med generaliserede mindste kvadrater, 95 % "
              "interval). Grupper med for få personer tages ikke med.",
        "en": "Adjusted differences come from a linear mixed model per measure and grouping: "
              "change = group + index at wave 0 + wave, with a random intercept per "
              "participant (estimated by generalised least squares, 95 % intervals). "
              "Groups with too few people are left out.",
    },
}
