//! [`NetworkTexts`] in English.

use crate::i18n::NetworkTexts;

pub static NETWORK_EN: NetworkTexts = NetworkTexts {
    connection_title: "Your connection",
    kind_intro: |kind| match kind {
        "ipoe" => "Your line is recognised by the network itself: there is nothing to enter in your router.",
        _ => "Your router signs in to the network (PPPoE) with this username and password.",
    },
    username_label: "Username",
    identifier_label: "Line identifier",
    password_label: "Password",
    password_hidden: "Hidden. Type your portal password to see it, or to choose a new one.",
    staff_viewing: "Only the subscriber sees or changes this password here; staff use the console.",
    current_password_label: "Your portal password",
    current_password_hint: "The one you sign in here with: we ask for it before showing or changing your connection's password.",
    reveal_submit: "Show the password",
    change_title: "Choose a new connection password",
    new_password_label: "New connection password",
    new_password_hint: "8 to 64 characters: letters, digits and keyboard symbols, no spaces or accents. Under 12 characters, mix two kinds (say letters and digits). Not your username, nor a run like 12345678.",
    confirm_label: "The new password again",
    change_submit: "Change the password",
    changed_notice: "Saved. Enter the new password in your router: it stops connecting with the old one.",
    shown_once: "Shown this once: note it down or enter it in your router now.",

    console_title: "Connection",
    kind: |kind| match kind {
        "pppoe" => "PPPoE",
        "ipoe" => "IPoE",
        _ => "Other",
    },
    no_connection: "No network credentials recorded yet.",
    masked: "••••••••",
    reveal: "Reveal password",
    revealed_note: "Revealed: this is in the audit log.",
    reset: "Reset password",
    reset_hint: "A new random password: the router stops connecting until it is given the new one.",
    reset_done: "New password, shown once (the reset is in the audit log):",
    not_allowed: "Support reps and administrators can reveal or reset it.",
    identifier_hint: "Exactly as the network sends it as User-Name: the circuit id or the MAC address.",
    identifier_submit: "Change identifier",
    saved_identifier: "Identifier changed.",
};
