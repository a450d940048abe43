//! French (français), addressed with "vous".

mod cap;
mod disputes;
mod network;
mod payments;
mod plans;
mod security;
mod tickets;

pub use cap::CAP_FR;
pub use disputes::DISPUTES_FR;
pub use network::NETWORK_FR;
pub use payments::PAY_FR;
pub use plans::PLANS_FR;
pub use security::SECURITY_FR;
pub use tickets::TICKETS_FR;

use super::{Lang, Texts};
use crate::error::AppError;

fn error(e: &AppError) -> String {
    match e {
        AppError::Unauthenticated => "Votre session a expiré. Veuillez vous reconnecter.".into(),
        AppError::NotFound => "Nous n’avons pas trouvé ce que vous cherchez.".into(),
        AppError::Forbidden => "Votre rôle ne permet pas cette action.".into(),
        AppError::ReadOnly => {
            "Impossible en consultant le compte en tant qu’abonné\u{a0}: seul l’abonné lui-même peut le faire.".into()
        }
        AppError::InvalidCredentials => {
            "Ce courriel ou ce numéro de compte et ce mot de passe ne correspondent à aucun compte.".into()
        }
        AppError::Throttled { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60).max(1);
            format!(
                "Trop de tentatives. Par sécurité, veuillez patienter {minutes}\u{a0}minute{} avant de réessayer.",
                if minutes == 1 { "" } else { "s" }
            )
        }
        AppError::InvalidInput { message, .. } => message.clone(),
        AppError::ResetLinkInvalid => {
            "Ce lien de réinitialisation a expiré ou a déjà été utilisé. Veuillez en demander un nouveau.".into()
        }
        AppError::BadRequest => {
            "La requête n’a pas pu être lue. Veuillez recharger la page et réessayer.".into()
        }
        AppError::Conflict { message } => message.clone(),
        // In this language, from the decline's code (the server's message is English).
        AppError::PaymentFailed { reason, .. } => (PAY_FR.decline)(reason).into(),
        AppError::Unavailable => {
            "Nous n’avons pas pu joindre notre prestataire de paiement par carte. Aucun montant n’a été débité\u{202f}; veuillez réessayer dans un instant."
                .into()
        }
        AppError::DatabaseDown => {
            "Nous ne pouvons pas accéder aux données de votre compte pour le moment. Rien n’a été modifié\u{202f}; veuillez réessayer dans une minute."
                .into()
        }
        AppError::Internal => {
            "Un problème est survenu de notre côté. Veuillez réessayer dans un instant.".into()
        }
    }
}

fn event_kind(kind: &str) -> &'static str {
    match kind {
        "activation" => "Mise en service",
        "plan_change" => "Changement de forfait",
        "suspension" => "Suspension",
        "restoration" => "Rétablissement",
        "cancellation" => "Résiliation",
        "outage" => "Panne",
        "payment" => "Paiement",
        "statement" => "Facture",
        "ticket" => "Demande d’assistance",
        "support_access" => "Accès de l’assistance",
        "dunning" => "Relance",
        _ => "Compte",
    }
}

