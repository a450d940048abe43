//! Usage: the chosen billing period by day (chart and table), one day by hour, the last 12
//! periods, and a CSV download.

use chrono::NaiveDate;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::usage::load_usage;
use crate::components::charts::{nice_ticks, Bar, BarChart};
use crate::components::data_cap::CapForecast;
use crate::components::notices::{Empty, ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::types::UsageReport;

#[component]
pub fn UsagePage() -> impl IntoView {
    let t = use_i18n().t;
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let q = query.read();
            let offset = q
                .get("cycle")
                .and_then(|c| c.parse::<u32>().ok())
                .unwrap_or(0);
            let day = q.get("day").and_then(|d| d.parse::<NaiveDate>().ok());
            (offset, day)
        },
        |(offset, day)| async move { load_usage(offset, day).await.map(|r| (offset, r)) },
    );
    view! {
        <Title text=t.usage_title />
        <h1>{t.usage_title}</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok((offset, report)) => view! { <UsageView offset report /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UsageView(offset: u32, report: UsageReport) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let UsageReport {
        period,
        day,
        history,
        cap,
        updated_at,
        today,
    } = report;
    let c = t.cap();
    let freshness = match updated_at {
        Some(at) if at.date() == today => Some((c.updated)(&f.time(at))),
        Some(at) => Some((c.updated)(&f.datetime(at))),
        None => period
            .days
            .last()
            .map(|d| (c.figures_through)(&f.date(d.day))),
    };
    let notice = {
        let q = use_query_map().read_untracked();
        match (q.get("addon").as_deref(), q.get("error").as_deref()) {
            (Some("bought"), _) => Some(("notice notice-success", c.addon_bought.to_string())),
            (_, Some("conflict")) => {
                Some(("notice notice-error", c.addon_error_conflict.to_string()))
            }
            (_, Some("read_only")) => Some((
                "notice notice-error",
                (t.error)(&crate::error::AppError::ReadOnly),
            )),
            (_, Some(_)) => Some(("notice notice-error", c.addon_error_other.to_string())),
            _ => None,
        }
    };
    let last_day = period.period_end.pred_opt().unwrap_or(period.period_end);
    let dates = (t.cycle_dates)(&f.date(period.period_start), &f.date(last_day));
    let period_days = (period.period_end - period.period_start).num_days().max(1) as u64;
    let daily_share = period.allowance_bytes.map(|a| a / period_days);
    let total = period.total_bytes();
    let chosen = day.as_ref().map(|d| d.day);
    // A day leads to its hours only when they are kept (recent days).
    let bars: Vec<Bar> = period
        .days
        .iter()
        .map(|d| Bar {
            label: f.short_date(d.day),
            value: d.download_bytes + d.upload_bytes,
            href: d
                .has_hours
                .then(|| format!("/usage?cycle={offset}&day={}", d.day)),
            highlighted: Some(d.day) == chosen,
            title: format!(
                "{}: {}",
                f.date(d.day),
                f.bytes(d.download_bytes + d.upload_bytes)
            ),
        })
        .collect();
    let ticks = scale_for(
        bars.iter()
            .map(|b| b.value)
            .chain(daily_share)
            .max()
            .unwrap_or(0),
        |v| f.bytes(v),
    );
    let hours_from = period.days.iter().find(|d| d.has_hours).map(|d| d.day);
    // A day asked for whose hours are not kept: say so, rather than show nothing new.
    let asked = use_query_map()
        .read_untracked()
        .get("day")
        .and_then(|d| d.parse::<NaiveDate>().ok())
        .filter(|d| *d >= period.period_start && *d < period.period_end);
    let no_hours = match (asked, &day) {
        (Some(asked), None) => Some(match hours_from {
            Some(from) => (t.usage_no_hours_since)(&f.date(asked), &f.date(from)),
            None => (t.usage_no_hours)(&f.date(asked)),
        }),
        _ => None,
    };
    let summary = format!("{} {}: {}", t.usage_by_day, dates, f.bytes(total));
    let older = (offset + 1 < 12).then(|| format!("/usage?cycle={}", offset + 1));
    let newer = (offset > 0).then(|| format!("/usage?cycle={}", offset - 1));

    view! {
        {notice.map(|(class, text)| view! { <p class=class role="status" data-testid="cap-notice">{text}</p> })}
        <section class="card card-flat" aria-labelledby="period-h">
            <div class="period-bar">
                {older.map(|href| view! { <a class="button button-small" href=href rel="prev">"← " {t.usage_previous_cycle}</a> })}
                <h2 id="period-h" data-testid="usage-period">{dates.clone()}</h2>
                {newer.map(|href| view! { <a class="button button-small" href=href rel="next">{t.usage_next_cycle} " →"</a> })}
            </div>
            <p class="figure-small" data-testid="usage-total">
                {match period.allowance_bytes {
                    Some(a) => (t.usage_of_allowance)(&f.bytes(total), &f.bytes(a)),
                    None => (t.usage_used)(&f.bytes(total)),
                }}
            </p>
            {freshness.map(|text| view! { <p class="muted small" data-testid="usage-updated">{text}</p> })}
            {cap.map(|cap| view! { <CapForecast cap /> })}
            {if period.days.is_empty() {
                view! { <Empty text=t.usage_no_data /> }.into_any()
            } else {
                view! {
                    <h3>{t.usage_by_day}</h3>
                    {no_hours.map(|text| view! { <p class="notice notice-info" role="status" data-testid="no-hours">{text}</p> })}
                    <BarChart bars reference=daily_share summary ticks />
                    {daily_share.map(|_| view! { <p class="legend"><span class="legend-line"></span>{t.allowance_line}</p> })}
                    <p class="muted">{t.choose_day}</p>
                    <details class="figures">
                        <summary>{t.show_table}</summary>
                        <div class="table-wrap">
                        <table class="data-table" data-testid="usage-days">
                            <caption>{t.usage_table_caption}</caption>
                            <thead><tr>
                                <th scope="col">{t.col_day}</th>
                                <th scope="col" class="num">{t.col_download}</th>
                                <th scope="col" class="num">{t.col_upload}</th>
                                <th scope="col" class="num">{t.col_total}</th>
                            </tr></thead>
                            <tbody>
                                {period.days.iter().map(|d| view! {
                                    <tr data-day=d.day.to_string()>
                                        <th scope="row">{if d.has_hours {
                                            view! { <a href=format!("/usage?cycle={offset}&day={}", d.day)>{f.date(d.day)}</a> }.into_any()
                                        } else {
                                            view! { {f.date(d.day)} }.into_any()
                                        }}</th>
                                        <td class="num">{f.bytes(d.download_bytes)}</td>
                                        <td class="num">{f.bytes(d.upload_bytes)}</td>
                                        <td class="num">{f.bytes(d.download_bytes + d.upload_bytes)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    </details>
                }.into_any()
            }}
            <p><a class="button button-small" href=format!("/usage.csv?cycle={offset}") download="" data-testid="csv-link">{t.usage_download_csv}</a></p>
        </section>

        {day.map(|d| {
            let heading = (t.usage_by_hour)(&f.date(d.day));
            let bars: Vec<Bar> = d.hours.iter().map(|h| Bar {
                label: f.hour(h.hour), value: h.download_bytes + h.upload_bytes, href: None, highlighted: false,
                title: format!("{}: {}", f.hour(h.hour), f.bytes(h.download_bytes + h.upload_bytes)),
            }).collect();
            let ticks = scale_for(bars.iter().map(|b| b.value).max().unwrap_or(0), |v| f.bytes(v));
            view! {
                <section class="card card-flat" aria-labelledby="day-h">
                    <h2 id="day-h" data-testid="usage-day">{heading.clone()}</h2>
                    <BarChart bars reference=None summary=heading ticks every_nth_label=6 />
                    <details class="figures">
                        <summary>{t.show_table}</summary>
                        <table class="data-table" data-testid="usage-hours">
                            <thead><tr>
                                <th scope="col">{t.col_hour}</th>
                                <th scope="col" class="num">{t.col_download}</th>
                                <th scope="col" class="num">{t.col_upload}</th>
                            </tr></thead>
                            <tbody>
                                {d.hours.iter().map(|h| view! {
                                    <tr><th scope="row">{f.hour(h.hour)}</th>
                                        <td class="num">{f.bytes(h.download_bytes)}</td>
                                        <td class="num">{f.bytes(h.upload_bytes)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </details>
                </section>
            }
        })}

        <section class="card card-flat" aria-labelledby="history-h">
            <h2 id="history-h">{t.usage_last_cycles}</h2>
            <div class="table-wrap">
            <table class="data-table" data-testid="usage-history">
                <thead><tr>
                    <th scope="col">{t.col_period}</th>
                    <th scope="col" class="num">{t.col_total}</th>
                    <th scope="col" class="num">{t.col_allowance}</th>
                </tr></thead>
                <tbody>
                    {history.into_iter().enumerate().map(|(i, p)| view! {
                        <tr>
                            <th scope="row"><a href=format!("/usage?cycle={i}")>
                                {(t.cycle_dates)(&f.short_date(p.period_start), &f.date(p.period_end.pred_opt().unwrap_or(p.period_end)))}
                            </a></th>
                            <td class="num">{f.bytes(p.total_bytes)}</td>
                            <td class="num">{p.allowance_bytes.map(|a| f.bytes(a)).unwrap_or_else(|| t.unlimited_data.to_string())}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            </div>
        </section>
    }
}

/// A chart's vertical scale up to `max`, each value labelled by `label`.
fn scale_for(max: u64, label: impl Fn(u64) -> String) -> Vec<(u64, String)> {
    nice_ticks(max)
        .into_iter()
        // Round figures read without their ".0" ("20 GB").
        .map(|v| {
            let text = if v == 0 {
                "0".to_string()
            } else {
                label(v).replace(".0\u{a0}", "\u{a0}").replace(".0 ", " ")
            };
            (v, text)
        })
        .collect()
}
