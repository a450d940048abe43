//! The words of the console's integration API page (administrators): keys, their scopes and
//! limits, a token shown once. Reached through [`Texts::integrations`].

use super::Texts;

/// The integration page's strings in one language.
pub struct IntegrationTexts {
    pub nav: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub reference: &'static str,
    pub keys_title: &'static str,
    pub none: &'static str,
    pub scopes: &'static str,
    pub scope: fn(&str) -> &'static str,
    pub money_limit: fn(Option<&str>) -> String,
    pub rate: fn(i32) -> String,
    pub created: &'static str,
    pub last_used: &'static str,
    pub never_used: &'static str,
    pub revoked: &'static str,
    pub tokens: &'static str,
    pub rotate: &'static str,
    pub rotate_hint: &'static str,
    pub revoke: &'static str,
    pub revoke_hint: &'static str,
    pub revoked_notice: &'static str,
    pub create_title: &'static str,
    pub integration_label: &'static str,
    pub integration_hint: &'static str,
    pub name_label: &'static str,
    pub name_hint: &'static str,
    pub money_limit_label: &'static str,
    pub money_limit_hint: &'static str,
    pub rate_label: &'static str,
    pub rate_hint: &'static str,
    pub create_submit: &'static str,
    pub shown_once: &'static str,
}

impl Texts {
    /// The integration page's texts in this language.
    pub fn integrations(&self) -> &'static IntegrationTexts {
        &INTEGRATIONS_EN
    }
}

pub static INTEGRATIONS_EN: IntegrationTexts = IntegrationTexts {
    nav: "Integrations",
    title: "Integration API keys",
    intro: "Keys let the provider's other systems (a CRM, a billing system) call Lastmile's API. Each call is in the audit log under its key.",
    reference: "The API reference",
    keys_title: "Keys",
    none: "No keys yet.",
    scopes: "May",
    scope: |scope| match scope {
        "read" => "read accounts, services and plans",
        "write:accounts" => "change accounts and services",
        "write:money" => "post charges, credits and payments",
        _ => "something unknown",
    },
    money_limit: |limit| match limit {
        Some(limit) => format!("at most {limit} per charge, credit or payment"),
        None => "no cap on amounts".to_string(),
    },
    rate: |rate| format!("{rate} requests a minute"),
    created: "Made",
    last_used: "Last used",
    never_used: "never used",
    revoked: "Revoked",
    tokens: "Working tokens",
    rotate: "New token",
    rotate_hint: "The current token keeps working for 24 hours, time to put the new one in place.",
    revoke: "Revoke",
    revoke_hint: "Every token of this key stops at once.",
    revoked_notice: "Revoked: its tokens no longer work.",
    create_title: "Make a key",
    integration_label: "System",
    integration_hint: "What will use it, such as CRM.",
    name_label: "Key name",
    name_hint: "Tells its keys apart, such as production.",
    money_limit_label: "Most per charge, credit or payment (optional)",
    money_limit_hint: "Leave empty for no cap beyond the billing rules.",
    rate_label: "Requests a minute",
    rate_hint: "600 unless the system needs more.",
    create_submit: "Make the key",
    shown_once: "The token, shown this once: give it to the system now. Only a hash of it is kept.",
};
