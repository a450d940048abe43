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
    /// Above the add-on's buttons: "Add 100 GB for this cycle".
    pub addon_title: fn(&str) -> String,
    /// "Add to my next bill: $25.00".
    pub addon_next_bill: fn(&str) -> String,
    /// "Pay $27.06 now by card" (the pay page asks for the card).
    pub addon_pay_now: fn(&str) -> String,
    /// "Pay $27.06 now with Visa •••• 4242" (that card is charged at once).
    pub addon_pay_now_with: fn(&str, &str) -> String,
    /// "Now by card: $25.00 + $2.06 tax = $27.06."
    pub addon_pay_now_tax: fn(&str, &str, &str) -> String,
    pub addon_note: &'static str,
    pub addon_read_only: &'static str,
    pub addon_bought: &'static str,
    pub addon_error_conflict: &'static str,
    pub addon_error_other: &'static str,
    /// The pay page, paying an add-on: "Paying now: Data add-on: 100 GB for …".
    pub addon_paying_for: fn(&str) -> String,
    pub addon_yours: &'static str,
    pub addon_already_paid: &'static str,
    /// A receipt's "For" row.
    pub receipt_for: &'static str,
    /// A receipt of a declined add-on payment: "The data add-on is still yours: $27.06 …".
    pub receipt_addon_unpaid: fn(&str) -> String,
    pub receipt_addon_retry: &'static str,
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
    addon_title: |gb| format!("Add {gb} for this cycle"),
    addon_next_bill: |price| format!("Add to my next bill: {price}"),
    addon_pay_now: |total| format!("Pay {total} now by card"),
    addon_pay_now_with: |total, card| format!("Pay {total} now with {card}"),
    addon_pay_now_tax: |price, tax, total| format!("Now by card: {price} + {tax} tax = {total}."),
    addon_note: "For this cycle only. On your next bill, tax is added with your other charges.",
    addon_read_only: "Viewing as the subscriber: buying is for the subscriber or billing staff.",
    addon_bought: "Data added for this cycle. It appears on your next statement.",
    addon_error_conflict:
        "This page was out of date. Here are your data add-ons as they stand now.",
    addon_error_other: "The data could not be added. Nothing was charged; please try again.",
    addon_paying_for: |what| format!("Paying now: {what}"),
    addon_yours: "The data is already yours. If you don't pay now, this amount is due with your next statement.",
    addon_already_paid: "Your data add-on is paid. Thank you.",
    receipt_for: "For",
    receipt_addon_unpaid: |amount| {
        format!("The data add-on is still yours: {amount} stays on your balance, due with your next statement.")
    },
    receipt_addon_retry: "Pay it with another card",
    upgrade: "See a plan with more data",
    ways_out: "Ways to avoid overage",
};

impl Texts {
    /// The data cap's texts in this language.
    pub fn cap(&self) -> &'static CapTexts {
        &CAP_EN
    }
}
