//! [`PlanTexts`] in es.

use crate::i18n::PlanTexts;

pub static PLANS_ES: PlanTexts = PlanTexts {
    nav_plans: "Plan",
    plans_title: "Su plan",
    no_services: "No hay ningún servicio activo en esta cuenta.",
    service_at: |a| format!("Servicio en {a}"),
    current_plan: "Plan actual",
    contract_until: |d| format!("Contrato hasta el {d}"),
    no_contract: "Sin contrato",
    pending_title: "Cambio pendiente",
    pending_line: |plan, day| format!("Cambiará a {plan} el {day}."),
    pending_fee: |fee| format!("En ese momento se cobrará un cargo por terminación anticipada de {fee}."),
    cancel_change: "Cancelar este cambio",
    available_title: "Planes disponibles en esta dirección",
    none_available: "No se ofrece ningún otro plan en esta dirección.",
    col_plan: "Plan",
    col_speed: "Velocidad",
    col_data: "Datos",
    col_price: "Precio",
    col_contract: "Contrato",
    contract_months: |m| {
        if m == 0 {
            "Ninguno".to_string()
        } else if m == 1 {
            "1 mes".to_string()
        } else {
            format!("{m} meses")
        }
    },
    fee_if_leaving: |fee| format!("hasta {fee} por terminación anticipada"),
    choose: "Elegir",
    technology: |t| match t {
        "fibre" => "Fibra",
        "cable" => "Cable",
        "dsl" => "DSL",
        "fixed_wireless" => "Inalámbrica fija",
        _ => "Otra",
    },
    upgrade: "Mejora",
    downgrade: "Reducción",
    change_applied: "Su plan se cambió. La red se está actualizando ahora.",
    change_scheduled: "Su cambio de plan está programado. Aparecerá abajo hasta que entre en vigor.",
    change_cancelled: "Se canceló el cambio de plan programado.",

    preview_title: |plan| format!("Cambiar a {plan}"),
    from_to: |from, to| format!("De {from} a {to}"),
    takes_effect_now: "Entra en vigor hoy.",
    takes_effect_on: |d| format!("Entra en vigor el {d}, al inicio de su próximo período de facturación."),
    now_title: "Ahora",
    charge_now: |amount, days| {
        format!("{amount} por el período {days} al nuevo precio, menos lo que ya pagó por esos días. Aparecerá en su próximo estado de cuenta.")
    },
    credit_now: |amount, days| {
        format!("Un crédito de {amount} (impuestos incluidos) por el período {days}, que ya pagó al precio anterior. Aparecerá en su próximo estado de cuenta.")
    },
    nothing_now: "No se cobra ni se acredita nada ahora.",
    next_statement_title: |d| format!("Su próximo estado de cuenta ({d})"),
    next_statement_total: "Cargos nuevos",
    next_statement_due: "Total a pagar, con su saldo hasta hoy",
    monthly_after: "Cada mes a partir de entonces",
    monthly_after_note: "Cargos del plan e impuestos, sin contar consumo ni cargos únicos.",
    contract_title: "Contrato",
    contract_kept: |d| format!("Su contrato continúa hasta el {d}."),
    contract_new: |d| format!("El nuevo plan tiene un contrato hasta el {d}."),
    contract_none_after: "No hay contrato después del cambio.",
    etf_explain: |months, plan, fee| {
        format!(
            "Cuando el cambio entre en vigor, a su contrato de {plan} {}. Terminarlo antes implica un cargo por terminación anticipada de {fee}, que se cobrará en el estado de cuenta posterior al cambio.",
            if months == 1 { "le quedará 1 mes".to_string() } else { format!("le quedarán {months} meses") }
        )
    },
    etf_accept: |fee| format!("Acepto el cargo por terminación anticipada de {fee}."),
    confirm: "Confirmar el cambio",
    back_to_plans: "Volver a los planes",
    usual_over_cost: |usual, cycles, plan, included, over, cost| {
        format!(
            "Normalmente usa unos {usual} por ciclo ({}). {plan} incluye {included}: con ese consumo, cuente con unos {over} GB de excedente, {cost} más por ciclo.",
            if cycles == 1 { "el último ciclo".to_string() } else { format!("el promedio de sus últimos {cycles} ciclos") }
        )
    },
    usual_over_cap: |usual, cycles, plan, included| {
        format!(
            "Normalmente usa unos {usual} por ciclo ({}). {plan} incluye {included}, y alcanzaría su límite antes del final de la mayoría de los ciclos.",
            if cycles == 1 { "el último ciclo".to_string() } else { format!("el promedio de sus últimos {cycles} ciclos") }
        )
    },
    error_conflict: "Su plan cambió mientras tanto (quizás en otra ventana). Este es el cambio tal como está ahora.",
    error_invalid: "Marque la casilla para aceptar el cargo por terminación anticipada antes de confirmar.",
    error_other: "No se pudo realizar el cambio. No se modificó nada; inténtelo de nuevo.",
};
