//! Spanish (español), addressed formally (usted).

mod cap;
mod disputes;
mod network;
mod payments;
mod plans;
mod security;
mod tickets;

pub use cap::CAP_ES;
pub use disputes::DISPUTES_ES;
pub use network::NETWORK_ES;
pub use payments::PAY_ES;
pub use plans::PLANS_ES;
pub use security::SECURITY_ES;
pub use tickets::TICKETS_ES;

use super::{Lang, Texts};
use crate::error::AppError;

fn error(e: &AppError) -> String {
    match e {
        AppError::Unauthenticated => "Su sesión ha finalizado. Inicie sesión de nuevo.".into(),
        AppError::NotFound => "No encontramos lo que busca.".into(),
        AppError::Forbidden => "Su rol no permite esta acción.".into(),
        AppError::ReadOnly => {
            "No es posible mientras ve la cuenta como el suscriptor: esto debe hacerlo el propio suscriptor.".into()
        }
        AppError::InvalidCredentials => {
            "El correo electrónico o número de cuenta y la contraseña no coinciden con nuestros registros.".into()
        }
        AppError::Throttled { retry_after_secs } => {
            let minutes = retry_after_secs.div_ceil(60).max(1);
            format!(
                "Demasiados intentos. Por su seguridad, espere {minutes} minuto{} antes de volver a intentarlo.",
                if minutes == 1 { "" } else { "s" }
            )
        }
        AppError::InvalidInput { message, .. } => message.clone(),
        AppError::ResetLinkInvalid => {
            "Este enlace para restablecer la contraseña venció o ya se usó. Solicite uno nuevo.".into()
        }
        AppError::BadRequest => {
            "No pudimos leer lo que envió. Vuelva a cargar la página e inténtelo de nuevo.".into()
        }
        AppError::Conflict { message } => message.clone(),
        // In this language, from the decline's code (the server's message is English).
        AppError::PaymentFailed { reason, .. } => (PAY_ES.decline)(reason).into(),
        AppError::Unavailable => {
            "No pudimos comunicarnos con nuestro procesador de tarjetas. No se realizó ningún cargo; inténtelo de nuevo en unos momentos."
                .into()
        }
        AppError::DatabaseDown => "No podemos acceder a los registros de su cuenta en este momento. No se cambió nada; inténtelo de nuevo en un minuto.".into(),
        AppError::Internal => {
            "Algo salió mal de nuestro lado. Inténtelo de nuevo en unos momentos.".into()
        }
    }
}

fn event_kind(kind: &str) -> &'static str {
    match kind {
        "activation" => "Activación",
        "plan_change" => "Cambio de plan",
        "suspension" => "Suspensión",
        "restoration" => "Restablecimiento",
        "cancellation" => "Cancelación",
        "outage" => "Interrupción del servicio",
        "payment" => "Pago",
        "statement" => "Estado de cuenta",
        "ticket" => "Solicitud de soporte",
        "support_access" => "Acceso del soporte",
        "dunning" => "Recordatorio",
        _ => "Cuenta",
    }
}

