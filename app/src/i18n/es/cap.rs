//! [`CapTexts`] in es.

use crate::i18n::CapTexts;

pub static CAP_ES: CapTexts = CapTexts {
    updated: |at| format!("Actualizado: {at}"),
    figures_through: |day| format!("Cifras hasta el {day}"),
    forecast_title: "Pronóstico",
    forecast_too_early: |day| {
        format!("El pronóstico aparecerá el {day}, cuando algunos días de este ciclo muestren su ritmo de consumo.")
    },
    forecast_runs_out: |allowance, day, projected| {
        format!("A este ritmo, sus datos incluidos ({allowance}) se agotarán el {day} (unos {projected} al final del ciclo).")
    },
    forecast_lasts: |projected, allowance| {
        format!("A este ritmo, usará unos {projected} de sus {allowance} en este ciclo.")
    },
    forecast_used_up: "Ya usó todos los datos incluidos en este ciclo.",
    overage_note: |price| format!("El consumo que exceda sus datos incluidos cuesta {price} por GB o fracción."),
    alert_reached: |pct| format!("Ha usado el {pct}% de los datos de este ciclo."),
    alert_all_used: "Ha usado todos los datos de este ciclo.",
    addons_included: |gb| format!("Incluye {gb} en paquetes de datos adicionales para este ciclo."),
    addon_title: |gb| format!("Agregar {gb} para este ciclo"),
    addon_next_bill: |price| format!("Agregar a mi próxima factura: {price}"),
    addon_pay_now: |total| format!("Pagar {total} ahora con tarjeta"),
    addon_pay_now_with: |total, card| format!("Pagar {total} ahora con {card}"),
    addon_pay_now_tax: |price, tax, total| format!("Ahora con tarjeta: {price} + {tax} de impuestos = {total}."),
    addon_note: "Solo para este ciclo. En su próxima factura, los impuestos se suman con sus demás cargos.",
    addon_read_only: "Está viendo la cuenta como el suscriptor: solo el suscriptor o el personal de facturación pueden comprar.",
    addon_bought: "Se agregaron los datos para este ciclo. Aparecerán en su próximo estado de cuenta.",
    addon_error_conflict:
        "Esta página estaba desactualizada. Estos son sus paquetes de datos adicionales tal como están ahora.",
    addon_error_other: "No se pudieron agregar los datos. No se realizó ningún cargo; inténtelo de nuevo.",
    addon_paying_for: |what| format!("Está pagando: {what}"),
    addon_yours: "Los datos ya son suyos. Si no paga ahora, este monto vencerá con su próximo estado de cuenta.",
    addon_already_paid: "Su paquete de datos adicionales ya está pagado. Gracias.",
    receipt_for: "Concepto",
    receipt_addon_unpaid: |amount| {
        format!("El paquete de datos adicionales sigue siendo suyo: {amount} queda en su saldo y vence con su próximo estado de cuenta.")
    },
    receipt_addon_retry: "Pagarlo con otra tarjeta",
    upgrade: "Ver un plan con más datos",
    ways_out: "Cómo evitar cargos por excedente",
};
