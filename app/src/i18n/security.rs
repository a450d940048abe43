//! The words of signing in with an authenticator app's code and of the sign-in security
//! page, in each language. Reached through [`Texts::security`], so only the bundle whose
//! islands show them carries them.

use super::{Lang, Texts};

/// The second step of signing in, and the sign-in security page.
pub struct SecurityTexts {
    pub code_title: &'static str,
    pub code_label: &'static str,
    pub code_hint: &'static str,
    pub start_again: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    /// "An authenticator app is asked for when you sign in; 8 recovery codes left."
    pub on: fn(i64) -> String,
    pub off: &'static str,
    pub start: &'static str,
    pub key: &'static str,
    pub open_app: &'static str,
    pub app_code_label: &'static str,
    pub confirm: &'static str,
    pub codes_title: &'static str,
    pub codes_hint: &'static str,
    pub turn_off_label: &'static str,
    pub turn_off: &'static str,
    pub turned_off: &'static str,
}

impl Texts {
    /// The sign-in security texts in this language.
    pub fn security(&self) -> &'static SecurityTexts {
        match self.lang {
            Lang::En => &super::en::SECURITY_EN,
            Lang::Es => &super::es::SECURITY_ES,
            Lang::Fr => &super::fr::SECURITY_FR,
        }
    }
}
