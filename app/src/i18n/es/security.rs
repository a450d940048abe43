//! [`SecurityTexts`] in Spanish.

use crate::i18n::SecurityTexts;

pub static SECURITY_ES: SecurityTexts = SecurityTexts {
    code_title: "Escriba su código",
    code_label: "Código de su aplicación de autenticación",
    code_hint: "Seis dígitos de la aplicación, o uno de sus códigos de recuperación (abcde-fghij).",
    start_again: "Empezar de nuevo",
    title: "Seguridad de inicio de sesión",
    intro: "Agregue a su contraseña un código de una aplicación de autenticación, para que su contraseña sola no abra su cuenta.",
    on: |left| format!("Se pide una aplicación de autenticación al iniciar sesión. Le quedan {left} {}.", if left == 1 { "código de recuperación" } else { "códigos de recuperación" }),
    off: "Al iniciar sesión solo se pide su contraseña.",
    start: "Configurar una aplicación de autenticación",
    key: "Agregue esta clave a su aplicación de autenticación, o abra el enlace en este teléfono:",
    open_app: "Abrir en mi aplicación de autenticación",
    app_code_label: "Código que muestra la aplicación",
    confirm: "Activarla",
    codes_title: "Sus códigos de recuperación",
    codes_hint: "Cada uno sirve una vez, si pierde su teléfono. Guárdelos en un lugar seguro: no se volverán a mostrar.",
    turn_off_label: "Código de la aplicación, o un código de recuperación",
    turn_off: "Desactivarla",
    turned_off: "Desactivada. Ahora solo se pide su contraseña.",
};
