//! Outages (console): those on and recently ended, declaring one, ending one.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::outages::{staff_outages, DeclareOutage};
use crate::components::notices::{ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::routes::sign_in::{field_error, focus_first_problem, form_error};
use crate::types::outages::OutageRow;

#[component]
pub fn OutagesPage() -> impl IntoView {
    let page = Resource::new(|| (), |_| staff_outages());
    let o = use_i18n().t.outages();
    view! {
        <Title text=o.title />
        <h1>{o.title}</h1>
        <p>{o.intro}</p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(page) => view! {
                        <OutageList rows=page.rows may_end=page.may_declare />
                        {page.may_declare.then(|| view! {
                            <h2>{o.declare_title}</h2>
                            <DeclareOutageForm />
                        })}
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OutageList(rows: Vec<OutageRow>, may_end: bool) -> impl IntoView {
    let i18n = use_i18n();
    let (f, o) = (i18n.f, i18n.t.outages());
    if rows.is_empty() {
        return view! { <p class="empty">{o.none}</p> }.into_any();
    }
    view! {
        <ul class="outages" data-testid="outages">
            {rows.into_iter().map(|r| {
                let on = r.ends_at.is_none();
                view! {
                    <li class="outage-row" data-testid="outage-row" data-outage-id=r.id.to_string()>
                        <p>
                            <strong>{r.title.clone()}</strong> " "
                            {match r.ends_at {
                                None => view! { <span class="badge badge-overdue">{o.on}</span> }.into_any(),
                                Some(at) => view! { <span class="badge">{(o.ended)(&f.datetime(at))}</span> }.into_any(),
                            }}
                        </p>
                        <p>{r.message.clone()}</p>
                        <p class="hint">
                            {(o.scope)(&r.scope_kind, &r.scope_value)} " · "
                            <span data-testid="outage-reach">{(o.reach)(r.services, r.accounts)}</span> " · "
                            {(o.since)(&f.datetime(r.starts_at))} " · "
                            {(o.declared_by)(&r.declared_by)}
                            {(r.settled > 0).then(|| format!(" · {}", (o.settled)(r.settled)))}
                        </p>
                        {(on && may_end).then(|| view! { <EndOutageButton id=r.id /> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Ending an outage now: a plain form (no code in the browser; the console's bundle has
/// little room), which comes back to this page.
#[component]
fn EndOutageButton(id: i64) -> impl IntoView {
    let o = use_i18n().t.outages();
    view! {
        <form method="post" action="/api/end-outage">
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" class="button button-small" data-testid="end-outage">{o.end_submit}</button>
        </form>
    }
}

/// Declaring an outage; errors beside their fields.
#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn DeclareOutageForm() -> impl IntoView {
    let o = use_i18n().t.outages();
    let action = ServerAction::<DeclareOutage>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    let problem = move |id: &'static str| move || field_error(error(), id);
    let invalid = move |id: &'static str| move || field_error(error(), id).is_some().to_string();
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1">{e}</p> })}
        {move || action.value().get().and_then(Result::ok).map(|done| view! {
            <p class="notice notice-success" role="status" data-testid="outage-declared">
                {(o.declared)(done.services, done.accounts)} " " <a href="/staff/outages">{o.title}</a>
            </p>
        })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true attr:data-testid="declare-outage-form">
            <div class="field">
                <label for="outage-title">{o.title_label}</label>
                <input id="outage-title" name="title" type="text" maxlength="120" required
                    aria-describedby="outage-title-error" aria-invalid=invalid("title") />
                <p id="outage-title-error" class="field-error">{problem("title")}</p>
            </div>
            <div class="field">
                <label for="outage-message">{o.message_label}</label>
                <textarea id="outage-message" name="message" rows="3" maxlength="1000" required
                    aria-describedby="outage-message-hint outage-message-error" aria-invalid=invalid("message")></textarea>
                <p id="outage-message-hint" class="hint">{o.message_hint}</p>
                <p id="outage-message-error" class="field-error">{problem("message")}</p>
            </div>
            <fieldset class="field">
                <legend>{o.scope_kind_label}</legend>
                <label class="choice"><input type="radio" name="scope_kind" value="area" checked /> {o.kind_area}</label>
                <label class="choice"><input type="radio" name="scope_kind" value="plan" /> {o.kind_plan}</label>
                <label class="choice"><input type="radio" name="scope_kind" value="device" /> {o.kind_device}</label>
                <p class="field-error">{problem("scope_kind")}</p>
            </fieldset>
            <div class="field">
                <label for="outage-scope">{o.scope_value_label}</label>
                <input id="outage-scope" name="scope_value" type="text" required
                    aria-describedby="outage-scope-hint outage-scope-error" aria-invalid=invalid("scope_value") />
                <p id="outage-scope-hint" class="hint">{o.scope_value_hint}</p>
                <p id="outage-scope-error" class="field-error">{problem("scope_value")}</p>
            </div>
            <div class="field">
                <label for="outage-starts">{o.starts_label}</label>
                <input id="outage-starts" name="starts_at" type="datetime-local"
                    aria-describedby="outage-starts-hint outage-starts-error" aria-invalid=invalid("starts_at") />
                <p id="outage-starts-hint" class="hint">{o.starts_hint}</p>
                <p id="outage-starts-error" class="field-error">{problem("starts_at")}</p>
            </div>
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{o.declare_submit}</button>
        </ActionForm>
    }
}
