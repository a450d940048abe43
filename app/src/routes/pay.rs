//! Paying by card: the balance and the open statement, the amount (prefilled with what is
//! owed), a saved card or a new one in Stripe's card element, Apple Pay / Google Pay where
//! the browser has them. With `?addon=<id>`, a data add-on bought to be paid now: its price
//! and tax, and exactly that amount to pay.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::payments::load_pay_page;
use crate::components::card_form::{PayForm, PayVia};
use crate::components::notices::{ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::types::payments::PayPage;

#[component]
pub fn PayPage() -> impl IntoView {
    let t = use_i18n().t;
    let query = use_query_map();
    let data = Resource::new(
        move || {
            query
                .read()
                .get("addon")
                .and_then(|id| id.parse::<i64>().ok())
        },
        load_pay_page,
    );
    view! {
        <Title text=t.pay().pay_title />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <PayView page /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PayView(page: PayPage) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let p = t.pay();
    let statement = page.statement.clone().map(|s| {
        let words = if s.overdue {
            (p.statement_overdue)(&s.number, &f.date(s.due_on))
        } else {
            (p.statement_due)(&s.number, &f.date(s.due_on))
        };
        view! {
            <p class:due-overdue=s.overdue data-testid="open-statement">
                <a href=format!("/statements/{}", s.id)>{words}</a>
                {t.colon} <span class="num">{f.money(&s.total_due)}</span>
            </p>
        }
    });
    let owed = page.suggested.is_some();
    let c = t.cap();
    let addon = page.addon.clone().map(|a| {
        let breakdown = a.tax.is_positive().then(|| {
            (c.addon_pay_now_tax)(&f.money(&a.charge), &f.money(&a.tax), &f.money(&a.total))
        });
        view! {
            <div class="pay-addon" data-testid="pay-addon">
                <p><strong>{(c.addon_paying_for)(&a.description)}</strong></p>
                {breakdown.map(|text| view! { <p data-testid="pay-addon-amount">{text}</p> })}
                <p class="muted">{if a.paid { c.addon_already_paid } else { c.addon_yours }}</p>
            </div>
        }
    });
    let paying_addon = page.addon.as_ref().filter(|a| !a.paid).map(|a| a.id);
    let form = match page.stripe.clone() {
        Some(stripe) => view! {
            <link rel="preload" r#as="script" id="stripe-js" href=stripe.js_url />
            <PayForm
                via=PayVia::Portal
                publishable_key=stripe.publishable_key
                amount=page.suggested.map(|m| f.amount_input(&m)).unwrap_or_default()
                min=f.money(&page.min)
                max=f.money(&page.max)
                currency=page.currency.clone()
                country=page.country.clone()
                cards=page.cards.clone()
                provider_name=t.app_name.to_string()
                data_addon=paying_addon
            />
        }
        .into_any(),
        None => view! { <p class="notice notice-info" role="status">{p.cards_unavailable}</p> }
            .into_any(),
    };
    view! {
        <div class="pay-page">
            <h1>{p.pay_title}</h1>
            <section class="card card-flat pay-summary" aria-label=p.balance_now>
                {addon}
                <p class="muted">{p.balance_now}</p>
                <p class="figure" data-testid="pay-balance">{f.money(&page.balance)}</p>
                {statement}
                {(!owed).then(|| view! { <p class="muted">{p.nothing_owed}</p> })}
            </section>
            <section class="card card-flat">
                {form}
            </section>
            <p><a href="/cards">{p.manage_cards}</a></p>
        </div>
    }
}