pub static FR: Texts = Texts {
    lang: Lang::Fr,
    app_name: "Lastmile",
    colon: "\u{a0}: ",
    nav_overview: "Accueil",
    nav_usage: "Conso",
    nav_statements: "Factures",
    nav_history: "Historique",
    nav_sign_out: "Se déconnecter",
    nav_menu: "Menu principal",
    skip_to_content: "Aller au contenu",
    loading: "Chargement…",
    account_label: "Compte",

    sign_in_title: "Connexion",
    sign_in_identifier: "Courriel ou numéro de compte",
    sign_in_identifier_hint: "Votre numéro de compte figure en haut de chaque facture.",
    sign_in_password: "Mot de passe",
    sign_in_submit: "Se connecter",
    sign_in_forgot: "Mot de passe oublié\u{202f}?",
    sign_in_session_ended: "Votre session a expiré. Veuillez vous reconnecter.",
    signed_out: "Déconnexion effectuée.",

    forgot_title: "Réinitialiser votre mot de passe",
    forgot_intro: "Saisissez votre courriel ou votre numéro de compte\u{a0}: nous vous enverrons par courriel un lien pour choisir un nouveau mot de passe.",
    forgot_submit: "Recevoir un lien",
    forgot_sent: "Si ces informations correspondent à un compte, nous avons envoyé un lien à son adresse courriel. Ce lien ne sert qu’une fois et reste valable une heure.",
    reset_title: "Choisissez un nouveau mot de passe",
    reset_new_password: "Nouveau mot de passe",
    reset_confirm_password: "Confirmez le nouveau mot de passe",
    reset_submit: "Enregistrer le mot de passe",
    reset_done: "Votre mot de passe a été modifié. Vous pouvez maintenant vous connecter.",
    back_to_sign_in: "Retour à la connexion",

    overview_title: "Votre compte",
    balance: "Solde",
    balance_credit: "Solde créditeur",
    nothing_due: "Rien à payer pour le moment.",
    due_on: |d| format!("À régler au plus tard le {d}"),
    overdue_since: |d| format!("En retard depuis le {d}"),
    your_plan: "Votre forfait",
    no_active_plan: "Aucun service actif.",
    unlimited_data: "Données illimitées",
    allowance: |a| format!("{a} par mois"),
    speed: |down, up| format!("{down}\u{a0}Mb/s en réception · {up}\u{a0}Mb/s en envoi"),
    per_month: |p| format!("{p} par mois"),
    usage_this_cycle: "Consommation de ce cycle",
    usage_of_allowance: |used, allowance| format!("{used} sur {allowance}"),
    usage_used: |used| format!("Consommé\u{a0}: {used}"),
    usage_projection: |p| format!("À ce rythme, vous consommerez environ {p} d’ici la fin du cycle."),
    usage_projection_over: |p| {
        format!("À ce rythme, vous consommerez environ {p} d’ici la fin du cycle, soit plus que vos données incluses.")
    },
    usage_no_hours_since: |day, from| {
        format!("Le détail heure par heure n’est conservé que pour les jours récents\u{a0}: pour le {day}, seul le total est disponible\u{202f}; le détail horaire existe à partir du {from}.")
    },
    usage_no_hours: |day| format!("Le détail heure par heure n’est conservé que pour les jours récents\u{a0}: pour le {day}, seul le total est disponible."),
    usage_projection_too_early: |date| {
        format!("Il est trop tôt dans le cycle pour prévoir votre consommation\u{a0}: une prévision s’affichera à partir du {date}.")
    },

    cycle_dates: |from, to| format!("{from} – {to}"),
    latest_statement: "Dernière facture",
    next_bill: "Votre prochaine facture, à ce jour",
    next_bill_on: |date| format!("Facture du {date}"),
    next_bill_new_charges: "Nouveaux frais",
    next_bill_total: "Total si rien d’autre ne change",
    next_bill_note: "Consommation et paiements jusqu’à aujourd’hui\u{202f}; les montants définitifs figureront sur la facture.",
    no_statements: "Aucune facture pour le moment.",
    last_payment: "Dernier paiement",
    no_payments: "Aucun paiement pour le moment.",
    paid_on: |amount, date| format!("{amount} le {date}"),
    open_tickets: "Demandes d’assistance en cours",
    no_open_tickets: "Aucune demande en cours.",
    outage_heading: |title| format!("Interruption de service\u{a0}: {title}"),
    outage_since: |since| format!("Depuis le {since}. Nous travaillons à la réparer."),
    outage_credit: "Si elle dure plus de 48\u{a0}heures, votre prochaine facture sera créditée du prix d’une journée pour chaque journée complète supplémentaire.",
    view_statement: "Voir la facture",
    view_usage: "Voir la consommation",

    usage_title: "Consommation",
    usage_by_day: "Par jour",
    usage_by_hour: |d| format!("Par heure, le {d}"),
    usage_last_cycles: "12 derniers cycles",
    usage_download_csv: "Télécharger (CSV)",
    usage_previous_cycle: "Cycle précédent",
    usage_next_cycle: "Cycle suivant",
    usage_no_data: "Aucune consommation enregistrée sur cette période.",
    usage_table_caption: "Données consommées par jour",
    col_day: "Jour",
    col_hour: "Heure",
    col_download: "Réception",
    col_upload: "Envoi",
    col_total: "Total",
    col_period: "Période",
    col_allowance: "Données incluses",
    show_table: "Afficher les chiffres sous forme de tableau",
    allowance_line: "Part quotidienne des données incluses",
    choose_day: "Choisissez un jour pour en voir le détail par heure.",

    statements_title: "Factures",
    col_statement: "Facture",
    col_issued: "Émise le",
    col_due: "Échéance",
    col_amount: "Montant",
    col_status: "Statut",
    status_open: "À payer",
    status_paid: "Payée",
    status_overdue: "En retard",
    status_void: "Annulée",
    statement_title: |n| format!("Facture {n}"),
    statement_period: "Période",
    statement_issued: "Émise le",
    statement_due: "Échéance",
    statement_account: "Compte",
    previous_balance: "Solde précédent",
    new_charges: "Nouveaux frais",
    taxes: "Taxes",
    payments: "Paiements",
    credits: "Crédits et ajustements",
    total_due: "Total à payer",
    subtotal: "Sous-total",
    group_recurring: "Forfait et services",
    group_usage: "Consommation",
    group_one_time: "Frais ponctuels",
    group_taxes: "Taxes",
    group_payments_credits: "Paiements et crédits",
    print: "Imprimer",
    download_pdf: "Télécharger le PDF",
    back_to_statements: "Toutes les factures",
    line_working: "Détail du calcul",
    continued: |heading| format!("{heading} (suite)"),
    page_of: |page, pages| format!("Page {page} sur {pages}"),

    history_title: "Historique du service",
    history_all: "Tous les événements",
    history_filter: "Afficher",
    history_empty: "Rien à afficher pour le moment.",
    history_older: "Événements plus anciens",
    event_kind,

    not_found_title: "Page introuvable",
    not_found_body: "La page que vous avez demandée n’existe pas.",
    error,
    error_heading: |error| match error {
        AppError::NotFound => "Introuvable",
        AppError::Forbidden | AppError::ReadOnly => "Action non autorisée",
        AppError::Unauthenticated => "Veuillez vous reconnecter",
        _ => "Une erreur est survenue",
    },
    try_again: "Réessayer",
};
