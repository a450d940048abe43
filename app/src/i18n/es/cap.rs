//! [`CapTexts`] in es.

use crate::i18n::CapTexts;

pub static CAP_ES: CapTexts = CapTexts {
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
