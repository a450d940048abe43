//! [`NetworkTexts`] in French.

use crate::i18n::NetworkTexts;

pub static NETWORK_FR: NetworkTexts = NetworkTexts {
    connection_title: "Votre connexion",
    kind_intro: |kind| match kind {
        "ipoe" => "Votre ligne est reconnue directement par le réseau\u{a0}: vous n’avez rien à saisir dans votre routeur.",
        _ => "Votre routeur se connecte au réseau (PPPoE) avec ce nom d’utilisateur et ce mot de passe.",
    },
    username_label: "Nom d’utilisateur",
    identifier_label: "Identifiant de ligne",
    password_label: "Mot de passe",
    password_hidden: "Masqué. Saisissez le mot de passe de votre espace client pour l’afficher ou en choisir un nouveau.",
    staff_viewing: "Seul l’abonné peut voir ou modifier ce mot de passe ici\u{202f}; le personnel passe par la console.",
    current_password_label: "Mot de passe de votre espace client",
    current_password_hint: "Celui qui vous sert à vous connecter ici\u{a0}: nous le demandons avant d’afficher ou de modifier le mot de passe de votre connexion.",
    reveal_submit: "Afficher le mot de passe",
    change_title: "Choisir un nouveau mot de passe de connexion",
    new_password_label: "Nouveau mot de passe de connexion",
    new_password_hint: "De 8 à 64\u{a0}caractères\u{a0}: lettres, chiffres et symboles du clavier, sans espaces ni accents. En dessous de 12\u{a0}caractères, mélangez deux types (par exemple des lettres et des chiffres). Ni votre nom d’utilisateur, ni une suite comme 12345678.",
    confirm_label: "Confirmez le nouveau mot de passe",
    change_submit: "Changer le mot de passe",
    changed_notice: "Enregistré. Saisissez le nouveau mot de passe dans votre routeur\u{a0}: l’ancien ne permet plus de se connecter.",
    shown_once: "Affiché une seule fois\u{a0}: notez-le ou saisissez-le dès maintenant dans votre routeur.",

    console_title: "Connexion",
    kind: |kind| match kind {
        "pppoe" => "PPPoE",
        "ipoe" => "IPoE",
        _ => "Autre",
    },
    no_connection: "Aucun identifiant réseau enregistré pour le moment.",
    masked: "••••••••",
    reveal: "Afficher le mot de passe",
    revealed_note: "Affiché\u{a0}: cette action figure dans le journal d’audit.",
    reset: "Réinitialiser le mot de passe",
    reset_hint: "Un nouveau mot de passe aléatoire\u{a0}: le routeur ne se connecte plus tant qu’il n’a pas reçu le nouveau.",
    reset_done: "Nouveau mot de passe, affiché une seule fois (la réinitialisation figure dans le journal d’audit)\u{a0}:",
    not_allowed: "Les agents d’assistance et les administrateurs peuvent l’afficher ou le réinitialiser.",
    identifier_hint: "Exactement tel que le réseau l’envoie dans User-Name\u{a0}: l’identifiant de circuit ou l’adresse MAC.",
    identifier_submit: "Changer l’identifiant",
    saved_identifier: "Identifiant modifié.",
};
