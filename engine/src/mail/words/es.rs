//! The emails in Spanish: "usted", neutral for the Americas and the US, in the portal's
//! terms ("estado de cuenta", "saldo a favor", "Pagar ahora").

use super::MailWords;

pub static ES: MailWords = MailWords {
    lang: "es",
    hello: |name| format!("Hola, {name}:"),
    colon: ": ",
    outage_subject: |title| format!("Interrupción del servicio: {title}"),
    outage_began: |since| format!("Desde el {since}, su servicio está afectado por una interrupción que estamos reparando."),
    outage_credit_rule: "Si dura más de 48 horas, su próxima factura recibirá un crédito del precio de un día por cada día completo adicional. No necesita hacer nada.",
    outage_over_subject: |title| format!("Resuelto: {title}"),
    outage_over: |until| format!("La interrupción terminó el {until} y su servicio funciona como antes. Gracias por su paciencia."),
    invitation_subject: |provider| format!("Su cuenta de {provider} está lista: elija su contraseña"),
    invitation: |provider, number| format!("Su cuenta {number} de {provider} pasó a nuestra nueva cuenta en línea. Su servicio, su plan y su saldo siguen igual. Elija una contraseña para entrar, ver sus estados de cuenta y su consumo, y pagar en línea."),
    invitation_within: |days| format!("El enlace funciona una vez, durante {days} días. Después, use «¿Olvidó su contraseña?» en la página de inicio de sesión."),
    invitation_button: "Elegir mi contraseña",
    second_factor_reset_subject: |provider| format!("El código de autenticación para entrar en {provider} está desactivado"),
    second_factor_reset: "Como pidió a nuestro equipo de soporte, ya no se le pedirá el código de una aplicación de autenticación al iniciar sesión: basta con su contraseña. Puede configurar de nuevo una aplicación en Seguridad de inicio de sesión.",
    second_factor_reset_not_you: "Si no lo pidió, comuníquese con nosotros de inmediato y cambie su contraseña.",

    statement_subject_due: |provider, amount, due| {
        format!("Su estado de cuenta de {provider}: {amount} a pagar antes del {due}")
    },
    statement_subject_ready: |provider, number| {
        format!("Su estado de cuenta {number} de {provider} está listo")
    },
    statement_title: |provider, number| format!("Su estado de cuenta {number} de {provider}"),
    statement_ready: |provider, period| {
        ("Su estado de cuenta ".into(), format!(" de {provider} del período {period} está listo."))
    },
    statement_prepaid: |charged| {
        (
            format!("Se descontaron {charged} de su saldo prepagado. Su saldo ahora es "),
            ".".into(),
        )
    },
    statement_nothing_to_pay: || ("No tiene nada que pagar: su saldo es ".into(), ".".into()),
    amount_due: "Monto a pagar",
    due_by: "Fecha límite de pago",
    pay_amount_now: |amount| format!("Pagar {amount} ahora"),
    pay_by_card_now: "Páguelo ahora con tarjeta, sin iniciar sesión:",
    see_statement_online: "Vea el estado de cuenta, descárguelo en PDF o pague en línea:",
    view_statement: "Ver su estado de cuenta",
    paste_address: "O copie esta dirección en su navegador:",

    in_credit: |amount| format!("{amount} a su favor"),
    owed: |amount| format!("{amount} adeudados"),

    restored_subject: |provider| format!("Su servicio de {provider} está activo de nuevo"),
    restored: "Gracias por su pago. Su servicio se restableció y funciona como antes.",
    balance_now: |balance| format!("Su saldo ahora es {balance}."),
    see_account: "Ver su cuenta",
    exhausted_subject: |provider| format!("Se agotó su saldo de {provider}"),
    exhausted: |period, short| {
        format!("Su saldo prepagado no cubrió su plan del período {period}: faltan {short}, por lo que su servicio está en pausa.")
    },
    exhausted_top_up: |short| {
        format!("No se cobra nada mientras está en pausa. Recargue {short} o más y su servicio se reactivará de inmediato.")
    },
    low_subject: |provider| format!("Su saldo de {provider} se está agotando"),
    low: |balance, plan, next| {
        format!("Su saldo prepagado es de {balance} y su plan cuesta {plan} al mes: no alcanzará para su próximo período, que comienza el {next}.")
    },
    low_top_up: "Recargue antes de esa fecha para que su servicio siga funcionando.",
    top_up: "Recargar",

    usage_subject_all: |period| {
        format!("Ya usó todos los datos incluidos del período {period}")
    },
    usage_subject: |percent, period| {
        format!("Ya usó el {percent}\u{a0}% de sus datos del período {period}")
    },
    usage_used: |used, allowance, period| {
        format!("Ha usado {used} GB de los {allowance} GB incluidos en su plan para el período {period}.")
    },
    usage_overage: |price| {
        format!("Los datos adicionales se cobran a {price} por cada gigabyte iniciado.")
    },
    usage_offer: |gigabytes, price| {
        format!("Puede agregar {gigabytes} GB por el resto de este ciclo por {price}, que se sumarán a su próximo estado de cuenta, o cambiar a un plan con más datos. Ambas opciones están en su página de consumo.")
    },
    see_usage: "Ver su consumo",

    reminder_subject: |amount, due| format!("Recordatorio: {amount} a pagar el {due}"),
    reminder: |amount, number, due| {
        format!("Le recordamos que el pago de {amount} de su estado de cuenta {number} vence el {due}.")
    },
    reminder_if_paid: "Si ya pagó, le damos las gracias; por favor, ignore este correo.",
    overdue_subject: |amount| format!("Su pago de {amount} está vencido"),
    overdue: |amount, due, number| {
        format!("No hemos recibido los {amount} que vencían el {due} por el estado de cuenta {number}.")
    },
    overdue_pay: "Pague lo antes posible para evitar un cargo por pago tardío y la interrupción de su servicio.",
    late_fee_subject: |fee| format!("Se agregó un cargo por pago tardío de {fee}"),
    late_fee: |amount, due, number, fee| {
        format!("Los {amount} que vencían el {due} por el estado de cuenta {number} siguen sin pagarse, por lo que su próximo estado de cuenta incluirá un cargo por pago tardío de {fee}.")
    },
    late_fee_pay: "Pague ahora para que su servicio siga funcionando.",
    suspended_subject: "Su servicio fue suspendido",
    suspended: |amount, number, due| {
        format!("Su servicio está suspendido porque los {amount} del estado de cuenta {number} están vencidos desde el {due}.")
    },
    suspended_pay: "Pague el monto adeudado y su servicio se reactivará de inmediato.",
    pay_now: "Pagar ahora",

    card_ending: |brand, last4| format!("tarjeta {brand} terminada en {last4}"),
    a_card: "tarjeta",
    receipt_subject: |amount| format!("Recibo de su pago de {amount}"),
    receipt: |amount, card| format!("Gracias. Recibimos su pago de {amount} con {card}."),
    receipt_reference: |reference| format!("Su referencia es {reference}."),
    see_receipt: "Ver su recibo",
    confirm_subject: "Su banco le pide confirmar su pago automático",
    confirm: |amount| {
        format!("Intentamos cobrar su pago automático de {amount} y su banco le pide confirmarlo primero.")
    },
    confirm_nothing_yet: "Todavía no se ha cobrado nada. Confirme el pago con su banco mediante el siguiente enlace.",
    confirm_payment: "Confirmar el pago",
    autopay_failed_subject: |amount| format!("Su pago automático de {amount} no se realizó"),
    autopay_failed: |amount, card| {
        format!("Intentamos cobrar {amount} a su {card} y el cargo fue rechazado.")
    },
    autopay_failed_nothing: "No se cobró nada. Pague su estado de cuenta de otra forma o actualice su tarjeta.",

    ticket_answered_subject: |number| format!("Respondimos su solicitud {number}"),
    ticket_answered: |staff, subject, number| {
        format!("{staff}, de nuestro equipo de soporte, respondió su solicitud “{subject}” ({number}):")
    },
    ticket_resolved: "Creemos que ya está resuelto. Si no es así, simplemente responda.",
    ticket_closed: "Esta solicitud está cerrada. Si necesita más ayuda, abra una nueva solicitud.",
    ticket_waiting: "Responda cuando pueda: estamos esperando su respuesta.",
    see_conversation: "Ver la conversación",
    dispute_credited_subject: |amount, number| format!("Le acreditamos {amount} ({number})"),
    dispute_credited: |amount| {
        format!("Tenía razón: acreditamos {amount} a su cuenta. El crédito aparecerá en su próximo estado de cuenta.")
    },
    dispute_rejected_subject: |number| format!("Sobre el cargo que reclamó ({number})"),

    reset_subject: |provider| format!("Restablezca su contraseña de {provider}"),
    reset_asked: |provider| {
        format!("Alguien (esperamos que usted) pidió restablecer la contraseña de su cuenta de {provider}.")
    },
    reset_open_within: |minutes| {
        format!("Para elegir una nueva contraseña, abra este enlace en los próximos {minutes} minutos:")
    },
    reset_use_within: |minutes| {
        format!("Para elegir una nueva contraseña, use este enlace en los próximos {minutes} minutos:")
    },
    reset_button: "Elegir una nueva contraseña",
    reset_not_you: "El enlace funciona una sola vez. Si usted no lo pidió, ignore este correo: su contraseña no cambia.",
};
