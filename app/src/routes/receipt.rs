//! A card payment's receipt (`/payments/:id`), for its own account only; an autopay
//! payment waiting for the bank offers "Confirm with your bank" here.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::payments::payment_receipt;
use crate::components::card_form::ConfirmPayment;
use crate::components::notices::{Loading, PageError};
use crate::error::AppError;
use crate::i18n::{use_i18n, PayTexts};
use crate::types::payments::{ActionNeeded, PayState, Receipt};

#[component]
pub fn ReceiptPage() -> impl IntoView {
    let t = use_i18n().t;
    let params = use_params_map();
    let data = Resource::new(
        move || {
            params
                .read()
                .get("id")
                .and_then(|id| id.parse::<i64>().ok())
        },
        |id| async move {
            match id {
                Some(id) => payment_receipt(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text=t.pay().receipt_title />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(receipt) => view! { <ReceiptView receipt /> }.into_any(),
                    Err(error) => {
                        let t = use_i18n().t;
                        view! { <PageError error back_href="/pay".to_string() back_label=t.pay().nav_pay /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The word and style class for a payment's state.
pub(crate) fn state_words(p: &'static PayTexts, state: PayState) -> (&'static str, &'static str) {
    match state {
        PayState::Pending => (p.state_pending, "badge badge-open"),
        PayState::RequiresAction => (p.state_requires_action, "badge badge-overdue"),
        PayState::Succeeded => (p.state_succeeded, "badge badge-paid"),
        PayState::Failed => (p.state_failed, "badge badge-overdue"),
        PayState::Cancelled => (p.state_cancelled, "badge badge-void"),
    }
}

#[component]
fn ReceiptView(receipt: Receipt) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let (p, c) = (t.pay(), t.cap());
    let r = receipt;
    // A declined payment for a data add-on: the add-on stays, owed with the next statement
    // (billing::bill, rule 4), and can be paid with another card.
    let addon_unpaid = r
        .data_addon
        .clone()
        .filter(|_| matches!(r.state, PayState::Failed | PayState::Cancelled))
        .map(|(id, _)| {
            view! {
                <p class="notice notice-info" data-testid="receipt-addon-unpaid">
                    {(c.receipt_addon_unpaid)(&f.money(&r.amount))} " "
                    <a href=format!("/pay?addon={id}") data-testid="receipt-addon-retry">{c.receipt_addon_retry}</a>
                </p>
            }
        });
    let (label, class) = state_words(p, r.state);
    let source = match r.source.as_str() {
        "autopay" => p.source_autopay,
        "pay_link" => p.source_pay_link,
        _ => p.source_portal,
    };
    let action = (r.state == PayState::RequiresAction).then(|| {
        let stripe = r.stripe.clone();
        view! {
            <section class="notice notice-warn" data-testid="action-needed">
                <p>{p.action_needed}</p>
                {stripe.map(|s| view! {
                    <link rel="preload" r#as="script" id="stripe-js" href=s.js_url />
                    <ConfirmPayment payment_id=r.id publishable_key=s.publishable_key />
                })}
            </section>
        }
    });
    view! {
        <article class="receipt" data-testid="receipt">
            <h1>{p.receipt_title}</h1>
            {(r.state == PayState::Succeeded).then(|| view! {
                <p class="notice notice-success" role="status">{p.receipt_thanks}</p>
            })}
            {action}
            {r.awaiting_stripe.then(|| view! {
                <p class="notice notice-info" role="status" data-testid="receipt-not-finished">{p.not_finished}</p>
            })}
            {r.failure.clone().map(|d| view! {
                <p class="notice notice-error" role="alert" data-testid="receipt-failure">{(p.decline)(&d.code)}</p>
            })}
            {addon_unpaid}
            <dl class="facts receipt-facts">
                <dt>{p.receipt_amount}</dt><dd class="amount" data-testid="receipt-amount">{f.money(&r.amount)}</dd>
                <dt>{p.receipt_status}</dt><dd><span class=class data-testid="receipt-state">{label}</span></dd>
                <dt>{p.receipt_date}</dt><dd>{f.datetime(r.at)}</dd>
                {r.card.clone().map(|c| view! { <dt>{p.receipt_card}</dt><dd data-testid="receipt-card">{c}</dd> })}
                {r.statement.clone().map(|(id, number)| view! {
                    <dt>{p.receipt_statement}</dt><dd><a href=format!("/statements/{id}")>{number}</a></dd>
                })}
                {r.data_addon.clone().map(|(_, what)| view! {
                    <dt>{c.receipt_for}</dt><dd data-testid="receipt-for">{what}</dd>
                })}
                <dt>{p.receipt_how}</dt><dd>{source}</dd>
                <dt>{p.receipt_reference}</dt><dd class="mono" data-testid="receipt-reference">{format!("P-{}", r.id)}</dd>
            </dl>
            <p class="no-print">
                <a class="button" href="/">{p.back_to_overview}</a>
                " "
                // Not while the payment waits for the bank or for Stripe's answer: paid
                // again, it could be paid twice.
                {(r.state != PayState::RequiresAction && !r.awaiting_stripe).then(|| view! { <a href="/pay" data-testid="receipt-pay-again">{p.pay_again}</a> })}
            </p>
        </article>
    }
}

/// The overview's notice: an autopay payment waits for the subscriber's bank.
#[component]
pub fn ActionNeededNotice(needing_action: Vec<ActionNeeded>) -> impl IntoView {
    let i18n = use_i18n();
    let (p, f) = (i18n.t.pay(), i18n.f);
    needing_action
        .into_iter()
        .map(|a| {
            view! {
                <p class="notice notice-warn" role="alert" data-testid="autopay-action">
                    {(p.notice_action)(&f.money(&a.amount))} " "
                    <a href=format!("/payments/{}", a.payment_id)>{p.notice_action_link}</a>
                </p>
            }
        })
        .collect_view()
}
