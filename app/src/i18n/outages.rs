//! The words of the console's outages page (English, as the console is). Reached through
//! [`Texts::outages`].

use super::Texts;

pub struct OutageTexts {
    pub nav: &'static str,
    pub title: &'static str,
    pub intro: &'static str,
    pub none: &'static str,
    pub on: &'static str,
    pub ended: fn(&str) -> String,
    pub since: fn(&str) -> String,
    pub scope: fn(&str, &str) -> String,
    pub reach: fn(i64, i64) -> String,
    pub settled: fn(i64) -> String,
    pub declared_by: fn(&str) -> String,
    pub end_submit: &'static str,
    pub declare_title: &'static str,
    pub title_label: &'static str,
    pub message_label: &'static str,
    pub message_hint: &'static str,
    pub scope_kind_label: &'static str,
    pub kind_area: &'static str,
    pub kind_plan: &'static str,
    pub kind_device: &'static str,
    pub scope_value_label: &'static str,
    pub scope_value_hint: &'static str,
    pub starts_label: &'static str,
    pub starts_hint: &'static str,
    pub declare_submit: &'static str,
    pub declared: fn(i64, i64) -> String,
}

impl Texts {
    /// The outages page's texts.
    pub fn outages(&self) -> &'static OutageTexts {
        &OUTAGES_EN
    }
}

fn plural(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub static OUTAGES_EN: OutageTexts = OutageTexts {
    nav: "Outages",
    title: "Outages",
    intro: "Declare an outage for an area, a plan or an access server: each affected subscriber sees it on their overview and is emailed, in their language, when it is declared and when it ends. Once it has ended, the next bill run credits a day's price for each full day beyond the first 48 hours.",
    none: "No outages in the last 90 days.",
    on: "On now",
    ended: |at| format!("Ended {at}"),
    since: |at| format!("Since {at}"),
    scope: |kind, value| match kind {
        "area" => format!("Postal codes starting {value}"),
        "plan" => format!("Plan {value}"),
        _ => format!("Access server {value}"),
    },
    reach: |services, accounts| {
        format!(
            "{} on {}",
            plural(services, "service", "services"),
            plural(accounts, "account", "accounts")
        )
    },
    settled: |n| format!("{} settled by a statement", plural(n, "service", "services")),
    declared_by: |name| format!("Declared by {name}"),
    end_submit: "End now",
    declare_title: "Declare an outage",
    title_label: "Title",
    message_label: "What subscribers read",
    message_hint: "What is out, what you are doing, and when you expect it back. Shown on the overview and in the email.",
    scope_kind_label: "Affected",
    kind_area: "An area (postal codes)",
    kind_plan: "A plan",
    kind_device: "An access server",
    scope_value_label: "Which",
    scope_value_hint: "The start of the postal codes (974), the plan's code (fibre-500), or the access server's IP address (10.0.0.1).",
    starts_label: "Began at",
    starts_hint: "In the provider's time zone; leave empty for now.",
    declare_submit: "Declare the outage",
    declared: |services, accounts| {
        format!(
            "Declared: {} on {} notified.",
            plural(services, "service", "services"),
            plural(accounts, "account", "accounts")
        )
    },
};
