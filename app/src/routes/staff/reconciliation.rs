//! Reconciliation (console, billing staff and administrators): the runs, one run's
//! mismatches with their evidence, each resolved with a note; a run as CSV.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::reconciliation::staff_reconciliation;
use crate::components::notices::{ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::types::reconciliation::{MismatchRow, RunRow};

#[component]
pub fn ReconciliationPage() -> impl IntoView {
    let query = use_query_map();
    let run = move || query.read().get("run").and_then(|r| r.parse::<i64>().ok());
    let page = Resource::new(run, staff_reconciliation);
    let r = use_i18n().t.reconciliation();
    view! {
        <Title text=r.title />
        <h1>{r.title}</h1>
        <p>{r.intro}</p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) if page.runs.is_empty() && page.run.is_none() => view! { <p class="empty">{r.none}</p> }.into_any(),
                    Ok(page) => view! {
                        {page.run.clone().map(|run| view! { <RunDetail run mismatches=page.mismatches.clone() /> })}
                        <h2>{r.runs_title}</h2>
                        <ul class="runs" data-testid="reconciliation-runs">
                            {page.runs.into_iter().map(|run| view! {
                                <li>
                                    <a href=format!("/staff/reconciliation?run={}", run.id)>
                                        {(r.run_label)(run.id, &run.period_start.to_string(), &run.period_last.to_string())}
                                    </a>
                                    " · " {(r.counts)(run.mismatches, run.open)}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn RunDetail(run: RunRow, mismatches: Vec<MismatchRow>) -> impl IntoView {
    let r = use_i18n().t.reconciliation();
    view! {
        <section data-testid="reconciliation-run" data-run-id=run.id.to_string()>
            <h2>{(r.run_label)(run.id, &run.period_start.to_string(), &run.period_last.to_string())}</h2>
            <p class="hint">
                {run.upstream_file.as_deref().map(r.against).unwrap_or_else(|| r.no_upstream.to_string())}
                " · " {(r.counts)(run.mismatches, run.open)} " · "
                <a href=format!("/staff/reconciliation/{}/csv", run.id) download>{r.download}</a>
            </p>
            {if mismatches.is_empty() {
                view! { <p class="empty">{r.all_agree}</p> }.into_any()
            } else {
                view! {
                    <ul class="mismatches">
                        {mismatches.into_iter().map(|m| view! { <Mismatch m /> }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Mismatch(m: MismatchRow) -> impl IntoView {
    let r = use_i18n().t.reconciliation();
    let whose = [
        m.account_number.as_deref().map(r.account),
        m.service_id.map(r.service),
        m.upstream_ref.as_deref().map(r.circuit),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(" · ");
    let note_id = format!("note-{}", m.id);
    view! {
        <li class="mismatch" id=format!("mismatch-{}", m.id) data-testid="mismatch" data-kind=m.kind.clone()>
            <p><strong>{(r.kind)(&m.kind)}</strong> " "
                {match m.account_id {
                    Some(id) => view! { <a href=format!("/staff/accounts/{id}")>{whose}</a> }.into_any(),
                    None => view! { <span>{whose}</span> }.into_any(),
                }}
            </p>
            <p>{m.evidence.clone()}</p>
            {match m.resolved {
                Some((note, by, at)) => view! {
                    <p class="hint" data-testid="mismatch-resolved">
                        {(r.resolved)(&by, &at.format("%Y-%m-%d %H:%M").to_string())} ": " {note}
                    </p>
                }.into_any(),
                None => view! {
                    <form method="post" action="/api/resolve-mismatch" class="stack">
                        <input type="hidden" name="id" value=m.id.to_string() />
                        <div class="field">
                            <label for=note_id.clone()>{r.note_label}</label>
                            <textarea id=note_id name="note" rows="2" required maxlength="2000"></textarea>
                        </div>
                        <button type="submit" class="button button-small" data-testid="resolve-mismatch">{r.resolve_submit}</button>
                    </form>
                }.into_any(),
            }}
        </li>
    }
}
