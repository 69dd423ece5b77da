"""Console labels, French by default, English switchable (sidebar); numbers, percentages and
counted nouns written the way each language writes them."""

from __future__ import annotations

import math

import streamlit as st

from tracking.labels import NARROW_NBSP, number_text, percent_text  # noqa: F401
from ui.analysis_labels import ANALYSIS_LABELS
from ui.table_labels import TABLE_LABELS

# Each language by its own name (the language picker, an account's message language).
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}

LABELS: dict[str, dict[str, str]] = {
    "overview.title": {"fr": "Vue d'ensemble", "en": "Overview"},
    "overview.heading": {"fr": "Suivi des envois de documents",
                         "en": "Document sending tracker"},
    "overview.database": {"fr": "Base de données", "en": "Database"},
    "overview.documents": {"fr": "Documents", "en": "Documents"},
    "overview.sends": {"fr": "Envois", "en": "Sends"},
    "overview.failures": {"fr": "Échecs (dernier envoi)", "en": "Failures (latest send)"},
    "overview.by_state": {"fr": "Destinataires par état", "en": "Recipients by state"},
    "overview.recent": {"fr": "Derniers événements", "en": "Latest events"},
    "language": {"fr": "Langue", "en": "Language"},
    "auth.title": {"fr": "Suivi — connexion", "en": "Suivi — sign in"},
    "auth.login": {"fr": "Identifiant", "en": "Login"},
    "auth.password": {"fr": "Mot de passe", "en": "Password"},
    "auth.sign_in": {"fr": "Se connecter", "en": "Sign in"},
    "auth.sign_out": {"fr": "Se déconnecter", "en": "Sign out"},
    "auth.failed": {"fr": "Identifiant ou mot de passe incorrect.",
                    "en": "Wrong login or password."},
    "auth.oidc_intro": {"fr": "Connectez-vous avec le compte de votre organisation.",
                        "en": "Sign in with your organisation's account."},
    "auth.no_access": {
        "fr": "Pas d'accès : cette identité n'est pas un utilisateur de Suivi. Demandez à un "
              "administrateur de vous ajouter.",
        "en": "No access: this identity is not a Suivi user. Ask an administrator to add you."},
    "auth.no_users": {
        "fr": "Aucun utilisateur dans cette base : la console ne démarre pas. Arrêtez-la (elle "
              "tient le fichier), créez le premier administrateur dans un terminal (le mot de "
              "passe est demandé), puis relancez-la :",
        "en": "This database has no user: the console will not start. Stop it (it holds the "
              "file), create the first administrator in a terminal (it asks for the "
              "password), then start it again:"},
    "auth.config": {"fr": "Connexion mal configurée : l'administrateur doit corriger le réglage "
                          "ci-dessous.",
                    "en": "Sign-in is misconfigured: the administrator must fix the setting "
                          "below."},
    "auth.proxy_refused": {
        "fr": "Accès refusé : cette requête ne vient pas d'un proxy autorisé.",
        "en": "Access refused: this request does not come from an allowed proxy."},
    "auth.proxy_missing": {
        "fr": "Accès refusé : le proxy n'a pas transmis d'identifiant.",
        "en": "Access refused: the proxy passed no login."},
    "auth.read_only": {"fr": "Lecture seule : votre rôle ne permet aucune action ici.",
                       "en": "Read only: your role allows no action here."},
    "role.analyst": {"fr": "analyste", "en": "analyst"},
    "role.support": {"fr": "support", "en": "support"},
    "role.admin": {"fr": "administrateur", "en": "administrator"},
    "outbound.label": {"fr": "Serveur d'envoi", "en": "Outbound server"},
    "outbound.unknown": {"fr": "Serveur d'envoi : pas encore sollicité",
                         "en": "Outbound server: not contacted yet"},
    "outbound.off": {"fr": "Envoi : aucun expéditeur ne tourne dans ce processus",
                     "en": "Sending: no sender runs in this process"},
    "outbound.up": {"fr": "Serveur d'envoi joignable depuis {since}",
                    "en": "Outbound server reachable since {since}"},
    "outbound.down.unreachable": {"fr": "Serveur d'envoi injoignable depuis {since}",
                                  "en": "Outbound server unreachable since {since}"},
    "outbound.down.dropped": {"fr": "Serveur d'envoi : connexion coupée depuis {since}",
                              "en": "Outbound server: connection dropping since {since}"},
    "outbound.down.closing": {"fr": "Serveur d'envoi indisponible (421) depuis {since}",
                              "en": "Outbound server unavailable (421) since {since}"},
    "outbound.down.auth": {
        "fr": "Authentification refusée par le serveur d'envoi depuis {since}",
        "en": "Authentication refused by the outbound server since {since}"},
    "outbound.down.tls": {"fr": "Échec TLS avec le serveur d'envoi depuis {since}",
                          "en": "TLS failure with the outbound server since {since}"},
    "outbound.down.config": {"fr": "Serveur d'envoi mal configuré depuis {since}",
                             "en": "Outbound server misconfigured since {since}"},
    "outbound.waiting.one": {
        "fr": "{count} envoi reste « En cours » et repartira seul quand il répondra.",
        "en": "{count} delivery stays “In progress” and will go by itself once it answers."},
    "outbound.waiting.many": {
        "fr": "{count} envois restent « En cours » et repartiront seuls quand il répondra.",
        "en": "{count} deliveries stay “In progress” and will go by themselves once it "
              "answers."},
    "page.documents": {"fr": "Documents", "en": "Documents"},
    "page.document": {"fr": "Document", "en": "Document"},
    "page.failures": {"fr": "Échecs", "en": "Failures"},
    "page.history": {"fr": "Historique", "en": "Activity history"},
    "page.mailbox": {"fr": "Boîte des retours", "en": "Mailbox"},
    "page.settings": {"fr": "Paramètres", "en": "Settings"},
    "all": {"fr": "Tous", "en": "All"},
    "filter.account": {"fr": "Compte", "en": "Account"},
    "filter.kind": {"fr": "Type", "en": "Kind"},
    "filter.status": {"fr": "Statut du document", "en": "Document status"},
    "filter.state": {"fr": "État d'envoi", "en": "Delivery state"},
    "filter.mode": {"fr": "Mode d'envoi", "en": "Sending mode"},
    "filter.period": {"fr": "Date du document", "en": "Document date"},
    "filter.failures": {"fr": "Échecs seulement", "en": "Failures only"},
    "filter.search": {"fr": "Recherche (numéro, client, adresse)",
                      "en": "Search (number, client, address)"},
    "filter.since": {"fr": "Depuis", "en": "From"},
    "filter.until": {"fr": "Jusqu'au", "en": "Until"},
    "filter.types": {"fr": "Types d'événement", "en": "Event types"},
    "filter.actor": {"fr": "Acteur", "en": "Actor"},
    "filter.document": {"fr": "Document (numéro ou id)", "en": "Document (number or id)"},
    "documents.page": {"fr": "Page", "en": "Page"},
    "documents.none": {"fr": "Aucun document ne correspond.", "en": "No document matches."},
    # A search or a marks filter stops counting past a cap (tracking.store.document_list).
    "documents.more_than": {"fr": "plus de {count}", "en": "more than {count}"},
    "col.number": {"fr": "Numéro", "en": "Number"},
    "col.kind": {"fr": "Type", "en": "Kind"},
    "col.client": {"fr": "Client", "en": "Client"},
    "col.account": {"fr": "Compte", "en": "Account"},
    "col.status": {"fr": "Statut", "en": "Status"},
    "col.send_date": {"fr": "Date d'envoi au client", "en": "Sent to client on"},
    "col.mode": {"fr": "Mode", "en": "Mode"},
    "col.recipients": {"fr": "Destinataires", "en": "Recipients"},
    "col.amount": {"fr": "Montant", "en": "Amount"},
    "col.reason": {"fr": "Raison", "en": "Reason"},
    "col.code": {"fr": "Code", "en": "Code"},
    "col.diagnostic": {"fr": "Diagnostic", "en": "Diagnostic"},
    "col.failures": {"fr": "Échecs", "en": "Failures"},
    "col.rate": {"fr": "Taux", "en": "Rate"},
    "col.total": {"fr": "Destinataires", "en": "Recipients"},
    "col.group": {"fr": "Catégorie", "en": "Group"},
    "col.domain": {"fr": "Domaine", "en": "Domain"},
    "col.old": {"fr": "Ancienne valeur", "en": "Old value"},
    "col.new": {"fr": "Nouvelle valeur", "en": "New value"},
    "col.subject": {"fr": "Objet", "en": "Subject"},
    "col.match": {"fr": "Rattachement", "en": "Match"},
    "doc.missing": {"fr": "Choisissez un document dans la liste.",
                    "en": "Pick a document in the list."},
    "doc.unknown": {"fr": "Document introuvable.", "en": "Unknown document."},
    "doc.back": {"fr": "← Retour à la liste", "en": "← Back to the list"},
    "box.title": {"fr": "Suivi du document", "en": "Document tracking"},
    "box.never": {"fr": "Jamais envoyé.", "en": "Never sent."},
    "box.sent_on": {"fr": "Date d'envoi au client", "en": "Sent to the client on"},
    "box.by": {"fr": "par", "en": "by"},
    "box.mode": {"fr": "Mode", "en": "Mode"},
    "box.sends": {"fr": "Envois précédents", "en": "Earlier sends"},
    "box.complained": {"fr": "signalé comme spam", "en": "reported as spam"},
    "timeline.title": {"fr": "Chronologie", "en": "Timeline"},
    "raw.title": {"fr": "Messages retournés", "en": "Returned messages"},
    "raw.none": {"fr": "Aucun message retourné pour ce document.",
                 "en": "No returned message for this document."},
    "raw.show": {"fr": "Afficher le message brut", "en": "Show the raw message"},
    "action.send": {"fr": "Envoyer en ligne", "en": "Send online"},
    "action.to": {"fr": "À (une adresse par ligne)", "en": "To (one address per line)"},
    "action.cc": {"fr": "Cc (une adresse par ligne)", "en": "Cc (one address per line)"},
    "action.force": {"fr": "Renvoyer même si envoyé il y a moins de 3 jours",
                     "en": "Resend even if sent less than 3 days ago"},
    "action.submit_send": {"fr": "Envoyer", "en": "Send"},
    "action.sent": {"fr": "Envoi enregistré, en cours de remise.",
                    "en": "Send recorded, on its way."},
    "action.already": {"fr": "Cet envoi était déjà enregistré (double clic).",
                       "en": "This send was already recorded (double click)."},
    "action.manual_mode": {"fr": "Ce compte envoie à la main : utilisez « Marquer envoyé ».",
                           "en": "This account sends by hand: use \"Mark sent\"."},
    "action.mark": {"fr": "Marquer envoyé (envoi manuel)", "en": "Mark sent (by hand)"},
    "action.note": {"fr": "Note (courrier, remise en main propre…)",
                    "en": "Note (post, hand delivery…)"},
    "action.submit_mark": {"fr": "Marquer envoyé", "en": "Mark sent"},
    "action.marked_before": {
        "fr": "Déjà marqué envoyé le {when} par {actor} : pour une autre date, modifiez la "
              "date d'envoi.",
        "en": "Already marked sent on {when} by {actor}: to give another date, edit the send "
              "date."},
    "action.cancelled": {
        "fr": "Document annulé : il ne peut être ni envoyé ni marqué envoyé.",
        "en": "Cancelled document: it can be neither sent nor marked sent."},
    "action.marked": {"fr": "Document marqué envoyé.", "en": "Document marked sent."},
    "action.date": {"fr": "Modifier la date d'envoi au client", "en": "Edit the send date"},
    "action.date_day": {"fr": "Date", "en": "Date"},
    "action.date_time": {"fr": "Heure", "en": "Time"},
    "action.date_text": {"fr": "ou saisir JJ/MM/AAAA HH:MM (prioritaire)",
                         "en": "or type DD/MM/YYYY HH:MM (takes precedence)"},
    "action.date_preview": {"fr": "Avant → après", "en": "Before → after"},
    "action.submit_date": {"fr": "Enregistrer la date", "en": "Save the date"},
    "action.date_saved": {"fr": "Date d'envoi modifiée.", "en": "Send date changed."},
    "action.date_which": {"fr": "Cette heure existe deux fois (changement d'heure) : laquelle ?",
                          "en": "This time happens twice (clocks go back): which one?"},
    "action.date_first": {"fr": "la première", "en": "the first"},
    "action.date_second": {"fr": "la seconde", "en": "the second"},
    "action.resend": {"fr": "Renvoyer à une adresse corrigée", "en": "Resend to a corrected address"},
    "action.failed_address": {"fr": "Adresse en échec", "en": "Failed address"},
    "action.corrected": {"fr": "Adresse corrigée", "en": "Corrected address"},
    "action.submit_resend": {"fr": "Renvoyer", "en": "Resend"},
    "action.attach": {"fr": "Rattacher un retour non rattaché", "en": "Attach an unmatched bounce"},
    "action.message": {"fr": "Message retourné", "en": "Returned message"},
    "action.recipient": {"fr": "Destinataire concerné", "en": "Recipient it is about"},
    "action.submit_attach": {"fr": "Rattacher", "en": "Attach"},
    "action.attached": {"fr": "Retour rattaché.", "en": "Bounce attached."},
    "action.dismiss": {"fr": "Écarter", "en": "Dismiss"},
    "action.dismissed": {"fr": "Message écarté.", "en": "Message dismissed."},
    "action.no_unmatched": {"fr": "Aucun retour en attente de rattachement.",
                            "en": "No bounce waiting to be attached."},
    "action.unavailable": {"fr": "Indisponible : la lecture des retours n'est pas installée.",
                           "en": "Unavailable: bounce ingestion is not installed."},
    "failures.heading": {"fr": "Échecs de remise", "en": "Delivery failures"},
    "failures.summary": {"fr": "{f} sur {n} ({r})", "en": "{f} out of {n} ({r})"},
    "failures.by_group": {"fr": "Par catégorie", "en": "By group"},
    "failures.by_reason": {"fr": "Par raison", "en": "By reason"},
    "failures.by_domain": {"fr": "Par domaine destinataire", "en": "By recipient domain"},
    "failures.by_mode": {"fr": "Par mode d'envoi", "en": "By sending mode"},
    "failures.by_account": {"fr": "Par compte", "en": "By account"},
    "failures.over_time": {"fr": "Dans le temps", "en": "Over time"},
    "failures.drill": {"fr": "Documents concernés", "en": "The documents behind it"},
    "failures.none": {"fr": "Aucun échec sur la période.", "en": "No failure in the period."},
    "failures.count": {"fr": "Échecs", "en": "Failures"},
    "failures.reason_filter": {"fr": "Raison", "en": "Reason"},
    "failures.domain_filter": {"fr": "Domaine", "en": "Domain"},
    "export": {"fr": "Exporter en CSV", "en": "Export as CSV"},
    "history.heading": {"fr": "Historique des activités", "en": "Activity history"},
    "history.charts": {"fr": "Graphiques", "en": "Charts"},
    "history.activity": {"fr": "Activité par jour", "en": "Activity per day"},
    "history.rate": {"fr": "Taux d'échec", "en": "Failure rate"},
    "history.delay": {"fr": "Délai d'envoi à réception", "en": "Time from send to delivery"},
    "history.domains": {"fr": "Domaines en échec", "en": "Top failing domains"},
    "history.reasons": {"fr": "Raisons", "en": "Reasons"},
    "mailbox.heading": {"fr": "Boîte des retours", "en": "Bounce mailbox"},
    "mailbox.watcher": {"fr": "Surveillance de la boîte", "en": "Mailbox watcher"},
    "mailbox.not_running": {"fr": "La surveillance de la boîte ne tourne pas dans ce processus.",
                            "en": "The mailbox watcher is not running in this process."},
    "mailbox.counts": {"fr": "Messages lus", "en": "Messages read"},
    "mailbox.queue": {"fr": "À traiter : non rattachés, suspects, illisibles",
                      "en": "To handle: unmatched, suspicious, undecodable"},
    "mailbox.empty": {"fr": "Rien à traiter.", "en": "Nothing to handle."},
    "mailbox.poll": {"fr": "Relever maintenant", "en": "Poll now"},
    "mailbox.document": {"fr": "Document (numéro ou id)", "en": "Document (number or id)"},
    "mailbox.attach": {"fr": "Rattacher le message choisi", "en": "Attach the chosen message"},
    "verify.heading": {"fr": "À vérifier : retours sans jeton signé",
                       "en": "To verify: bounces without a signed token"},
    "verify.explain": {
        "fr": "Ces retours désignent un envoi par une clé que tout destinataire peut recopier "
              "(ENVID, Message-ID, en-tête de suivi, adresse) : rien n'a changé. Vérifiez les "
              "indices, puis appliquez ou rejetez ; votre décision est enregistrée.",
        "en": "These bounces name a send by a key any recipient can copy (ENVID, Message-ID, "
              "tracking header, address): nothing has changed. Check the evidence, then apply "
              "or reject; your decision is recorded."},
    "verify.empty": {"fr": "Aucun retour à vérifier.", "en": "No bounce to verify."},
    "verify.pick": {"fr": "Retour à vérifier", "en": "Bounce to verify"},
    "verify.note": {"fr": "Note (facultative)", "en": "Note (optional)"},
    "verify.apply": {"fr": "Appliquer", "en": "Apply"},
    "verify.reject": {"fr": "Rejeter", "en": "Reject"},
    "verify.applied": {"fr": "Retour vérifié et appliqué.", "en": "Bounce verified and applied."},
    "verify.rejected": {"fr": "Retour rejeté.", "en": "Bounce rejected."},
    "verify.document_heading": {"fr": "Retours à vérifier pour ce document",
                                "en": "Bounces to verify for this document"},
    "verify.reported": {"fr": "Adresse du retour", "en": "Address in the report"},
    "verify.method": {"fr": "Trouvé par", "en": "Found by"},
    "verify.would": {"fr": "Effet si appliqué", "en": "Effect if applied"},
    "verify.decision": {"fr": "Décision", "en": "Decision"},
    "decision.open": {"fr": "À vérifier", "en": "To verify"},
    "decision.applied": {"fr": "Appliqué", "en": "Applied"},
    "decision.rejected": {"fr": "Rejeté", "en": "Rejected"},
    "method.envid": {"fr": "ENVID (Original-Envelope-Id)", "en": "ENVID (Original-Envelope-Id)"},
    "method.message_id": {"fr": "Message-ID d'origine", "en": "Original Message-ID"},
    "method.header": {"fr": "En-tête X-Suivi-Tracking", "en": "X-Suivi-Tracking header"},
    "method.address_window": {"fr": "Adresse et date seulement", "en": "Address and date only"},
    "attach.reported": {"fr": "Le retour concerne : {addresses}",
                        "en": "The report is about: {addresses}"},
    "attach.reported_none": {"fr": "Le retour ne nomme aucun destinataire.",
                             "en": "The report names no recipient."},
    "attach.pick_reported": {"fr": "Adresse du retour à appliquer",
                             "en": "Address of the report to apply"},
    "attach.mismatch": {"fr": "Le retour concerne {reported}, pas {chosen}.",
                        "en": "The report is about {reported}, not {chosen}."},
    "attach.confirm": {"fr": "Je confirme : appliquer le retour de {reported} à {chosen}",
                       "en": "I confirm: apply the report about {reported} to {chosen}"},
    "attach.no_send": {"fr": "Ce document n'a pas d'envoi en ligne.",
                       "en": "This document was never sent online."},
    "settings.heading": {"fr": "Paramètres", "en": "Settings"},
    "settings.accounts": {"fr": "Comptes : fuseau et mode d'envoi",
                          "en": "Accounts: time zone and sending mode"},
    "settings.connection": {"fr": "Connexions", "en": "Connections"},
    "settings.snapshot": {"fr": "Instantané Parquet pour les notebooks",
                          "en": "Parquet snapshot for the notebooks"},
    "settings.refresh_snapshot": {"fr": "Rafraîchir l'instantané", "en": "Refresh the snapshot"},
    "settings.edit": {"fr": "Modifier le fuseau et le mode d'envoi",
                      "en": "Change the time zone and sending mode"},
    "settings.zone": {"fr": "Fuseau horaire (affichage des dates)",
                      "en": "Time zone (how dates are shown)"},
    "settings.mode": {"fr": "Mode d'envoi (pour les prochains envois)",
                      "en": "Sending mode (for the next sends)"},
    "settings.preview": {"fr": "Avant → après", "en": "Before → after"},
    "settings.zone_note": {
        "fr": "Les dates enregistrées ne changent pas : seul leur affichage suit le fuseau.",
        "en": "Stored dates do not change: only how they are shown follows the zone."},
    "settings.save": {"fr": "Confirmer la modification", "en": "Confirm the change"},
    "settings.saved": {"fr": "Réglages de « {name} » modifiés.",
                       "en": "Settings of \"{name}\" changed."},
    "settings.snapshot_done": {"fr": "Instantané écrit : {path}", "en": "Snapshot written: {path}"},
    "settings.secret_set": {"fr": "défini (masqué)", "en": "set (hidden)"},
    "settings.secret_unset": {"fr": "non défini", "en": "not set"},
    "col.zone": {"fr": "Fuseau", "en": "Time zone"},
    "col.sender": {"fr": "Adresse d'envoi", "en": "Sender address"},
    "col.setting": {"fr": "Réglage", "en": "Setting"},
    "col.value": {"fr": "Valeur", "en": "Value"},
    "state.pending": {"fr": "En cours", "en": "In progress"},
    "state.sent": {"fr": "Envoyé", "en": "Sent"},
    "state.not_sent": {"fr": "Non envoyé", "en": "Not sent"},
    "state.delivered": {"fr": "Réceptionné", "en": "Delivered"},
    "state.not_delivered": {"fr": "Non réceptionné", "en": "Not delivered"},
    "col.state": {"fr": "État", "en": "State"},
    "col.count": {"fr": "Nombre", "en": "Count"},
    "col.when": {"fr": "Quand", "en": "When"},
    "col.type": {"fr": "Type", "en": "Type"},
    "col.actor": {"fr": "Acteur", "en": "Actor"},
    "col.document": {"fr": "Document", "en": "Document"},
    "col.recipient": {"fr": "Destinataire", "en": "Recipient"},
    # --- issue 12, support: the box, the dot, the resend form, the addresses to correct ---
    "dot.failed": {"fr": "échec de remise", "en": "delivery failed"},
    "dot.list": {"fr": "L'e-mail n'a pas pu être délivré à au moins un destinataire : {why}",
                 "en": "The email could not be delivered to at least one recipient: {why}"},
    "dot.not_sent": {"fr": "Le serveur d'envoi a refusé l'e-mail pour {address} ({when}) : {why}",
                     "en": "The sending server refused the email for {address} ({when}): {why}"},
    "dot.not_delivered": {
        "fr": "L'e-mail n'a pas pu être délivré à {address} (retour reçu le {when}) : {why}",
        "en": "The email could not be delivered to {address} (returned on {when}): {why}"},
    "dot.code": {"fr": " Code : {code}.", "en": " Code: {code}."},
    "legend.sent": {"fr": "✉ document envoyé", "en": "✉ document sent"},
    "legend.failed": {
        "fr": "l'e-mail n'a pas pu être délivré à au moins un destinataire : survolez ou "
              "cliquez sur le point pour savoir pourquoi",
        "en": "the email could not be delivered to at least one recipient: hover or click "
              "the dot to see why"},
    "box.to": {"fr": "à", "en": "to"},
    "box.corrected": {"fr": "corrigée : renvoyé à {address} le {when}",
                      "en": "corrected: resent to {address} on {when}"},
    "box.why": {"fr": "Pourquoi", "en": "Why"},
    "box.in_sends": {"fr": "dans {n} envois", "en": "in {n} sends"},
    "box.sends_title": {"fr": "Envois ({n}), du premier au dernier",
                        "en": "Sends ({n}), first to last"},
    "box.overrode": {"fr": "envoyé malgré un rejet définitif",
                     "en": "sent despite a hard bounce"},
    "resend.suggested": {
        "fr": "Pré-rempli avec la correction probable de « {wrong} » : vérifiez-la avant de "
              "renvoyer.",
        "en": "Filled in with the likely correction of “{wrong}”: check it before resending."},
    "resend.no_suggestion": {
        "fr": "Pas de correction évidente pour « {wrong} » : demandez la bonne adresse au "
              "client.",
        "en": "No obvious correction for “{wrong}”: ask the customer for the right address."},
    "resend.same": {"fr": "C'est l'adresse qui a échoué : saisissez l'adresse corrigée, ou "
                          "cochez « renvoyer à la même adresse ».",
                    "en": "That is the address that failed: type the corrected one, or tick "
                          "“resend to the same address”."},
    "resend.allow_same": {"fr": "Renvoyer à la même adresse (par exemple après une boîte "
                                "pleine)",
                          "en": "Resend to the same address (e.g. after a full mailbox)"},
    "resend.placeholder": {"fr": "prenom.nom@exemple.fr", "en": "first.last@example.com"},
    "resend.empty": {"fr": "Saisissez l'adresse corrigée.", "en": "Type the corrected address."},
    "suppressed.warning": {
        "fr": "« {address} » a été rejetée définitivement le {when} ({document}) : {why}",
        "en": "“{address}” bounced for good on {when} ({document}): {why}"},
    "suppressed.override": {"fr": "Envoyer quand même à une adresse rejetée définitivement "
                                  "(enregistré dans l'historique)",
                            "en": "Send anyway to an address that bounced for good (recorded "
                                  "in the history)"},
    "suppressed.heading": {"fr": "Adresses à corriger", "en": "Addresses to correct"},
    "suppressed.caption": {
        "fr": "Adresses rejetées définitivement à leur dernier envoi (adresse ou domaine "
              "inexistant…), par compte : demandez au client de les corriger en une fois. "
              "Un nouvel envoi vers elles est bloqué sauf confirmation.",
        "en": "Addresses that bounced for good on their latest send (unknown user or "
              "domain…), per account: ask the customer to correct them in one go. Sending "
              "to them again is blocked unless confirmed."},
    "suppressed.none": {"fr": "Aucune adresse à corriger.", "en": "No address to correct."},
    "suppressed.count.one": {"fr": "{count} adresse à corriger", "en": "{count} address to correct"},
    "suppressed.count.many": {"fr": "{count} adresses à corriger",
                              "en": "{count} addresses to correct"},
    "col.suggestion": {"fr": "Correction probable", "en": "Likely correction"},
    "col.bounced_on": {"fr": "Rejetée le", "en": "Bounced on"},
    "col.explanation": {"fr": "Explication", "en": "Explanation"},
}


