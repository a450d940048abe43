//! [`SecurityTexts`] in French.

use crate::i18n::SecurityTexts;

pub static SECURITY_FR: SecurityTexts = SecurityTexts {
    code_title: "Saisissez votre code",
    code_label: "Code de votre application d’authentification",
    code_hint: "Six chiffres de l’application, ou l’un de vos codes de secours (abcde-fghij).",
    start_again: "Recommencer",
    title: "Sécurité de la connexion",
    intro: "Ajoutez à votre mot de passe le code d’une application d’authentification, pour que votre mot de passe seul n’ouvre pas votre compte.",
    on: |left| format!("Une application d’authentification est demandée à la connexion. Il vous reste {left} {}.", if left <= 1 { "code de secours" } else { "codes de secours" }),
    off: "Seul votre mot de passe est demandé à la connexion.",
    start: "Configurer une application d’authentification",
    key: "Ajoutez cette clé à votre application d’authentification, ou ouvrez le lien sur ce téléphone\u{a0}:",
    open_app: "Ouvrir dans mon application d’authentification",
    app_code_label: "Code affiché par l’application",
    confirm: "L’activer",
    codes_title: "Vos codes de secours",
    codes_hint: "Chacun sert une fois, si vous perdez votre téléphone. Gardez-les en lieu sûr\u{a0}: ils ne seront plus affichés.",
    turn_off_label: "Code de l’application, ou un code de secours",
    turn_off: "La désactiver",
    turned_off: "Désactivée. Seul votre mot de passe est demandé désormais.",
};
