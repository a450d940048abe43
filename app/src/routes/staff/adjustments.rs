//! Adjusting an account (billing staff and administrators), and the approvals queue for
//! adjustments above the requester's limit.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::adjustments::{
    adjustments_queue, load_adjust_page, ApproveAdjustment, RejectAdjustment, RequestAdjustment,
};
use crate::components::notices::{ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::routes::sign_in::{
    field_error, focus_first_problem, focus_first_problem_in, form_error,
};
use crate::types::staff::AdjustmentRow;

#[component]
pub fn AdjustPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let saved = query.read_untracked().get("saved");
    let page = Resource::new(
        move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()),
        |id| async move {
            match id {
                Some(id) => load_adjust_page(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || {
                let saved = saved.clone();
                Suspend::new(async move {
                let i18n = use_i18n();
                let (t, f) = (i18n.t, i18n.f);
                let s = t.staff();
                match page.await {
                    Ok(p) => {
                        let title = (s.adjust_title)(&p.account_number);
                        let notice = match saved.as_deref() {
                            Some("posted") => Some(s.adjust_posted),
                            Some("awaiting_approval") => Some(s.adjust_waiting),
                            _ => None,
                        };
                        view! {
                            <Title text=title.clone() />
                            <h1>{title}</h1>
                            <p>{p.display_name.clone()} " · " {s.adjust_balance} " " <strong data-testid="balance">{f.money(&p.balance)}</strong></p>
                            {notice.map(|n| view! { <p class="notice notice-info" role="status" data-testid="adjust-notice">{n}</p> })}
                            <p class="hint" data-testid="own-limit">{(s.adjust_limit)(&f.money(&p.own_limit), &f.money(&p.own_daily_limit), &f.money(&p.posted_today))}</p>
                            <AdjustForm account_id=p.account_id />
                            <h2>{s.adjust_recent}</h2>
                            <AdjustmentList rows=p.recent.clone() />
                            <p><a href=format!("/staff/accounts/{}", p.account_id)>{s.back_to_account}</a></p>
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}}
        </Suspense>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn AdjustForm(account_id: i64) -> impl IntoView {
    let s = use_i18n().t.staff();
    let action = ServerAction::<RequestAdjustment>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true attr:data-testid="adjust-form">
            <input type="hidden" name="account_id" value=account_id.to_string() />
            <fieldset class="field">
                <legend>{s.adjust_direction}</legend>
                <label class="choice"><input type="radio" name="direction" value="credit" checked /> {s.adjust_credit}</label>
                <label class="choice"><input type="radio" name="direction" value="charge" /> {s.adjust_charge}</label>
                <p class="field-error">{move || field_error(error(), "direction")}</p>
            </fieldset>
            <div class="field">
                <label for="amount">{s.adjust_amount}</label>
                <input id="amount" name="amount" type="text" inputmode="decimal" required aria-describedby="amount-error"
                    aria-invalid=move || field_error(error(), "amount").is_some().to_string() />
                <p id="amount-error" class="field-error">{move || field_error(error(), "amount")}</p>
            </div>
            <div class="field">
                <label for="reason">{s.adjust_reason}</label>
                <textarea id="reason" name="reason" rows="3" required aria-describedby="reason-hint reason-error"
                    aria-invalid=move || field_error(error(), "reason").is_some().to_string()></textarea>
                <p id="reason-hint" class="hint">{s.adjust_reason_hint}</p>
                <p id="reason-error" class="field-error">{move || field_error(error(), "reason")}</p>
            </div>
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{s.adjust_submit}</button>
        </ActionForm>
    }
}

#[component]
fn AdjustmentList(rows: Vec<AdjustmentRow>) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let s = t.staff();
    if rows.is_empty() {
        return view! { <p class="empty">{s.adjust_none}</p> }.into_any();
    }
    view! {
        <ul class="adjustments" data-testid="adjustments">
            {rows.into_iter().map(|r| view! {
                <li class="adjustment" data-status=r.status.clone()>
                    <p>
                        <strong class="num">{f.money(&r.amount)}</strong>
                        " · " <a href=format!("/staff/accounts/{}", r.account_id)>{r.account_number.clone()}</a>
                        " · " <span class="badge">{(s.adjustment_status)(&r.status)}</span>
                    </p>
                    <p>{r.reason.clone()}</p>
                    {r.dispute_number.clone().map(|n| view! {
                        <p><a href=format!("/staff/tickets/{n}") data-testid="adjustment-dispute">{(s.adjust_for_dispute)(&n)}</a></p>
                    })}
                    <p class="hint">
                        {(s.asked_by)(&r.requested_by)} ", " {f.datetime(r.requested_at)}
                        {r.decided_by.clone().map(|d| format!(" · {}", (s.decided_by)(&d)))}
                        {r.decision_note.clone().map(|n| format!(" · {n}"))}
                    </p>
                    {r.own_waiting.then(|| view! {
                        <p class="notice notice-info" data-testid="own-request">{s.adjust_own_waiting}</p>
                    })}
                    {r.can_decide.then(|| view! { <DecideAdjustment id=r.id /> })}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn DecideAdjustment(id: i64) -> impl IntoView {
    let s = use_i18n().t.staff();
    let approve = ServerAction::<ApproveAdjustment>::new();
    let reject = ServerAction::<RejectAdjustment>::new();
    let error = move || {
        approve
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| reject.value().get().and_then(|r| r.err()))
    };
    let note_id = format!("note-{id}");
    let scope = format!("decide-{id}");
    focus_first_problem_in(format!("#{scope}"), move || error().is_some());
    view! {
        <div id=scope>
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1">{e}</p> })}
        <div class="decide-row">
            <ActionForm action=approve attr:data-testid="approve-adjustment">
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="button button-primary button-small">{s.approve}</button>
            </ActionForm>
            <ActionForm action=reject attr:class="stack" attr:data-testid="reject-adjustment">
                <input type="hidden" name="id" value=id.to_string() />
                <label for=note_id.clone()>{s.reject_note}</label>
                <input id=note_id.clone() name="note" type="text" required
                    aria-describedby=format!("{note_id}-error")
                    aria-invalid=move || field_error(error(), "note").is_some().to_string() />
                <p id=format!("{note_id}-error") class="field-error">{move || field_error(error(), "note")}</p>
                <button type="submit" class="button button-small">{s.reject}</button>
            </ActionForm>
        </div>
        </div>
    }
}

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let query = use_query_map();
    let decided = query.read_untracked().get("decided");
    let rows = Resource::new(|| (), |_| adjustments_queue());
    view! {
        <Suspense fallback=Loading>
            {move || {
                let decided = decided.clone();
                Suspend::new(async move {
                let s = use_i18n().t.staff();
                let notice = match decided.as_deref() {
                    Some("approved") => Some(s.decided_approved),
                    Some("rejected") => Some(s.decided_rejected),
                    _ => None,
                };
                match rows.await {
                    Ok(rows) => view! {
                        <Title text=s.approvals_title />
                        <h1>{s.approvals_title}</h1>
                        {notice.map(|n| view! { <p class="notice notice-info" role="status">{n}</p> })}
                        // What waits for a decision, apart from what was decided lately.
                        {let (waiting, decided): (Vec<_>, Vec<_>) =
                            rows.into_iter().partition(|r| r.status == "pending");
                        view! {
                            {if waiting.is_empty() {
                                view! { <p class="empty" data-testid="approvals-none">{s.approvals_none}</p> }.into_any()
                            } else {
                                view! { <AdjustmentList rows=waiting /> }.into_any()
                            }}
                            {(!decided.is_empty()).then(|| view! {
                                <h2>{s.approvals_decided}</h2>
                                <div data-testid="approvals-decided"><AdjustmentList rows=decided /></div>
                            })}
                        }}
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}}
        </Suspense>
    }
}
