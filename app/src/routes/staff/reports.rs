//! Reports (console, billing staff and administrators): one report at a time over a range
//! of days, as a chart drawn on the server, a table of every figure, and a CSV download.
//! Plain links and a GET form: nothing here runs in the browser.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use billing::Money;

use crate::api::reports::staff_report;
use crate::components::charts::{CategoryChart, Row};
use crate::components::notices::{ErrorNotice, Loading};
use crate::error::AppError;
use crate::i18n::{use_i18n, I18n};
use crate::types::reports::{Cell, Chart, Report, ReportPage, Unit};

#[component]
pub fn ReportsPage() -> impl IntoView {
    let query = use_query_map();
    let asked = move || {
        let q = query.read();
        (
            q.get("report")
                .unwrap_or_else(|| Report::Revenue.slug().into()),
            q.get("from"),
            q.get("to"),
        )
    };
    let page = Resource::new(asked, |(report, from, to)| staff_report(report, from, to));
    let r = use_i18n().t.reports();
    view! {
        <Title text=r.title />
        <h1>{r.title}</h1>
        <p>{r.intro}</p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let (slug, from, to) = asked();
                match page.await {
                    Ok(page) => {
                        let (from, to) = (page.from.to_string(), page.to.to_string());
                        view! {
                            <ReportNav current=page.report.slug() from=from.clone() to=to.clone() />
                            <RangeForm report=page.report.slug() from to error=None />
                            <ReportView page />
                        }.into_any()
                    }
                    Err(AppError::InvalidInput { field, message }) => {
                        let report = Report::from_slug(&slug).unwrap_or(Report::Revenue).slug();
                        let (from, to) = (from.unwrap_or_default(), to.unwrap_or_default());
                        view! {
                            <ReportNav current=report from=from.clone() to=to.clone() />
                            <RangeForm report from to error=Some((field, message)) />
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The reports, as links keeping the days chosen.
#[component]
fn ReportNav(current: &'static str, from: String, to: String) -> impl IntoView {
    let r = use_i18n().t.reports();
    view! {
        <nav class="report-nav" aria-label=r.reports_label>
            <ul>
                {Report::ALL.into_iter().map(|report| {
                    let href = format!("/staff/reports?report={}&from={from}&to={to}", report.slug());
                    let here = (report.slug() == current).then_some("page");
                    view! { <li><a href=href aria-current=here>{(r.name)(report)}</a></li> }
                }).collect_view()}
            </ul>
        </nav>
    }
}

/// The days of the report: a GET form, so the address of a report can be kept and shared.
#[component]
fn RangeForm(
    report: &'static str,
    from: String,
    to: String,
    error: Option<(String, String)>,
) -> impl IntoView {
    let r = use_i18n().t.reports();
    let message_for = |field: &str| {
        error
            .as_ref()
            .filter(|(f, _)| f == field || (field == "from" && f.is_empty()))
            .map(|(_, m)| m.clone())
    };
    let field = move |name: &'static str, label: &'static str, value: String| {
        let message = message_for(name);
        let described = message.as_ref().map(|_| format!("{name}-error"));
        view! {
            <div class="field">
                <label for=format!("report-{name}")>{label}</label>
                <input type="date" id=format!("report-{name}") name=name value=value required
                    aria-invalid=message.as_ref().map(|_| "true") aria-describedby=described />
                {message.map(|m| view! { <p class="field-error" id=format!("{name}-error") role="alert">{m}</p> })}
            </div>
        }
    };
    view! {
        <form method="get" action="/staff/reports" class="report-range" data-testid="report-range">
            <input type="hidden" name="report" value=report />
            <fieldset>
                <legend>{r.range_legend}</legend>
                {field("from", r.from_label, from)}
                {field("to", r.to_label, to)}
            </fieldset>
            <button type="submit" class="button button-small">{r.show}</button>
        </form>
    }
}

#[component]
fn ReportView(page: ReportPage) -> impl IntoView {
    let i18n = use_i18n();
    let r = i18n.t.reports();
    let name = (r.name)(page.report);
    let csv = format!(
        "/staff/reports/{}/csv?from={}&to={}",
        page.report.slug(),
        page.from,
        page.to
    );
    let caption = (r.caption)(name, &i18n.f.date(page.from), &i18n.f.date(page.to));
    let table = page.table;
    let columns = table.columns.clone();
    view! {
        <section class="report" data-testid="report" data-report=page.report.slug()>
            <h2>{name}</h2>
            <p class="hint">{(r.about)(page.report)}</p>
            <p><a href=csv download data-testid="report-csv">{r.download}</a></p>
            {if table.rows.is_empty() {
                view! { <p class="empty">{r.empty}</p> }.into_any()
            } else {
                view! {
                    {page.chart.map(|chart| chart_view(i18n, chart))}
                    <div class="table-wrap" role="region" aria-label=caption.clone() tabindex="0">
                        <table class="data-table report-table">
                            <caption>{caption.clone()}</caption>
                            <thead><tr>
                                {columns.iter().map(|key| {
                                    let numeric = table.rows.first()
                                        .and_then(|row| row.get(columns.iter().position(|k| k == key)?))
                                        .is_some_and(is_numeric);
                                    view! { <th scope="col" class=numeric.then_some("num")>{(r.column)(key)}</th> }
                                }).collect_view()}
                            </tr></thead>
                            <tbody>
                                {table.rows.into_iter().map(|row| row_view(i18n, &columns, row, false)).collect_view()}
                            </tbody>
                            {table.total.map(|row| view! {
                                <tfoot>{row_view(i18n, &columns, row, true)}</tfoot>
                            })}
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

fn is_numeric(cell: &Cell) -> bool {
    !matches!(cell, Cell::Text(_) | Cell::Code(_) | Cell::Date(_))
}

fn row_view(i18n: I18n, columns: &[String], row: Vec<Cell>, total: bool) -> impl IntoView {
    let r = i18n.t.reports();
    let cells = row
        .into_iter()
        .zip(columns)
        .enumerate()
        .map(|(i, (cell, key))| {
            let class = is_numeric(&cell).then_some("num");
            let text = cell_text(i18n, &cell);
            let label = (r.column)(key);
            if i == 0 {
                view! { <th scope="row" data-label=label>{text}</th> }.into_any()
            } else {
                view! { <td class=class data-label=label>{text}</td> }.into_any()
            }
        })
        .collect_view();
    view! { <tr class=total.then_some("total")>{cells}</tr> }
}

fn count(i18n: I18n, n: i64) -> String {
    let digits = i18n.f.count(n.unsigned_abs());
    if n < 0 {
        format!("−{digits}")
    } else {
        digits
    }
}

fn cell_text(i18n: I18n, cell: &Cell) -> String {
    let r = i18n.t.reports();
    match cell {
        Cell::Text(s) => s.clone(),
        Cell::Code(c) => (r.code)(c).map_or_else(|| c.clone(), str::to_string),
        Cell::Count(n) => count(i18n, *n),
        Cell::Money(m) => i18n.f.money(m),
        Cell::Bytes(b) => i18n.f.bytes((*b).max(0) as u64),
        Cell::Permille(Some(p)) => format!("{}.{}%", p / 10, p % 10),
        Cell::Permille(None) => "–".into(),
        Cell::Date(d) => d.format("%B %Y").to_string(),
    }
}

/// A figure of the chart's unit, for its scale and its bars' titles.
fn figure(i18n: I18n, unit: Unit, value: i64) -> String {
    match unit {
        Unit::Money(currency) => i18n.f.money(&Money::from_minor_units(value, currency)),
        Unit::Count => count(i18n, value),
        Unit::Permille => format!("{}.{}%", value / 10, value % 10),
        Unit::Bytes => i18n.f.bytes(value.max(0) as u64),
    }
}

fn chart_view(i18n: I18n, chart: Chart) -> impl IntoView {
    let r = i18n.t.reports();
    let unit = chart.unit;
    let rows = chart
        .bars
        .into_iter()
        .map(|(label, value)| Row {
            label: (r.code)(&label).map_or(label, str::to_string),
            value: value.max(0) as u64,
            figure: figure(i18n, unit, value),
        })
        .collect();
    view! {
        <figure class="report-chart">
            <CategoryChart rows summary=chart.caption.clone() />
            <figcaption class="hint">{chart.caption}</figcaption>
        </figure>
    }
}
