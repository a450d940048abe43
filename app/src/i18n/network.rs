//! The words about a service's connection (its network credentials): the "Your connection"
//! part of the plans page, and the console's "Connection" lines under each service.
//! Reached through [`Texts::network`].

use super::{Lang, Texts};

/// The strings about connections in one language.
pub struct NetworkTexts {
    // The subscriber's plans page.
    pub connection_title: &'static str,
    pub kind_intro: fn(&str) -> &'static str,
    pub username_label: &'static str,
    pub identifier_label: &'static str,
    pub password_label: &'static str,
    pub password_hidden: &'static str,
    pub staff_viewing: &'static str,
    pub current_password_label: &'static str,
    pub current_password_hint: &'static str,
    pub reveal_submit: &'static str,
    pub change_title: &'static str,
    pub new_password_label: &'static str,
    pub new_password_hint: &'static str,
    pub confirm_label: &'static str,
    pub change_submit: &'static str,
    pub changed_notice: &'static str,
    pub shown_once: &'static str,

    // The console.
    pub console_title: &'static str,
    pub kind: fn(&str) -> &'static str,
    pub no_connection: &'static str,
    pub masked: &'static str,
    pub reveal: &'static str,
    pub revealed_note: &'static str,
    pub reset: &'static str,
    pub reset_hint: &'static str,
    pub reset_done: &'static str,
    pub not_allowed: &'static str,
    pub identifier_hint: &'static str,
    pub identifier_submit: &'static str,
    pub saved_identifier: &'static str,
}

impl Texts {
    /// These words in this language.
    pub fn network(&self) -> &'static NetworkTexts {
        match self.lang {
            Lang::En => &super::en::NETWORK_EN,
            Lang::Es => &super::es::NETWORK_ES,
            Lang::Fr => &super::fr::NETWORK_FR,
        }
    }
}