pub static ES: Texts = Texts {
    lang: Lang::Es,
    app_name: "Lastmile",
    colon: ": ",
    nav_overview: "Inicio",
    nav_usage: "Consumo",
    nav_statements: "Facturas",
    nav_history: "Historial",
    nav_sign_out: "Cerrar sesión",
    nav_menu: "Menú principal",
    skip_to_content: "Ir al contenido",
    loading: "Cargando…",
    account_label: "Cuenta",

    sign_in_title: "Iniciar sesión",
    sign_in_identifier: "Correo electrónico o número de cuenta",
    sign_in_identifier_hint: "Su número de cuenta aparece en la parte superior de cada estado de cuenta.",
    sign_in_password: "Contraseña",
    sign_in_submit: "Iniciar sesión",
    sign_in_forgot: "¿Olvidó su contraseña?",
    sign_in_session_ended: "Su sesión ha finalizado. Inicie sesión de nuevo.",
    signed_out: "Ha cerrado sesión.",

    forgot_title: "Restablecer su contraseña",
    forgot_intro: "Ingrese su correo electrónico o número de cuenta y le enviaremos por correo un enlace para elegir una nueva contraseña.",
    forgot_submit: "Enviarme un enlace",
    forgot_sent: "Si los datos coinciden con una cuenta, enviamos un enlace a su dirección de correo electrónico. El enlace funciona una sola vez, durante una hora.",
    reset_title: "Elija una nueva contraseña",
    reset_new_password: "Nueva contraseña",
    reset_confirm_password: "Confirme la nueva contraseña",
    reset_submit: "Guardar contraseña",
    reset_done: "Su contraseña se cambió. Ya puede iniciar sesión.",
    back_to_sign_in: "Volver a iniciar sesión",

    overview_title: "Resumen",
    balance: "Saldo",
    balance_credit: "Tiene saldo a favor",
    nothing_due: "No tiene nada que pagar por ahora.",
    due_on: |d| format!("Vence el {d}"),
    overdue_since: |d| format!("Vencido desde el {d}"),
    your_plan: "Su plan",
    no_active_plan: "No hay ningún servicio activo.",
    unlimited_data: "Datos ilimitados",
    allowance: |a| format!("{a} al mes"),
    speed: |down, up| format!("{down} Mbps de descarga · {up} Mbps de subida"),
    per_month: |p| format!("{p} al mes"),
    usage_this_cycle: "Consumo en este ciclo",
    usage_of_allowance: |used, allowance| format!("{used} de {allowance}"),
    usage_used: |used| format!("{used} consumidos"),
    usage_projection: |p| format!("A este ritmo, habrá usado unos {p} al final del ciclo."),
    usage_projection_over: |p| {
        format!("A este ritmo, habrá usado unos {p} al final del ciclo, más que sus datos incluidos.")
    },
    usage_no_hours_since: |day, from| {
        format!("Las cifras por hora solo se conservan para los días recientes: del {day} se muestra el total, y a partir del {from} se muestran también las horas.")
    },
    usage_no_hours: |day| format!("Las cifras por hora solo se conservan para los días recientes: del {day} se muestra el total."),
    usage_projection_too_early: |date| {
        format!("Aún es pronto en el ciclo para pronosticar su consumo: mostraremos un pronóstico a partir del {date}.")
    },

    cycle_dates: |from, to| format!("{from} – {to}"),
    latest_statement: "Último estado de cuenta",
    next_bill: "Su próxima factura, hasta ahora",
    next_bill_on: |date| format!("Estado de cuenta del {date}"),
    next_bill_new_charges: "Cargos nuevos",
    next_bill_total: "Total si no hay otros cambios",
    next_bill_note: "Consumo y pagos hasta hoy; las cifras definitivas llegan con el estado de cuenta.",
    no_statements: "Aún no hay estados de cuenta.",
    last_payment: "Último pago",
    no_payments: "Aún no hay pagos.",
    paid_on: |amount, date| format!("{amount} el {date}"),
    open_tickets: "Solicitudes de soporte abiertas",
    no_open_tickets: "No hay solicitudes abiertas.",
    outage_heading: |title| format!("Interrupción del servicio: {title}"),
    outage_since: |since| format!("Desde el {since}. Estamos trabajando para repararla."),
    outage_credit: "Si dura más de 48 horas, su próxima factura recibirá un crédito del precio de un día por cada día completo adicional.",
    view_statement: "Ver estado de cuenta",
    view_usage: "Ver consumo",

    usage_title: "Consumo",
    usage_by_day: "Por día",
    usage_by_hour: |d| format!("Por hora el {d}"),
    usage_last_cycles: "Últimos 12 ciclos",
    usage_download_csv: "Descargar CSV",
    usage_previous_cycle: "Ciclo anterior",
    usage_next_cycle: "Ciclo siguiente",
    usage_no_data: "No hay consumo registrado en este período.",
    usage_table_caption: "Datos usados por día",
    col_day: "Día",
    col_hour: "Hora",
    col_download: "Descarga",
    col_upload: "Subida",
    col_total: "Total",
    col_period: "Período",
    col_allowance: "Datos incluidos",
    show_table: "Mostrar las cifras en una tabla",
    allowance_line: "Parte diaria de los datos incluidos",
    choose_day: "Elija un día para verlo por hora.",

    statements_title: "Estados de cuenta",
    col_statement: "Número",
    col_issued: "Emisión",
    col_due: "Vencimiento",
    col_amount: "Monto",
    col_status: "Estado",
    status_open: "Pendiente",
    status_paid: "Pagado",
    status_overdue: "Vencido",
    status_void: "Anulado",
    statement_title: |n| format!("Estado de cuenta {n}"),
    statement_period: "Período",
    statement_issued: "Fecha de emisión",
    statement_due: "Fecha de vencimiento",
    statement_account: "Cuenta",
    previous_balance: "Saldo anterior",
    new_charges: "Cargos nuevos",
    taxes: "Impuestos",
    payments: "Pagos",
    credits: "Créditos y ajustes",
    total_due: "Total a pagar",
    subtotal: "Subtotal",
    group_recurring: "Plan y servicios",
    group_usage: "Consumo",
    group_one_time: "Cargos únicos",
    group_taxes: "Impuestos",
    group_payments_credits: "Pagos y créditos",
    print: "Imprimir",
    download_pdf: "Descargar PDF",
    back_to_statements: "Todos los estados de cuenta",
    line_working: "Cómo se calculó",
    continued: |heading| format!("{heading} (continuación)"),
    page_of: |page, pages| format!("Página {page} de {pages}"),

    history_title: "Historial del servicio",
    history_all: "Todos los eventos",
    history_filter: "Mostrar",
    history_empty: "Aún no hay nada aquí.",
    history_older: "Eventos anteriores",
    event_kind,

    not_found_title: "Página no encontrada",
    not_found_body: "La página que solicitó no existe.",
    error,
    error_heading: |error| match error {
        AppError::NotFound => "No encontrado",
        AppError::Forbidden | AppError::ReadOnly => "No permitido",
        AppError::Unauthenticated => "Inicie sesión de nuevo",
        _ => "Algo salió mal",
    },
    try_again: "Intentar de nuevo",
};
