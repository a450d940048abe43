//! The words of the data cap: how fresh the figures are, the forecast, alerts, data add-ons
//! and the way to a bigger plan. Reached through [`Texts::cap`].

use super::{Lang, Texts};

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

impl Texts {
    /// These words in this language.
    pub fn cap(&self) -> &'static CapTexts {
        match self.lang {
            Lang::En => &super::en::CAP_EN,
            Lang::Es => &super::es::CAP_ES,
            Lang::Fr => &super::fr::CAP_FR,
        }
    }
}
