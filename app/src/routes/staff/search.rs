//! The console's home: find an account. A plain GET form, so results have their own address
//! and work without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::staff::search_accounts;
use crate::components::notices::{ErrorNotice, Loading};
use crate::i18n::use_i18n;

#[component]
pub fn SearchPage() -> impl IntoView {
    let s = use_i18n().t.staff();
    let query = use_query_map();
    let (q, view_ended) = {
        let q = query.read_untracked();
        (
            q.get("q").unwrap_or_default(),
            q.get("view_ended").is_some(),
        )
    };
    let hits = Resource::new(
        move || query.read().get("q").unwrap_or_default(),
        |q| async move {
            if q.trim().is_empty() {
                Ok(None)
            } else {
                search_accounts(q.clone()).await.map(|hits| Some((q, hits)))
            }
        },
    );
    view! {
        <Title text=s.search_title />
        <h1>{s.search_title}</h1>
        {view_ended.then(|| view! { <p class="notice notice-info" role="status">{s.view_ended}</p> })}
        <form method="get" action="/staff" class="search-form" role="search">
            <label for="q">{s.search_label}</label>
            <div class="search-row">
                <input id="q" name="q" type="search" value=q autocomplete="off" spellcheck="false"
                    aria-describedby="q-hint" autofocus />
                <button type="submit" class="button button-primary">{s.search_submit}</button>
            </div>
            <p id="q-hint" class="hint">{s.search_hint}</p>
        </form>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let s = use_i18n().t.staff();
                match hits.await {
                    Ok(None) => ().into_any(),
                    Ok(Some((q, hits))) if hits.is_empty() => view! { <p class="empty" data-testid="no-results">{(s.no_results)(&q)}</p> }.into_any(),
                    Ok(Some((q, hits))) => view! {
                        <p class="results-count" role="status">{(s.results_for)(hits.len(), &q)}</p>
                        <ul class="search-results" data-testid="search-results">
                            {hits.into_iter().map(|h| view! {
                                <li class="search-hit">
                                    <a href=format!("/staff/accounts/{}", h.account_id) class="hit-title">
                                        <span class="hit-number">{h.account_number.clone()}</span>
                                        " " <span class="hit-name">{h.display_name.clone()}</span>
                                    </a>
                                    <span class=format!("badge badge-status-{}", h.status)>{h.status.clone()}</span>
                                    <p class="hit-detail">
                                        {[h.owner_name.clone(), h.email.clone(), h.phone.clone(), h.address.clone()]
                                            .into_iter().flatten().collect::<Vec<_>>().join(" · ")}
                                    </p>
                                    <p class="hint">{(s.matched_on)(&h.matched)}</p>
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
