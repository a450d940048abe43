//! The data cap, seen coming: the forecast of when this cycle's allowance runs out, the
//! alert reached, and the two ways out one tap away (a data add-on, bought with a plain
//! form post, paid now by card or on the next bill; the preview of a plan with more data).
//! Plain HTML: nothing here needs code in the browser.

use billing::data_cap::Forecast;
use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::types::DataCap;

/// The forecast sentence for a cycle (also used by the overview's meter).
pub fn forecast_text(cap: &DataCap) -> String {
    let i18n = use_i18n();
    let (c, f) = (i18n.t.cap(), i18n.f);
    match cap.forecast {
        Forecast::TooEarly { speaks_on } => (c.forecast_too_early)(&f.date(speaks_on)),
        Forecast::Lasts { projected_bytes } => {
            (c.forecast_lasts)(&f.bytes(projected_bytes), &f.bytes(cap.allowance_bytes))
        }
        Forecast::RunsOut {
            on,
            projected_bytes,
        } => (c.forecast_runs_out)(
            &f.bytes(cap.allowance_bytes),
            &f.date(on),
            &f.bytes(projected_bytes),
        ),
        Forecast::UsedUp => c.forecast_used_up.to_string(),
    }
}

/// The overview's notice once an alert threshold has been reached this cycle.
#[component]
pub fn CapAlert(cap: DataCap) -> impl IntoView {
    let c = use_i18n().t.cap();
    cap.alert.map(|pct| {
        let text = if pct >= 100 {
            c.alert_all_used.to_string()
        } else {
            (c.alert_reached)(pct)
        };
        view! {
            <div class="notice notice-warn" role="status" data-testid="cap-alert">
                <p><strong>{text}</strong> " " {forecast_text(&cap)}</p>
                <WaysOut cap=cap.clone() />
            </div>
        }
    })
}

/// The forecast and the ways out, for the usage page's current cycle.
#[component]
pub fn CapForecast(cap: DataCap) -> impl IntoView {
    let i18n = use_i18n();
    let (c, f) = (i18n.t.cap(), i18n.f);
    view! {
        <div class="cap" data-testid="cap">
            <h3>{c.forecast_title}</h3>
            <p data-testid="cap-forecast">{forecast_text(&cap)}</p>
            {(cap.addon_bytes > 0).then(|| view! {
                <p class="muted" data-testid="cap-addons">{(c.addons_included)(&f.bytes(cap.addon_bytes))}</p>
            })}
            {cap.overage_per_gb.map(|price| view! { <p class="muted">{(c.overage_note)(&f.money(&price))}</p> })}
            <WaysOut cap />
        </div>
    }
}

/// A data add-on (a form with the two ways to pay it) and an upgrade (a link to the
/// prorated preview). Both buttons state their amount before the tap that confirms:
/// "Pay $27.06 now with Visa •••• 4242" (the price with its tax, charged to that card at
/// once), "Pay $27.06 now by card" (the pay page asks for a card), or "Add to my next
/// bill: $25.00" (tax added on the statement).
#[component]
fn WaysOut(cap: DataCap) -> impl IntoView {
    let i18n = use_i18n();
    let (c, f) = (i18n.t.cap(), i18n.f);
    let show = cap.offer.is_some() || cap.upgrade_href.is_some();
    show.then(|| {
        view! {
            <div class="cap-ways" role="group" aria-label=c.ways_out>
                {cap.offer.map(|offer| {
                    let pay_now = offer.pay_now.clone().map(|now| {
                        let total = f.money(&now.total);
                        let label = match &now.card {
                            Some(card) => (c.addon_pay_now_with)(&total, card),
                            None => (c.addon_pay_now)(&total),
                        };
                        let tax = now.tax.is_positive().then(|| {
                            (c.addon_pay_now_tax)(&f.money(&offer.price), &f.money(&now.tax), &total)
                        });
                        (label, tax)
                    });
                    let tax_note = pay_now.as_ref().and_then(|(_, tax)| tax.clone());
                    view! {
                        <form method="post" action="/api/buy-data-addon" class="cap-addon">
                            <input type="hidden" name="service_id" value=cap.service_id.to_string() />
                            <input type="hidden" name="seq" value=offer.seq.to_string() />
                            <p class="cap-addon-title"><strong>{(c.addon_title)(&f.gigabytes(i64::from(offer.gigabytes)))}</strong></p>
                            <div class="cap-addon-buttons">
                                {pay_now.map(|(label, _)| view! {
                                    <button type="submit" name="pay" value="card" class="button button-primary"
                                        data-testid="buy-addon-card" disabled=!cap.may_buy aria-describedby="addon-note">
                                        {label}
                                    </button>
                                })}
                                <button type="submit" name="pay" value="statement" class="button"
                                    class:button-primary=offer.pay_now.is_none()
                                    data-testid="buy-addon" disabled=!cap.may_buy aria-describedby="addon-note">
                                    {(c.addon_next_bill)(&f.money(&offer.price))}
                                </button>
                            </div>
                            <p class="muted small" id="addon-note" data-testid="addon-note">
                                {if cap.may_buy {
                                    match tax_note {
                                        Some(tax) => format!("{tax} {}", c.addon_note),
                                        None => c.addon_note.to_string(),
                                    }
                                } else {
                                    c.addon_read_only.to_string()
                                }}
                            </p>
                        </form>
                    }
                })}
                {cap.upgrade_href.map(|href| view! {
                    <p><a class="button" href=href data-testid="cap-upgrade">{c.upgrade}</a></p>
                })}
            </div>
        }
    })
}
