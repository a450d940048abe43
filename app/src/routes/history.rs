//! Service history: the account's timeline, filterable by kind.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::account::history;
use crate::components::notices::{Empty, ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::types::EVENT_KINDS;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let t = use_i18n().t;
    let query = use_query_map();
    let filter = move || {
        let q = query.read();
        (
            q.get("kind").filter(|k| !k.is_empty()),
            q.get("before").and_then(|b| b.parse::<i64>().ok()),
        )
    };
    let data = Resource::new(filter, |(kind, before)| async move {
        history(kind.clone(), before).await.map(|p| (kind, p))
    });
    view! {
        <Title text=t.history_title />
        <h1>{t.history_title}</h1>
        <form method="get" action="/history" class="filter-bar">
            <label for="kind">{t.history_filter}</label>
            <select id="kind" name="kind">
                <option value="" selected=move || filter().0.is_none()>{t.history_all}</option>
                {EVENT_KINDS.iter().map(|k| {
                    let k = *k;
                    view! { <option value=k selected=move || filter().0.as_deref() == Some(k)>{(t.event_kind)(k)}</option> }
                }).collect_view()}
            </select>
            <button type="submit" class="button button-small">{t.history_filter}</button>
        </form>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let i18n = use_i18n();
                let (t, f) = (i18n.t, i18n.f);
                match data.await {
                    Ok((_, page)) if page.events.is_empty() => view! { <Empty text=t.history_empty /> }.into_any(),
                    Ok((kind, page)) => {
                        let older = page.next_before.map(|b| match &kind {
                            Some(k) => format!("/history?kind={k}&before={b}"),
                            None => format!("/history?before={b}"),
                        });
                        view! {
                            <ol class="timeline" data-testid="history">
                                {page.events.into_iter().map(|e| view! {
                                    <li class=format!("event event-{}", e.kind) data-kind=e.kind.clone()>
                                        <p class="event-meta"><span class="event-kind">{(t.event_kind)(&e.kind)}</span>
                                            " · " <time datetime=e.occurred_at.format("%Y-%m-%dT%H:%M").to_string()>{f.datetime(e.occurred_at)}</time></p>
                                        <p class="event-summary">{e.summary}</p>
                                    </li>
                                }).collect_view()}
                            </ol>
                            {older.map(|href| view! { <p><a class="button button-small" href=href>{t.history_older}</a></p> })}
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
