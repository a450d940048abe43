//! [`PayTexts`] in es.

use crate::i18n::PayTexts;

fn decline(code: &str) -> &'static str {
    match code {
        "insufficient_funds" => {
            "Su tarjeta fue rechazada por fondos insuficientes. Pruebe con otra tarjeta o pague un monto menor."
        }
        "expired_card" => "Esta tarjeta está vencida. Revise la fecha de vencimiento o use otra tarjeta.",
        "incorrect_cvc" | "invalid_cvc" => {
            "El código de seguridad (CVC) no coincide. Revise los 3 dígitos al reverso de su tarjeta."
        }
        "incorrect_number" | "invalid_number" => {
            "El número de tarjeta no es correcto. Revíselo e inténtelo de nuevo."
        }
        "invalid_expiry_month" | "invalid_expiry_year" => {
            "La fecha de vencimiento no es correcta. Revísela e inténtelo de nuevo."
        }
        "incorrect_zip" => "El código postal no coincide con el de su tarjeta. Revíselo.",
        "processing_error" => {
            "Ocurrió un error al procesar su tarjeta. No se realizó ningún cargo; inténtelo de nuevo."
        }
        "payment_intent_authentication_failure"
        | "setup_intent_authentication_failure"
        | "authentication_required" => {
            "Su banco no pudo confirmar este pago. No se realizó ningún cargo. Inténtelo de nuevo o use otra tarjeta."
        }
        "lost_card" | "stolen_card" | "pickup_card" | "restricted_card" | "fraudulent" => {
            "Su banco rechazó esta tarjeta. Use otra tarjeta o llame a su banco."
        }
        "card_velocity_exceeded" | "withdrawal_count_limit_exceeded" => {
            "Su tarjeta alcanzó su límite. Pruebe con otra tarjeta o llame a su banco."
        }
        "currency_not_supported" | "card_not_supported" => {
            "Esta tarjeta no se puede usar para este pago. Use otra tarjeta."
        }
        "do_not_honor" | "generic_decline" | "card_declined" | "call_issuer" => {
            "Su tarjeta fue rechazada. No se realizó ningún cargo. Pruebe con otra tarjeta o llame a su banco."
        }
        _ => "Su tarjeta no fue aceptada. No se realizó ningún cargo. Pruebe con otra tarjeta.",
    }
}

pub static PAY_ES: PayTexts = PayTexts {
    nav_pay: "Pagar",
    nav_cards: "Tarjetas",

    pay_title: "Realizar un pago",
    balance_now: "Saldo actual",
    statement_due: |number, date| format!("Estado de cuenta {number}, vence el {date}"),
    statement_overdue: |number, date| format!("Estado de cuenta {number}, venció el {date}"),
    nothing_owed: "No tiene nada que pagar por ahora. Aun así, puede pagar por adelantado.",
    amount_label: "Monto a pagar",
    amount_hint: |min, max| format!("Entre {min} y {max}."),
    pay_with: "Pagar con",
    new_card: "Una tarjeta nueva",
    card_details: "Datos de la tarjeta",
    save_card: "Guardar esta tarjeta para la próxima vez",
    pay_button: |amount| format!("Pagar {amount}"),
    pay_button_plain: "Pagar",
    paying: "Pagando…",
    wallet_or: "O ingrese los datos de su tarjeta a continuación",
    wallet_label: "Pagar con Apple Pay o Google Pay",
    secure_note: "Los datos de su tarjeta van directamente a nuestro procesador de tarjetas, Stripe. Nunca vemos ni guardamos el número de su tarjeta.",
    cards_unavailable: "Los pagos con tarjeta no están disponibles en este momento. Inténtelo de nuevo más tarde.",
    stripe_not_loaded: "No se pudo cargar el formulario de la tarjeta. Revise su conexión y vuelva a cargar la página.",
    manage_cards: "Tarjetas guardadas y pago automático",

    card_line: |brand, last4| format!("{brand} •••• {last4}"),
    card_expires: |month, year| format!("Vence {month:02}/{}", year % 100),
    card_expired: "Vencida",
    default_badge: "Predeterminada",

    receipt_title: "Comprobante de pago",
    receipt_thanks: "Gracias. Su pago se realizó correctamente.",
    receipt_amount: "Monto",
    receipt_date: "Fecha",
    receipt_card: "Tarjeta",
    receipt_statement: "Estado de cuenta",
    receipt_status: "Estado",
    receipt_reference: "Referencia",
    receipt_how: "Origen",
    source_portal: "Este portal",
    source_pay_link: "Un enlace de pago",
    source_autopay: "Pago automático",
    state_pending: "Sin completar",
    state_requires_action: "Esperando a su banco",
    state_succeeded: "Pagado",
    state_failed: "Rechazado",
    state_cancelled: "Cancelado",
    action_needed: "Su banco le pide que confirme este pago. Aún no se ha realizado ningún cargo.",
    not_finished: "Nuestro procesador de tarjetas aún no ha confirmado este pago. Por favor, no vuelva a pagar: si se cargó a su tarjeta, esta página lo mostrará en unos minutos.",
    confirm_with_bank: "Confirmar con su banco",
    confirming: "Confirmando…",
    back_to_overview: "Volver a su cuenta",
    pay_again: "Hacer otro pago",

    cards_title: "Tarjetas guardadas",
    no_cards: "No tiene tarjetas guardadas.",
    add_card: "Agregar una tarjeta",
    save_new_card: "Guardar tarjeta",
    saving: "Guardando…",
    card_saved: "Su tarjeta se guardó.",
    make_default: "Usar como predeterminada",
    remove: "Eliminar",
    remove_confirm: |card| format!("¿Eliminar {card}?"),
    remove_yes: "Sí, eliminarla",
    cancel: "Cancelar",
    autopay_title: "Pago automático",
    autopay_explain: "En la fecha de su estado de cuenta, cobramos el monto a pagar a su tarjeta predeterminada. Puede desactivarlo en cualquier momento.",
    autopay_on: "El pago automático está activado.",
    autopay_off: "El pago automático está desactivado.",
    autopay_turn_on: "Activar pago automático",
    autopay_turn_off: "Desactivar pago automático",
    autopay_needs_card: "Primero guarde una tarjeta: el pago automático se cobra a su tarjeta predeterminada.",

    notice_action: |amount| format!("Su banco necesita que confirme su pago automático de {amount}."),
    notice_action_link: "Confirmar el pago",

    link_title: "Pague su estado de cuenta",
    link_statement: "Estado de cuenta",
    link_amount: "Monto a pagar",
    link_due: "Vencimiento",
    link_paid: "Este estado de cuenta está pagado. Gracias.",
    link_on_hold: "No hay nada que pagar en este estado de cuenta mientras revisamos el cargo que reclamó.",
    link_done: |amount, reference| format!("Gracias. Recibimos su pago de {amount}. Su referencia es P-{reference}."),
    link_expired: "Este enlace de pago venció. Inicie sesión para pagar o use el enlace del correo de su último estado de cuenta.",
    link_invalid: "Este enlace de pago no es válido. Inicie sesión para pagar o use el enlace del correo de su último estado de cuenta.",
    link_sign_in: "Inicie sesión para pagar",

    decline,
};