LABELS.update(TABLE_LABELS)
LABELS.update(ANALYSIS_LABELS)


def language() -> str:
    return st.session_state.get("language", "fr")


def colon() -> str:
    """What joins a label to its value: French sets a space before the colon ("Mode : relais"),
    English does not ("Mode: relay"); a label glued to " : " read "Sent to the client on : …"."""
    return ": " if language() == "en" else " : "


def tf(key: str, **values: object) -> str:
    """A label with `{placeholders}` filled in."""
    return t(key).format(**values)


def t(key: str) -> str:
    return _label(key, language())


def language_picker() -> None:
    """Language radio (sidebar), on every page.

    The choice is kept under its own session key and mirrored in the URL's `lang`: a widget's
    state belongs to its page and is dropped on a page switch, and a stale `lang` in the URL
    must not win over what was chosen since. A page opened from a link in a new session starts
    in the link's `lang`."""
    start_in_linked_language()
    st.session_state["language_picker"] = st.session_state["language"]
    st.sidebar.radio(t("language"), ["fr", "en"], key="language_picker", horizontal=True,
                     format_func=LANGUAGE_NAMES.__getitem__,
                     on_change=_remember_language)
    if st.query_params.get("lang") != st.session_state["language"]:
        st.query_params["lang"] = st.session_state["language"]


