//! [`DisputeTexts`] in French.

use crate::i18n::DisputeTexts;

pub static DISPUTES_FR: DisputeTexts = DisputeTexts {
    question_charge: "Contester ce montant",
    questioned: |n| format!("Contesté ({n})"),
    title: "Contester un montant facturé",
    intro: |line, statement| {
        format!("Vous contestez «\u{a0}{line}\u{a0}» sur la facture {statement}.")
    },
    charge: "Élément facturé",
    statement: "Facture",
    amount_label: "Montant que vous contestez",
    amount_hint: |max| format!("Jusqu’à {max}."),
    message_label: "Quel est le problème avec ce montant\u{202f}?",
    message_hint: "Par exemple\u{a0}: on m’a facturé un mois après ma résiliation.",
    submit: "Envoyer à notre service facturation",
    what_happens: "Pendant que nous examinons votre contestation, nous ne vous réclamerons pas le montant contesté\u{a0}: ni relance, ni frais de retard, ni suspension à ce titre. Le reste de la facture reste dû. Nous vous répondrons dans la demande et par courriel.",
    already_open: |n| format!("Vous avez déjà contesté ce montant\u{a0}: voir {n}."),
    not_disputable: "Seul un montant facturé peut être contesté (pas un paiement ni un crédit).",
    back: "Retour à la facture",
};
