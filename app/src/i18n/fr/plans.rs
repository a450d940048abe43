//! [`PlanTexts`] in French.

use crate::i18n::PlanTexts;

pub static PLANS_FR: PlanTexts = PlanTexts {
    nav_plans: "Forfait",
    plans_title: "Votre forfait",
    no_services: "Aucun service actif sur ce compte.",
    service_at: |a| format!("Adresse du service\u{a0}: {a}"),
    current_plan: "Forfait actuel",
    contract_until: |d| format!("Contrat jusqu’au {d}"),
    no_contract: "Sans contrat",
    pending_title: "Changement prévu",
    pending_line: |plan, day| format!("Passage au forfait {plan} le {day}."),
    pending_fee: |fee| format!("Des frais de résiliation anticipée de {fee} seront alors facturés."),
    cancel_change: "Annuler ce changement",
    available_title: "Forfaits disponibles à cette adresse",
    none_available: "Aucun autre forfait n’est proposé à cette adresse.",
    col_plan: "Forfait",
    col_speed: "Débit",
    col_data: "Données",
    col_price: "Prix",
    col_contract: "Contrat",
    contract_months: |m| {
        if m == 0 {
            "Aucun".to_string()
        } else {
            format!("{m}\u{a0}mois")
        }
    },
    fee_if_leaving: |fee| format!("jusqu’à {fee} en cas de départ anticipé"),
    choose: "Choisir",
    technology: |t| match t {
        "fibre" => "Fibre",
        "cable" => "Câble",
        "dsl" => "DSL",
        "fixed_wireless" => "Sans-fil fixe",
        _ => "Autre",
    },
    upgrade: "Forfait supérieur",
    downgrade: "Forfait inférieur",
    change_applied: "Votre forfait a été modifié. Le réseau est en cours de mise à jour.",
    change_scheduled: "Votre changement de forfait est programmé. Il reste affiché ci-dessous jusqu’à sa prise d’effet.",
    change_cancelled: "Le changement de forfait programmé a été annulé.",

    preview_title: |plan| format!("Passer au forfait {plan}"),
    from_to: |from, to| format!("De {from} à {to}"),
    takes_effect_now: "Prend effet aujourd’hui.",
    takes_effect_on: |d| format!("Prend effet le {d}, au début de votre prochaine période de facturation."),
    now_title: "Dès maintenant",
    charge_now: |amount, days| {
        format!("{amount} pour la période {days} au nouveau prix, moins ce que vous avez déjà payé pour ces jours. Ce montant figurera sur votre prochaine facture.")
    },
    credit_now: |amount, days| {
        format!("Un crédit de {amount} (taxes comprises) pour la période {days}, déjà payée à l’ancien prix. Il figurera sur votre prochaine facture.")
    },
    nothing_now: "Rien n’est facturé ni crédité pour le moment.",
    next_statement_title: |d| format!("Votre prochaine facture ({d})"),
    next_statement_total: "Nouveaux frais",
    next_statement_due: "Total à payer, avec votre solde actuel",
    monthly_after: "Ensuite, chaque mois",
    monthly_after_note: "Forfait et taxes, hors consommation et frais ponctuels.",
    contract_title: "Contrat",
    contract_kept: |d| format!("Votre contrat se poursuit jusqu’au {d}."),
    contract_new: |d| format!("Le nouveau forfait comporte un contrat jusqu’au {d}."),
    contract_none_after: "Aucun contrat ne s’applique après le changement.",
    etf_explain: |months, plan, fee| {
        format!("Il restera {months}\u{a0}mois à votre contrat {plan} lorsque le changement prendra effet. Y mettre fin avant son terme entraîne des frais de résiliation anticipée de {fee}, portés sur la facture qui suit le changement.")
    },
    etf_accept: |fee| format!("J’accepte les frais de résiliation anticipée de {fee}."),
    confirm: "Confirmer le changement",
    back_to_plans: "Retour aux forfaits",
    usual_over_cost: |usual, cycles, plan, included, over, cost| {
        format!(
            "Vous consommez habituellement environ {usual} par cycle ({}). Le forfait {plan} inclut {included}\u{a0}: à ce niveau de consommation, prévoyez environ {over}\u{a0}Go de dépassement, soit {cost} de plus par cycle.",
            if cycles == 1 { "au dernier cycle".to_string() } else { format!("en moyenne sur vos {cycles} derniers cycles") }
        )
    },
    usual_over_cap: |usual, cycles, plan, included| {
        format!(
            "Vous consommez habituellement environ {usual} par cycle ({}). Le forfait {plan} inclut {included}, et vous atteindriez sa limite avant la fin de la plupart des cycles.",
            if cycles == 1 { "au dernier cycle".to_string() } else { format!("en moyenne sur vos {cycles} derniers cycles") }
        )
    },
    error_conflict: "Votre forfait a été modifié entre-temps (peut-être dans une autre fenêtre). Voici le changement tel qu’il se présente maintenant.",
    error_invalid: "Veuillez cocher la case pour accepter les frais de résiliation anticipée avant de confirmer.",
    error_other: "Le changement n’a pas pu être effectué. Rien n’a été modifié\u{202f}; veuillez réessayer.",
};
