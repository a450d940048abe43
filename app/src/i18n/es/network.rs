//! [`NetworkTexts`] in es.

use crate::i18n::NetworkTexts;

pub static NETWORK_ES: NetworkTexts = NetworkTexts {
    connection_title: "Su conexión",
    kind_intro: |kind| match kind {
        "ipoe" => "La red reconoce su línea directamente: no tiene que ingresar nada en su router.",
        _ => "Su router inicia sesión en la red (PPPoE) con este nombre de usuario y esta contraseña.",
    },
    username_label: "Nombre de usuario",
    identifier_label: "Identificador de línea",
    password_label: "Contraseña",
    password_hidden: "Oculta. Escriba la contraseña del portal para verla o para elegir una nueva.",
    staff_viewing: "Aquí solo el suscriptor puede ver o cambiar esta contraseña; el personal usa la consola.",
    current_password_label: "Su contraseña del portal",
    current_password_hint: "La que usa para iniciar sesión aquí: se la pedimos antes de mostrar o cambiar la contraseña de su conexión.",
    reveal_submit: "Mostrar la contraseña",
    change_title: "Elija una nueva contraseña de conexión",
    new_password_label: "Nueva contraseña de conexión",
    new_password_hint: "De 8 a 64 caracteres: letras, dígitos y símbolos del teclado, sin espacios ni acentos. Si tiene menos de 12 caracteres, combine dos tipos (por ejemplo, letras y dígitos). No puede ser su nombre de usuario ni una secuencia como 12345678.",
    confirm_label: "Repita la nueva contraseña",
    change_submit: "Cambiar la contraseña",
    changed_notice: "Guardada. Ingrese la nueva contraseña en su router: con la anterior ya no se conectará.",
    shown_once: "Se muestra solo esta vez: anótela o ingrésela ahora en su router.",

    console_title: "Conexión",
    kind: |kind| match kind {
        "pppoe" => "PPPoE",
        "ipoe" => "IPoE",
        _ => "Otro",
    },
    no_connection: "Aún no hay credenciales de red registradas.",
    masked: "••••••••",
    reveal: "Mostrar contraseña",
    revealed_note: "Mostrada: esto queda en el registro de auditoría.",
    reset: "Restablecer contraseña",
    reset_hint: "Una nueva contraseña aleatoria: el router no se conectará hasta que se le configure la nueva.",
    reset_done: "Nueva contraseña, se muestra una sola vez (el restablecimiento queda en el registro de auditoría):",
    not_allowed: "Los representantes de soporte y los administradores pueden mostrarla o restablecerla.",
    identifier_hint: "Exactamente como la red lo envía en User-Name: el ID de circuito o la dirección MAC.",
    identifier_submit: "Cambiar identificador",
    saved_identifier: "Se cambió el identificador.",
};
