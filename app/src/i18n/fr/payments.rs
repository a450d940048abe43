//! [`PayTexts`] in French.

use crate::i18n::PayTexts;

fn decline(code: &str) -> &'static str {
    match code {
        "insufficient_funds" => {
            "Votre carte a été refusée pour fonds insuffisants. Essayez une autre carte ou payez un montant moins élevé."
        }
        "expired_card" => {
            "Cette carte est expirée. Vérifiez la date d’expiration ou utilisez une autre carte."
        }
        "incorrect_cvc" | "invalid_cvc" => {
            "Le code de sécurité (CVC) ne correspond pas. Vérifiez les 3\u{a0}chiffres au dos de votre carte."
        }
        "incorrect_number" | "invalid_number" => {
            "Le numéro de carte est incorrect. Veuillez le vérifier et réessayer."
        }
        "invalid_expiry_month" | "invalid_expiry_year" => {
            "La date d’expiration est incorrecte. Veuillez la vérifier et réessayer."
        }
        "incorrect_zip" => "Le code postal ne correspond pas à votre carte. Veuillez le vérifier.",
        "processing_error" => {
            "Un problème est survenu lors du traitement de votre carte. Aucun montant n’a été débité\u{202f}; veuillez réessayer."
        }
        "payment_intent_authentication_failure"
        | "setup_intent_authentication_failure"
        | "authentication_required" => {
            "Votre banque n’a pas pu confirmer ce paiement. Aucun montant n’a été débité. Réessayez ou utilisez une autre carte."
        }
        "lost_card" | "stolen_card" | "pickup_card" | "restricted_card" | "fraudulent" => {
            "Votre banque a refusé cette carte. Veuillez utiliser une autre carte ou contacter votre banque."
        }
        "card_velocity_exceeded" | "withdrawal_count_limit_exceeded" => {
            "Votre carte a atteint son plafond. Essayez une autre carte ou contactez votre banque."
        }
        "currency_not_supported" | "card_not_supported" => {
            "Cette carte ne peut pas être utilisée pour ce paiement. Veuillez utiliser une autre carte."
        }
        "do_not_honor" | "generic_decline" | "card_declined" | "call_issuer" => {
            "Votre carte a été refusée. Aucun montant n’a été débité. Essayez une autre carte ou contactez votre banque."
        }
        _ => "Votre carte n’a pas été acceptée. Aucun montant n’a été débité. Essayez une autre carte.",
    }
}

pub static PAY_FR: PayTexts = PayTexts {
    nav_pay: "Payer",
    nav_cards: "Cartes",

    pay_title: "Effectuer un paiement",
    balance_now: "Solde actuel",
    statement_due: |number, date| format!("Facture {number}, à régler au plus tard le {date}"),
    statement_overdue: |number, date| format!("Facture {number}, en retard (échéance le {date})"),
    nothing_owed: "Vous n’avez rien à payer pour le moment. Vous pouvez tout de même payer à l’avance.",
    amount_label: "Montant à payer",
    amount_hint: |min, max| format!("Entre {min} et {max}."),
    pay_with: "Payer avec",
    new_card: "Une nouvelle carte",
    card_details: "Informations de la carte",
    save_card: "Enregistrer cette carte pour la prochaine fois",
    pay_button: |amount| format!("Payer {amount}"),
    pay_button_plain: "Payer",
    paying: "Paiement en cours…",
    wallet_or: "Ou saisissez votre carte ci-dessous",
    wallet_label: "Payer avec Apple Pay ou Google Pay",
    secure_note: "Les informations de votre carte sont transmises directement à notre prestataire de paiement, Stripe. Nous ne voyons ni ne conservons jamais votre numéro de carte.",
    cards_unavailable: "Le paiement par carte n’est pas disponible pour le moment. Veuillez réessayer plus tard.",
    stripe_not_loaded: "Le formulaire de carte n’a pas pu se charger. Vérifiez votre connexion et rechargez la page.",
    manage_cards: "Cartes enregistrées et paiement automatique",

    card_line: |brand, last4| format!("{brand} •••• {last4}"),
    card_expires: |month, year| format!("Expire fin {month:02}/{:02}", year % 100),
    card_expired: "Expirée",
    default_badge: "Par défaut",

    receipt_title: "Reçu de paiement",
    receipt_thanks: "Merci. Votre paiement a bien été effectué.",
    receipt_amount: "Montant",
    receipt_date: "Date",
    receipt_card: "Carte",
    receipt_statement: "Facture",
    receipt_status: "Statut",
    receipt_reference: "Référence",
    receipt_how: "Origine",
    source_portal: "Espace client",
    source_pay_link: "Lien de paiement",
    source_autopay: "Paiement automatique",
    state_pending: "Non finalisé",
    state_requires_action: "En attente de votre banque",
    state_succeeded: "Payé",
    state_failed: "Refusé",
    state_cancelled: "Annulé",
    action_needed: "Votre banque vous demande de confirmer ce paiement. Aucun montant n’a encore été débité.",
    not_finished: "Notre processeur de paiement n’a pas encore confirmé ce paiement. Merci de ne pas payer à nouveau : si votre carte a été débitée, cette page l’indiquera d’ici quelques minutes.",
    confirm_with_bank: "Confirmer auprès de votre banque",
    confirming: "Confirmation en cours…",
    back_to_overview: "Retour à votre compte",
    pay_again: "Effectuer un autre paiement",

    cards_title: "Cartes enregistrées",
    no_cards: "Vous n’avez aucune carte enregistrée.",
    add_card: "Ajouter une carte",
    save_new_card: "Enregistrer la carte",
    saving: "Enregistrement…",
    card_saved: "Votre carte est enregistrée.",
    make_default: "Définir par défaut",
    remove: "Supprimer",
    remove_confirm: |card| format!("Supprimer {card}\u{202f}?"),
    remove_yes: "Oui, supprimer",
    cancel: "Annuler",
    autopay_title: "Paiement automatique",
    autopay_explain: "À la date de votre facture, nous prélevons le montant dû sur votre carte par défaut. Vous pouvez désactiver ce service à tout moment.",
    autopay_on: "Le paiement automatique est activé.",
    autopay_off: "Le paiement automatique est désactivé.",
    autopay_turn_on: "Activer le paiement automatique",
    autopay_turn_off: "Désactiver le paiement automatique",
    autopay_needs_card: "Enregistrez d’abord une carte\u{a0}: le paiement automatique est prélevé sur votre carte par défaut.",

    notice_action: |amount| {
        format!("Votre banque vous demande de confirmer votre paiement automatique de {amount}.")
    },
    notice_action_link: "Confirmer le paiement",

    link_title: "Payer votre facture",
    link_statement: "Facture",
    link_amount: "Montant dû",
    link_due: "Échéance",
    link_paid: "Cette facture est payée. Merci.",
    link_on_hold: "Rien n’est à payer sur cette facture tant que le montant que vous contestez est en cours d’examen.",
    link_done: |amount, reference| format!("Merci. Nous avons bien reçu votre paiement de {amount}. Votre référence est P-{reference}."),
    link_expired: "Ce lien de paiement a expiré. Connectez-vous pour payer, ou utilisez le lien de votre dernier courriel de facture.",
    link_invalid: "Ce lien de paiement n’est pas valide. Connectez-vous pour payer, ou utilisez le lien de votre dernier courriel de facture.",
    link_sign_in: "Se connecter pour payer",

    decline,
};
