//! The words of questioning a charge. Reached through [`Texts::disputes`].

use super::{Lang, Texts};

pub struct DisputeTexts {
    pub question_charge: &'static str,
    pub questioned: fn(&str) -> String,
    pub title: &'static str,
    pub intro: fn(&str, &str) -> String,
    pub charge: &'static str,
    pub statement: &'static str,
    pub amount_label: &'static str,
    pub amount_hint: fn(&str) -> String,
    pub message_label: &'static str,
    pub message_hint: &'static str,
    pub submit: &'static str,
    pub what_happens: &'static str,
    pub already_open: fn(&str) -> String,
    pub not_disputable: &'static str,
    pub back: &'static str,
}

impl Texts {
    /// These words in this language.
    pub fn disputes(&self) -> &'static DisputeTexts {
        match self.lang {
            Lang::En => &super::en::DISPUTES_EN,
            Lang::Es => &super::es::DISPUTES_ES,
            Lang::Fr => &super::fr::DISPUTES_FR,
        }
    }
}
