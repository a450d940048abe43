//! The words of the data cap: how fresh the figures are, the forecast, alerts, data add-ons
//! and the way to a bigger plan. Reached through [`Texts::cap`].

use super::Texts;

/// The data cap's strings in one language.
pub struct CapTexts {
    /// "Updated 10:40 AM" (today) or "Updated Dec 5, 2026, 10:40 AM".
    pub updated: fn(&str) -> String,
    /// "Figures up to Dec 5, 2026" when only the day of the newest figure is known.
    pub figures_through: fn(&str) -> String,
    pub forecast_title: &'static str,
    /// Too early: "A forecast from Dec 4, once a few days show your pace."
    pub forecast_too_early: fn(&str) -> String,
    /// "At this pace, your 1,000 GB runs out on Dec 20 (about 1.5 TB by the end of the cycle)."
    pub forecast_runs_out: fn(&str, &str, &str) -> String,
    /// "At this pace you'll use about 750 GB of your 1,000 GB this cycle."
    pub forecast_lasts: fn(&str, &str) -> String,
    pub forecast_used_up: &'static str,
    /// "Data over the allowance costs $0.50 per started GB."
    pub overage_note: fn(&str) -> String,
    /// The overview's notice: "You have used 85% of this cycle's data."
    pub alert_reached: fn(u32) -> String,
    pub alert_all_used: &'static str,
    /// "Includes 100 GB of data add-ons for this cycle."
    pub addons_included: fn(&str) -> String,
    /// The add-on button: "Add 100 GB for $25.00".
    pub addon_buy: fn(&str, &str) -> String,
    pub addon_note: &'static str,
    pub addon_read_only: &'static str,
    pub addon_bought: &'static str,
    pub addon_error_conflict: &'static str,
    pub addon_error_other: &'static str,
    pub upgrade: &'static str,
    pub ways_out: &'static str,
}

pub static CAP_EN: CapTexts = CapTexts {
    updated: |at| format!("Updated {at}"),
    figures_through: |day| format!("Figures up to {day}"),
    forecast_title: "Forecast",
    forecast_too_early: |day| {
        format!("A forecast appears on {day}, once a few days of this cycle show your pace.")
    },
    forecast_runs_out: |allowance, day, projected| {
        format!("At this pace, your {allowance} runs out on {day} (about {projected} by the end of the cycle).")
    },
    forecast_lasts: |projected, allowance| {
        format!("At this pace you'll use about {projected} of your {allowance} this cycle.")
    },
    forecast_used_up: "You have used all the data included this cycle.",
    overage_note: |price| format!("Data over the allowance costs {price} per started GB."),
    alert_reached: |pct| format!("You have used {pct}% of this cycle's data."),
    alert_all_used: "You have used all of this cycle's data.",
    addons_included: |gb| format!("Includes {gb} of data add-ons for this cycle."),
    addon_buy: |gb, price| format!("Add {gb} for {price}"),
    addon_note: "For this cycle only; added to your next statement, with tax.",
    addon_read_only: "Viewing as the subscriber: buying is for the subscriber or billing staff.",
    addon_bought: "Data added for this cycle. It appears on your next statement.",
    addon_error_conflict:
        "This page was out of date. Here are your data add-ons as they stand now.",
    addon_error_other: "The data could not be added. Nothing was charged; please try again.",
    upgrade: "See a plan with more data",
    ways_out: "Ways to avoid overage",
};

impl Texts {
    /// The data cap's texts in this language.
    pub fn cap(&self) -> &'static CapTexts {
        &CAP_EN
    }
}
