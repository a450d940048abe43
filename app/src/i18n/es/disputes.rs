//! [`DisputeTexts`] in es.

use crate::i18n::DisputeTexts;

pub static DISPUTES_ES: DisputeTexts = DisputeTexts {
    question_charge: "Reclamar este cargo",
    questioned: |n| format!("Reclamado ({n})"),
    title: "Reclamar un cargo",
    intro: |line, statement| format!("Está reclamando “{line}” del estado de cuenta {statement}."),
    charge: "Cargo",
    statement: "Estado de cuenta",
    amount_label: "Monto que reclama",
    amount_hint: |max| format!("Hasta {max}."),
    message_label: "¿Cuál es el problema con este cargo?",
    message_hint: "Por ejemplo: me cobraron un mes después de haber cancelado.",
    submit: "Enviar al equipo de facturación",
    what_happens: "Mientras lo revisamos, no le cobraremos el monto que reclama: no recibirá recordatorios, cargos por pago atrasado ni suspensión por ese monto. El resto del estado de cuenta sigue pendiente de pago. Le responderemos en la solicitud y por correo electrónico.",
    already_open: |n| format!("Ya reclamó este cargo: consulte la solicitud {n}."),
    not_disputable: "Solo se pueden reclamar cargos (no pagos ni créditos).",
    back: "Volver al estado de cuenta",
};
