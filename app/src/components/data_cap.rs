//! The data cap, seen coming: the forecast of when this cycle's allowance runs out, the
//! alert reached, and the two ways out one tap away (a data add-on, bought with a plain
//! form post; the preview of a plan with more data). Plain HTML: nothing here needs code in
//! the browser.

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

/// A data add-on (a form) and an upgrade (a link to the prorated preview).
#[component]
fn WaysOut(cap: DataCap) -> impl IntoView {
    let i18n = use_i18n();
    let (c, f) = (i18n.t.cap(), i18n.f);
    let show = cap.offer.is_some() || cap.upgrade_href.is_some();
    show.then(|| {
        view! {
            <div class="cap-ways" role="group" aria-label=c.ways_out>
                {cap.offer.map(|offer| view! {
                    <form method="post" action="/api/buy-data-addon" class="cap-addon">
                        <input type="hidden" name="service_id" value=cap.service_id.to_string() />
                        <input type="hidden" name="seq" value=offer.seq.to_string() />
                        <button type="submit" class="button button-primary" data-testid="buy-addon"
                            disabled=!cap.may_buy aria-describedby="addon-note">
                            {(c.addon_buy)(&f.gigabytes(i64::from(offer.gigabytes)), &f.money(&offer.price))}
                        </button>
                        <p class="muted small" id="addon-note">
                            {if cap.may_buy { c.addon_note } else { c.addon_read_only }}
                        </p>
                    </form>
                })}
                {cap.upgrade_href.map(|href| view! {
                    <p><a class="button" href=href data-testid="cap-upgrade">{c.upgrade}</a></p>
                })}
            </div>
        }
    })
}
