//! The emails in French: "vous", French typography (a narrow no-break space before ; ! ?,
//! a no-break space before :), in the portal's terms ("facture", "solde", "Payer").

use super::MailWords;

pub static FR: MailWords = MailWords {
    lang: "fr",
    hello: |name| format!("Bonjour {name},"),
    colon: "\u{a0}: ",
    outage_subject: |title| format!("Interruption de service\u{a0}: {title}"),
    outage_began: |since| format!("Depuis le {since}, votre service est touché par une panne que nous réparons."),
    outage_credit_rule: "Si elle dure plus de 48\u{a0}heures, votre prochaine facture sera créditée du prix d’une journée pour chaque journée complète supplémentaire. Vous n’avez rien à faire.",
    outage_over_subject: |title| format!("Rétabli\u{a0}: {title}"),
    outage_over: |until| format!("La panne a pris fin le {until} et votre service fonctionne comme avant. Merci de votre patience."),
    invitation_subject: |provider| format!("Votre compte {provider} est prêt\u{a0}: choisissez votre mot de passe"),
    invitation: |provider, number| format!("Votre compte {provider} {number} est passé à notre nouvel espace client. Votre service, votre forfait et votre solde restent les mêmes. Choisissez un mot de passe pour vous connecter, voir vos relevés et votre consommation, et payer en ligne."),
    invitation_within: |days| format!("Le lien fonctionne une fois, pendant {days}\u{a0}jours. Ensuite, utilisez «\u{a0}Mot de passe oublié\u{a0}?\u{a0}» sur la page de connexion."),
    invitation_button: "Choisir mon mot de passe",
    second_factor_reset_subject: |provider| format!("Le code d’authentification pour vous connecter à {provider} est désactivé"),
    second_factor_reset: "Comme vous l’avez demandé à notre équipe d’assistance, le code d’une application d’authentification n’est plus demandé à la connexion\u{a0}: votre mot de passe suffit. Vous pouvez configurer de nouveau une application dans Sécurité de la connexion.",
    second_factor_reset_not_you: "Si vous ne l’avez pas demandé, contactez-nous immédiatement et changez votre mot de passe.",

    statement_subject_due: |provider, amount, due| {
        format!("Votre facture {provider}\u{a0}: {amount} à régler au plus tard le {due}")
    },
    statement_subject_ready: |provider, number| {
        format!("Votre facture {provider} {number} est disponible")
    },
    statement_title: |provider, number| format!("Votre facture {provider} {number}"),
    statement_ready: |provider, period| {
        (
            format!("Votre facture {provider} "),
            format!(" pour la période {period} est disponible."),
        )
    },
    statement_prepaid: |charged| {
        (
            format!("{charged} ont été prélevés sur votre solde prépayé. Votre solde est maintenant de "),
            ".".into(),
        )
    },
    statement_nothing_to_pay: || {
        ("Vous n’avez rien à payer\u{a0}: votre solde est de ".into(), ".".into())
    },
    amount_due: "Montant dû",
    due_by: "Échéance",
    pay_amount_now: |amount| format!("Payer {amount} maintenant"),
    pay_by_card_now: "Payez-la par carte dès maintenant, sans vous connecter\u{a0}:",
    see_statement_online: "Consultez la facture, téléchargez-la en PDF ou payez en ligne\u{a0}:",
    view_statement: "Voir votre facture",
    paste_address: "Ou copiez cette adresse dans votre navigateur\u{a0}:",

    in_credit: |amount| format!("{amount} en votre faveur"),
    owed: |amount| format!("{amount} dus"),

    restored_subject: |provider| format!("Votre service {provider} est rétabli"),
    restored: "Merci pour votre paiement. Votre service est rétabli et fonctionne comme avant.",
    balance_now: |balance| format!("Votre solde est maintenant de {balance}."),
    see_account: "Voir votre compte",
    exhausted_subject: |provider| format!("Votre solde {provider} est épuisé"),
    exhausted: |period, short| {
        format!("Votre solde prépayé n’a pas couvert votre forfait pour la période {period}\u{a0}: il manque {short}, votre service est donc suspendu.")
    },
    exhausted_top_up: |short| {
        format!("Rien n’est facturé pendant la suspension. Rechargez {short} ou plus et votre service sera rétabli aussitôt.")
    },
    low_subject: |provider| format!("Votre solde {provider} est bientôt épuisé"),
    low: |balance, plan, next| {
        format!("Votre solde prépayé est de {balance} et votre forfait coûte {plan} par mois\u{a0}: il ne couvrira pas votre prochaine période, qui commence le {next}.")
    },
    low_top_up: "Rechargez d’ici là pour que votre service continue de fonctionner.",
    top_up: "Recharger",

    usage_subject_all: |period| {
        format!("Vous avez consommé toutes les données incluses pour la période {period}")
    },
    usage_subject: |percent, period| {
        format!("Vous avez consommé {percent}\u{a0}% de vos données pour la période {period}")
    },
    usage_used: |used, allowance, period| {
        format!("Vous avez consommé {used}\u{a0}Go sur les {allowance}\u{a0}Go inclus dans votre forfait pour la période {period}.")
    },
    usage_overage: |price| {
        format!("Au-delà, les données sont facturées {price} par gigaoctet entamé.")
    },
    usage_offer: |gigabytes, price| {
        format!("Vous pouvez ajouter {gigabytes}\u{a0}Go pour le reste de ce cycle pour {price}, ajoutés à votre prochaine facture, ou passer à un forfait avec plus de données. Les deux sont proposés sur votre page de consommation.")
    },
    see_usage: "Voir votre consommation",

    reminder_subject: |amount, due| format!("Rappel\u{a0}: {amount} à régler le {due}"),
    reminder: |amount, number, due| {
        format!("Petit rappel\u{a0}: le montant de {amount} de votre facture {number} est à régler le {due}.")
    },
    reminder_if_paid: "Si vous avez déjà payé, merci, et ne tenez pas compte de ce courriel.",
    overdue_subject: |amount| format!("Votre paiement de {amount} est en retard"),
    overdue: |amount, due, number| {
        format!("Nous n’avons pas reçu le montant de {amount} dû le {due} pour la facture {number}.")
    },
    overdue_pay: "Veuillez payer dès que possible pour éviter des frais de retard et une interruption de votre service.",
    late_fee_subject: |fee| format!("Des frais de retard de {fee} ont été ajoutés"),
    late_fee: |amount, due, number, fee| {
        format!("Le montant de {amount} dû le {due} pour la facture {number} n’est toujours pas payé\u{a0}: des frais de retard de {fee} figureront sur votre prochaine facture.")
    },
    late_fee_pay: "Veuillez payer maintenant pour que votre service continue de fonctionner.",
    suspended_subject: "Votre service a été suspendu",
    suspended: |amount, number, due| {
        format!("Votre service est suspendu, car le montant de {amount} de la facture {number} est en retard depuis le {due}.")
    },
    suspended_pay: "Payez le montant dû et votre service sera rétabli aussitôt.",
    pay_now: "Payer maintenant",

    card_ending: |brand, last4| format!("carte {brand} se terminant par {last4}"),
    a_card: "carte",
    receipt_subject: |amount| format!("Reçu de votre paiement de {amount}"),
    receipt: |amount, card| format!("Merci. Nous avons reçu votre paiement de {amount} par {card}."),
    receipt_reference: |reference| format!("Votre référence est {reference}."),
    see_receipt: "Voir votre reçu",
    confirm_subject: "Votre banque vous demande de confirmer votre paiement automatique",
    confirm: |amount| {
        format!("Nous avons tenté de prélever votre paiement automatique de {amount}, et votre banque vous demande d’abord de le confirmer.")
    },
    confirm_nothing_yet: "Aucun montant n’a encore été débité. Veuillez confirmer le paiement auprès de votre banque avec le lien ci-dessous.",
    confirm_payment: "Confirmer le paiement",
    autopay_failed_subject: |amount| format!("Votre paiement automatique de {amount} n’a pas abouti"),
    autopay_failed: |amount, card| {
        format!("Nous avons tenté de débiter {amount} sur votre {card}, et le paiement a été refusé.")
    },
    autopay_failed_nothing: "Aucun montant n’a été débité. Veuillez payer votre facture d’une autre manière ou mettre à jour votre carte.",

    ticket_answered_subject: |number| format!("Nous avons répondu à votre demande {number}"),
    ticket_answered: |staff, subject, number| {
        format!("{staff}, de notre équipe d’assistance, a répondu à votre demande «\u{a0}{subject}\u{a0}» ({number})\u{a0}:")
    },
    ticket_resolved: "Nous pensons que c’est maintenant réglé. Si ce n’est pas le cas, répondez simplement.",
    ticket_closed: "Cette demande est maintenant fermée. Si vous avez besoin d’aide, ouvrez une nouvelle demande.",
    ticket_waiting: "Répondez-nous dès que possible\u{a0}: nous attendons votre réponse.",
    see_conversation: "Voir la conversation",
    dispute_credited_subject: |amount, number| {
        format!("Nous avons crédité {amount} ({number})")
    },
    dispute_credited: |amount| {
        format!("Vous aviez raison\u{a0}: nous avons crédité {amount} sur votre compte. Ce crédit figurera sur votre prochaine facture.")
    },
    dispute_rejected_subject: |number| format!("À propos du montant que vous avez contesté ({number})"),

    reset_subject: |provider| format!("Réinitialisez votre mot de passe {provider}"),
    reset_asked: |provider| {
        format!("Quelqu’un (vous, nous l’espérons) a demandé à réinitialiser le mot de passe de votre compte {provider}.")
    },
    reset_open_within: |minutes| {
        format!("Pour choisir un nouveau mot de passe, ouvrez ce lien dans les {minutes}\u{a0}minutes\u{a0}:")
    },
    reset_use_within: |minutes| {
        format!("Pour choisir un nouveau mot de passe, utilisez ce lien dans les {minutes}\u{a0}minutes\u{a0}:")
    },
    reset_button: "Choisir un nouveau mot de passe",
    reset_not_you: "Le lien ne fonctionne qu’une fois. Si vous n’avez rien demandé, ignorez ce courriel\u{a0}: votre mot de passe reste inchangé.",
};
