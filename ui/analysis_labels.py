"""Labels of the analysis blocks (issue 12): rates, the raw-reply drill-down, the exports, the
sandbox's rules on the demo's Mailbox page. Merged into `ui.i18n.LABELS`; same shape:
key -> fr/en."""

ANALYSIS_LABELS: dict[str, dict[str, str]] = {
    "analysis.rates": {"fr": "Taux sur la période", "en": "Rates over the period"},
    "analysis.compared": {
        "fr": "Comparé à la période précédente de même durée, du {since} au {until}.",
        "en": "Compared with the previous period of the same length, {since} to {until}."},
    "analysis.failure_rate": {"fr": "Taux d'échec", "en": "Failure rate"},
    "analysis.delivery_rate": {"fr": "Taux de réception", "en": "Delivery rate"},
    "analysis.p50": {"fr": "Délai de réception, médiane", "en": "Time to delivery, median"},
    "analysis.p90": {"fr": "Délai de réception, 90 %", "en": "Time to delivery, 90th pct"},
    "analysis.p95": {"fr": "Délai de réception, 95 %", "en": "Time to delivery, 95th pct"},
    "analysis.failure_out_of": {"fr": "{count} sur {n} ; avant : {pc} sur {pn}",
                                "en": "{count} out of {n}; before: {pc} out of {pn}"},
    "analysis.delivery_out_of": {
        "fr": "{count} sur {n} suivis jusqu'à la réception ; avant : {pc} sur {pn}",
        "en": "{count} out of {n} tracked to delivery; before: {pc} out of {pn}"},
    "analysis.delay_out_of": {"fr": "sur {n} ; avant : {pn}", "en": "over {n}; before: {pn}"},
    "noun.reception.one": {"fr": "réception", "en": "delivery"},
    "noun.reception.many": {"fr": "réceptions", "en": "deliveries"},
    "analysis.no_compare": {"fr": "Pas de comparaison : rien à comparer sur l'une des périodes.",
                            "en": "No comparison: nothing to compare in one of the periods."},
    "analysis.replies": {"fr": "Réponses exactes des serveurs, pour une raison",
                         "en": "The servers' exact replies, for one reason"},
    "analysis.page": {"fr": "Page", "en": "Page"},
    "analysis.pages.one": {"fr": "Page {page} sur {pages} — {count} réponse distincte",
                           "en": "Page {page} of {pages} — {count} distinct reply"},
    "analysis.pages.many": {"fr": "Page {page} sur {pages} — {count} réponses distinctes",
                            "en": "Page {page} of {pages} — {count} distinct replies"},
    "analysis.pick_reason": {"fr": "Choisir une raison", "en": "Pick a reason"},
    "analysis.no_reply": {"fr": "(aucune réponse enregistrée)", "en": "(no reply stored)"},
    "analysis.no_failure": {"fr": "Aucun échec sur la période.",
                            "en": "No failure in the period."},
    "col.reply": {"fr": "Réponse du serveur", "en": "Server reply"},
    "col.open": {"fr": "Ouvrir", "en": "Open"},
    "export.raw": {"fr": "CSV technique (codes, UTC, virgules)",
                   "en": "Technical CSV (codes, UTC, commas)"},
    "export.parquet": {"fr": "Exporter en Parquet", "en": "Export as Parquet"},
    "export.note": {
        "fr": "« Exporter en CSV » : format tableur français (séparateur « ; », UTF-8 avec BOM, "
              "libellés français, heure locale avec fuseau, codes dans leurs propres colonnes).",
        "en": "“Export as CSV”: the French spreadsheet format (“;” separator, UTF-8 with BOM, "
              "French labels, local time with zone, codes in their own columns)."},
    "sandbox.rules": {"fr": "Démo : faire échouer, retarder ou répondre un envoi",
                      "en": "Demo: make a send bounce, defer or auto-reply"},
    "sandbox.how": {
        "fr": "Le bac à sable choisit selon l'adresse du destinataire : sa partie locale, ou ce "
              "qui précède son premier « - » (« unknown-jean@… » vaut « unknown ») ; toute "
              "adresse en « .invalid » n'a pas de domaine ; les autres sont réceptionnées.",
        "en": "The sandbox decides by the recipient address: its local part, or what comes "
              "before its first “-” (“unknown-jean@…” is “unknown”); any address at a "
              "“.invalid” domain has no domain; every other address is delivered."},
}
