//! The cycle-to-date usage meter with its projection.

use leptos::prelude::*;

use crate::i18n::use_i18n;
use crate::types::CycleUsage;

/// Share of the allowance, in percent, for widths (capped so the bar stays in its box).
fn percent(part: u64, whole: u64) -> u64 {
    if whole == 0 {
        0
    } else {
        (u128::from(part) * 100 / u128::from(whole)).min(100) as u64
    }
}

/// `forecast`: the data cap's forecast sentence (`components::data_cap`), which replaces the
/// plain projection for a capped plan (it stays silent until the cycle's pace is known).
#[component]
pub fn UsageMeter(usage: CycleUsage, forecast: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let used = f.bytes(usage.used_bytes);
    // The projection's sentence, or why there is none yet.
    let projection = |over: bool| match usage.projected_bytes {
        Some(p) if over => (t.usage_projection_over)(&f.bytes(p)),
        Some(p) => (t.usage_projection)(&f.bytes(p)),
        None => (t.usage_projection_too_early)(&f.date(usage.projection_from)),
    };
    let dates = (t.cycle_dates)(
        &f.date(usage.period_start),
        &f.date(usage.period_end.pred_opt().unwrap_or(usage.period_end)),
    );
    match usage.allowance_bytes {
        Some(allowance) => {
            let used_pct = percent(usage.used_bytes, allowance);
            let projected_pct = percent(usage.projected_bytes.unwrap_or(0), allowance);
            let over = usage.projected_bytes.is_some_and(|p| p > allowance);
            let label = (t.usage_of_allowance)(&used, &f.bytes(allowance));
            view! {
                <div class="meter-block">
                    <p class="meter-figure" data-testid="usage-used">{label.clone()}</p>
                    // Drawn as SVG so that no inline style is needed (the CSP forbids them).
                    <svg class="meter" viewBox="0 0 100 8" preserveAspectRatio="none" role="meter" aria-valuemin="0"
                        aria-valuemax=allowance.to_string() aria-valuenow=usage.used_bytes.to_string() aria-valuetext=label>
                        <rect class="meter-track" x="0" y="0" width="100" height="8" rx="2" />
                        <rect class="meter-projected" class:over=over x="0" y="0" width=projected_pct.to_string() height="8" rx="2" />
                        <rect class="meter-used" class:over=(usage.used_bytes > allowance) x="0" y="0" width=used_pct.to_string() height="8" rx="2" />
                    </svg>
                    <p class="meter-note" data-testid="usage-projection">
                        {forecast.unwrap_or_else(|| projection(over))}
                    </p>
                    <p class="muted">{dates}</p>
                </div>
            }
            .into_any()
        }
        None => view! {
            <div class="meter-block">
                <p class="meter-figure" data-testid="usage-used">{(t.usage_used)(&used)}</p>
                <p class="meter-note">{t.unlimited_data}</p>
                <p class="meter-note" data-testid="usage-projection">{projection(false)}</p>
                <p class="muted">{dates}</p>
            </div>
        }
        .into_any(),
    }
}