def start_in_linked_language() -> None:
    """A new session takes its link's `lang` before anything is worded: the router titles the
    sidebar's pages and the gate writes the identity box before a page draws the picker, and a
    document opened from the list (a new session) had its page in English under a French
    sidebar."""
    if "language" not in st.session_state:
        wanted = st.query_params.get("lang")
        st.session_state["language"] = wanted if wanted in ("fr", "en") else "fr"


def _remember_language() -> None:
    st.session_state["language"] = st.session_state["language_picker"]


def number(value: float | int | None, decimals: int = 0, lang: str | None = None) -> str:
    """`value` with grouped thousands and `decimals` digits after the decimal sign
    ("2 096,41" in French, "2,096.41" in English); None or NaN is blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return number_text(value, decimals, lang or language())


def percent(ratio: float | None, decimals: int = 1, lang: str | None = None) -> str:
    """A ratio (0.1079) as a percentage: "10,8 %" in French, "10.8%" in English."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return ""
    return percent_text(ratio, decimals, lang or language())


def is_singular(n: int, lang: str | None = None) -> bool:
    """French counts 0 and 1 in the singular ("0 échec", "1 document"), English only 1."""
    return n == 1 if (lang or language()) == "en" else abs(n) < 2


def count(n: int, singular: str, plural: str, lang: str | None = None) -> str:
    """`n` and its noun, agreed: "1 document", "2 096 documents"."""
    lang = lang or language()
    return f"{number(n, 0, lang)} {singular if is_singular(n, lang) else plural}"


def counted(n: int, key: str, lang: str | None = None) -> str:
    """`count` with the noun's forms from the labels: `key` names "{key}.one" and
    "{key}.many" (e.g. `noun.document`)."""
    lang = lang or language()
    return count(n, _label(f"{key}.one", lang), _label(f"{key}.many", lang), lang)


def tn(key: str, n: int, **values: object) -> str:
    """A whole sentence agreed with `n` ("{key}.one" or "{key}.many"), `{count}` filled in."""
    lang = language()
    form = _label(f"{key}.one" if is_singular(n, lang) else f"{key}.many", lang)
    return form.format(count=number(n, 0, lang), **values)


def label(key: str, lang: str) -> str:
    """A label in a given language (`t` reads the reader's)."""
    return _label(key, lang)


def _label(key: str, lang: str) -> str:
    labels = LABELS.get(key)
    return key if labels is None else labels.get(lang, labels["fr"])
