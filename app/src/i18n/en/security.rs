//! [`SecurityTexts`] in English.

use crate::i18n::SecurityTexts;

pub static SECURITY_EN: SecurityTexts = SecurityTexts {
    code_title: "Enter your code",
    code_label: "Code from your authenticator app",
    code_hint: "Six digits from the app, or one of your recovery codes (abcde-fghij).",
    start_again: "Start again",
    title: "Sign-in security",
    intro: "Add a code from an authenticator app to your password, so that your password alone cannot open your account.",
    on: |left| format!("An authenticator app is asked for when you sign in. {left} recovery {} left.", if left == 1 { "code" } else { "codes" }),
    off: "Only your password is asked for when you sign in.",
    start: "Set up an authenticator app",
    key: "Add this key to your authenticator app, or open the link on this phone:",
    open_app: "Open in my authenticator app",
    app_code_label: "Code the app shows",
    confirm: "Turn it on",
    codes_title: "Your recovery codes",
    codes_hint: "Each works once, if you lose your phone. Keep them somewhere safe: they are not shown again.",
    turn_off_label: "Code from the app, or a recovery code",
    turn_off: "Turn it off",
    turned_off: "Turned off. Only your password is asked for now.",
};
