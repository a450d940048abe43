//! [`CapTexts`] in French.

use crate::i18n::CapTexts;

pub static CAP_FR: CapTexts = CapTexts {
    updated: |at| format!("Dernière mise à jour\u{a0}: {at}"),
    figures_through: |day| format!("Chiffres arrêtés au {day}"),
    forecast_title: "Prévision",
    forecast_too_early: |day| {
        format!("Une prévision s’affichera le {day}, dès que quelques jours de ce cycle permettront d’estimer votre rythme.")
    },
    forecast_runs_out: |allowance, day, projected| {
        format!("À ce rythme, vos {allowance} seront épuisés le {day} (environ {projected} d’ici la fin du cycle).")
    },
    forecast_lasts: |projected, allowance| {
        format!("À ce rythme, vous consommerez environ {projected} sur vos {allowance} pendant ce cycle.")
    },
    forecast_used_up: "Vous avez consommé toutes les données incluses pour ce cycle.",
    overage_note: |price| format!("Au-delà des données incluses, chaque Go entamé est facturé {price}."),
    alert_reached: |pct| format!("Vous avez consommé {pct}\u{a0}% des données de ce cycle."),
    alert_all_used: "Vous avez consommé toutes les données de ce cycle.",
    addons_included: |gb| format!("Dont {gb} de recharges de données pour ce cycle."),
    addon_title: |gb| format!("Ajouter {gb} pour ce cycle"),
    addon_next_bill: |price| format!("Ajouter à ma prochaine facture\u{a0}: {price}"),
    addon_pay_now: |total| format!("Payer {total} maintenant par carte"),
    addon_pay_now_with: |total, card| format!("Payer {total} maintenant avec {card}"),
    addon_pay_now_tax: |price, tax, total| {
        format!("Paiement immédiat par carte\u{a0}: {price} + {tax} de taxes = {total}.")
    },
    addon_note: "Pour ce cycle uniquement. Sur votre prochaine facture, les taxes s’ajoutent avec vos autres frais.",
    addon_read_only: "Consultation en tant qu’abonné\u{a0}: l’achat est réservé à l’abonné ou au personnel de facturation.",
    addon_bought: "Données ajoutées pour ce cycle. Elles figureront sur votre prochaine facture.",
    addon_error_conflict:
        "Cette page n’était plus à jour. Voici vos recharges de données telles qu’elles sont maintenant.",
    addon_error_other: "Les données n’ont pas pu être ajoutées. Aucun montant n’a été débité\u{202f}; veuillez réessayer.",
    addon_paying_for: |what| format!("Vous payez\u{a0}: {what}"),
    addon_yours: "Les données vous sont déjà acquises. Si vous ne payez pas maintenant, ce montant sera à régler avec votre prochaine facture.",
    addon_already_paid: "Votre recharge de données est payée. Merci.",
    receipt_for: "Objet",
    receipt_addon_unpaid: |amount| {
        format!("La recharge de données vous reste acquise\u{a0}: {amount} reste à votre solde, à régler avec votre prochaine facture.")
    },
    receipt_addon_retry: "Payer avec une autre carte",
    upgrade: "Voir un forfait avec plus de données",
    ways_out: "Comment éviter les dépassements",
};
