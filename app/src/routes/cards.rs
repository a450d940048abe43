//! Saved cards and autopay: add a card (Stripe's card element and a SetupIntent), make one
//! the default, remove one (after a confirmation), switch autopay on or off. Everything but
//! adding a card is a plain form, so it works before (or without) the page's code.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::payments::load_cards_page;
use crate::components::card_form::AddCardForm;
use crate::components::notices::{ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::types::payments::CardsPage;

#[component]
pub fn CardsPage() -> impl IntoView {
    let t = use_i18n().t;
    let data = Resource::new(|| (), |_| load_cards_page());
    view! {
        <Title text=t.pay().cards_title />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <CardsView page /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn CardsView(page: CardsPage) -> impl IntoView {
    let t = use_i18n().t;
    let p = t.pay();
    let saved = use_query_map().read_untracked().get("saved").is_some();
    let has_default = page.cards.iter().any(|c| c.is_default);
    let cards = if page.cards.is_empty() {
        view! { <p class="empty">{p.no_cards}</p> }.into_any()
    } else {
        view! {
            <ul class="saved-cards" data-testid="saved-cards">
                {page.cards.into_iter().map(|c| {
                    let words = (p.card_line)(&c.brand, &c.last4);
                    let id = c.id.to_string();
                    view! {
                        <li class="saved-card" data-testid="saved-card">
                            <div class="saved-card-text">
                                <span class="saved-card-name">{words.clone()}</span>
                                {c.is_default.then(|| view! { " " <span class="badge badge-paid" data-testid="default-badge">{p.default_badge}</span> })}
                                {c.expired.then(|| view! { " " <span class="badge badge-overdue">{p.card_expired}</span> })}
                                {(c.exp_year != 0).then(|| view! { <br /><span class="muted">{(p.card_expires)(c.exp_month, c.exp_year)}</span> })}
                            </div>
                            <div class="saved-card-actions">
                                {(!c.is_default).then(|| view! {
                                    <form method="post" action="/api/make-default-card">
                                        <input type="hidden" name="card_id" value=id.clone() />
                                        <button type="submit" class="button">{p.make_default}</button>
                                    </form>
                                })}
                                <details class="confirm-remove">
                                    <summary class="button">{p.remove}</summary>
                                    <form method="post" action="/api/remove-card" class="confirm-box">
                                        <p>{(p.remove_confirm)(&words)}</p>
                                        <input type="hidden" name="card_id" value=id />
                                        <button type="submit" class="button button-danger">{p.remove_yes}</button>
                                    </form>
                                </details>
                            </div>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <div class="cards-page">
            <h1>{p.cards_title}</h1>
            {saved.then(|| view! { <p class="notice notice-success" role="status">{p.card_saved}</p> })}
            <section class="card card-flat">
                {cards}
                {page.stripe.map(|s| view! {
                    <link rel="preload" r#as="script" id="stripe-js" href=s.js_url />
                    <AddCardForm publishable_key=s.publishable_key />
                })}
            </section>
            <section class="card card-flat" aria-labelledby="autopay-h" data-testid="autopay">
                <h2 id="autopay-h">{p.autopay_title}</h2>
                <p>{p.autopay_explain}</p>
                <p data-testid="autopay-state"><strong>{if page.autopay { p.autopay_on } else { p.autopay_off }}</strong></p>
                {if has_default || page.autopay {
                    view! {
                        <form method="post" action="/api/set-autopay">
                            <input type="hidden" name="on" value=(!page.autopay).to_string() />
                            <button type="submit" class=if page.autopay { "button" } else { "button button-primary" }
                                data-testid="autopay-toggle">
                                {if page.autopay { p.autopay_turn_off } else { p.autopay_turn_on }}
                            </button>
                        </form>
                    }.into_any()
                } else {
                    view! { <p class="muted">{p.autopay_needs_card}</p> }.into_any()
                }}
            </section>
        </div>
    }
}
