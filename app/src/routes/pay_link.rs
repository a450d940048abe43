//! Paying one statement from the signed link in its email, without signing in. The page
//! shows only the provider, the statement's number, what is due and when: nothing else of
//! the account. An expired or altered link gets a page of its own (410 or 404) offering
//! sign-in.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::payments::load_pay_link;
use crate::components::card_form::{PayForm, PayVia};
use crate::components::notices::{ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::types::payments::{LinkProblem, PayLinkPage};

#[component]
pub fn PayLinkPage() -> impl IntoView {
    let t = use_i18n().t;
    let params = use_params_map();
    let token = params.read_untracked().get("token").unwrap_or_default();
    let data = {
        let token = token.clone();
        Resource::new(|| (), move |_| load_pay_link(token.clone()))
    };
    view! {
        <Title text=t.pay().link_title />
        <main id="content" class="narrow pay-link-page">
            <Suspense fallback=Loading>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match data.await {
                            Ok(Ok(page)) => view! { <PayLinkView page token /> }.into_any(),
                            Ok(Err(problem)) => view! { <LinkRefused problem /> }.into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn LinkRefused(problem: LinkProblem) -> impl IntoView {
    let t = use_i18n().t;
    let p = t.pay();
    view! {
        <p class="brand brand-large">{t.app_name}</p>
        <h1>{p.link_title}</h1>
        <div class="notice notice-error" role="alert" data-testid="link-refused"
            data-code=match problem { LinkProblem::Expired => "expired", LinkProblem::Invalid => "invalid" }>
            <p>{match problem { LinkProblem::Expired => p.link_expired, LinkProblem::Invalid => p.link_invalid }}</p>
        </div>
        <p><a class="button button-primary button-big" href="/sign-in?next=/pay">{p.link_sign_in}</a></p>
    }
}

#[component]
fn PayLinkView(page: PayLinkPage, token: String) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let p = t.pay();
    let amount = f.money(&page.amount_due);
    let form = match (page.paid, page.stripe.clone()) {
        (true, _) => view! { <p class="notice notice-success" role="status" data-testid="link-paid">{p.link_paid}</p> }.into_any(),
        (false, _) if page.on_hold => view! { <p class="notice notice-info" role="status" data-testid="link-on-hold">{p.link_on_hold}</p> }.into_any(),
        (false, Some(stripe)) => view! {
            <link rel="preload" r#as="script" id="stripe-js" href=stripe.js_url />
            <PayForm
                via=PayVia::Link { token }
                publishable_key=stripe.publishable_key
                amount=f.amount_input(&page.amount_due)
                min=String::new()
                max=String::new()
                currency=page.currency.clone()
                country=page.country.clone()
                cards=Vec::new()
                provider_name=page.provider_name.clone()
                data_addon=None
            />
        }
        .into_any(),
        (false, None) => view! { <p class="notice notice-info" role="status">{p.cards_unavailable}</p> }.into_any(),
    };
    view! {
        <p class="brand brand-large" data-testid="provider-name">{page.provider_name.clone()}</p>
        <h1>{p.link_title}</h1>
        <section class="card card-flat">
            <dl class="facts">
                <dt>{p.link_statement}</dt><dd data-testid="link-statement">{page.statement_number.clone()}</dd>
                <dt>{p.link_amount}</dt><dd class="num figure-small" data-testid="link-amount">{amount}</dd>
                <dt>{p.link_due}</dt><dd>{f.date(page.due_on)}</dd>
            </dl>
        </section>
        <section class="card card-flat">{form}</section>
    }
}
