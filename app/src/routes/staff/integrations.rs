//! The integration API's keys (administrators): the list, making a key, a new token, and
//! revoking. A token appears once, in the island that asked for it.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::integrations::{
    api_keys, webhook_subscriptions, CreateApiKey, CreateWebhook, DisableWebhook,
    ReplayWebhookDelivery, RevokeApiKey, RotateApiKey, RotateWebhookSecret,
};
use crate::components::notices::{ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::routes::sign_in::{
    field_error, focus_first_problem, focus_first_problem_in, form_error,
};
use crate::types::integrations::{ApiKeyRow, DeliveryRow, WebhookRow};

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let keys = Resource::new(|| (), |_| api_keys());
    let hooks = Resource::new(|| (), |_| webhook_subscriptions());
    let x = use_i18n().t.integrations();
    view! {
        <Title text=x.title />
        <h1>{x.title}</h1>
        <p>{x.intro} " " <a href="/api/v1/docs">{x.reference}</a></p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match (keys.await, hooks.await) {
                    (Ok(rows), Ok(subscriptions)) => view! {
                        <h2>{x.keys_title}</h2>
                        <KeyList rows />
                        <h2>{x.create_title}</h2>
                        <CreateKeyForm />
                        <h2>{x.webhooks_title}</h2>
                        <p>{x.webhooks_intro}</p>
                        <WebhookList rows=subscriptions />
                        <h2>{x.webhook_create_title}</h2>
                        <CreateWebhookForm />
                    }.into_any(),
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn KeyList(rows: Vec<ApiKeyRow>) -> impl IntoView {
    let i18n = use_i18n();
    let (f, x) = (i18n.f, i18n.t.integrations());
    if rows.is_empty() {
        return view! { <p class="empty">{x.none}</p> }.into_any();
    }
    view! {
        <ul class="api-keys" data-testid="api-keys">
            {rows.into_iter().map(|k| {
                let revoked = k.revoked_at.is_some();
                view! {
                    <li class="api-key" data-testid="api-key" data-key-id=k.id.to_string()>
                        <p><strong>{format!("{} · {}", k.integration, k.name)}</strong></p>
                        <p>{format!("{}: {}", x.scopes, k.scopes.iter().map(|s| (x.scope)(s)).collect::<Vec<_>>().join("; "))}</p>
                        <p class="hint">{format!("{} · {}", (x.money_limit)(k.money_limit.as_deref()), (x.rate)(k.rate_per_minute))}</p>
                        <p class="hint">
                            {x.created} " " {f.datetime(k.created_at)} " · "
                            {match k.last_used_at {
                                Some(at) => format!("{} {}", x.last_used, f.datetime(at)),
                                None => x.never_used.to_string(),
                            }}
                        </p>
                        {match k.revoked_at {
                            Some(at) => view! { <p class="badge" data-testid="key-revoked">{x.revoked} " " {f.datetime(at)}</p> }.into_any(),
                            None => view! {
                                <p class="hint">{x.tokens} ": " <code class="mono">{k.prefixes.join(", ")}</code> "…"</p>
                            }.into_any(),
                        }}
                        {(!revoked).then(|| view! { <KeyActions id=k.id /> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// A new token (shown once) or revoking the key.
#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn KeyActions(id: i64) -> impl IntoView {
    let x = use_i18n().t.integrations();
    let rotate = ServerAction::<RotateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let error = move || {
        rotate
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| revoke.value().get().and_then(|r| r.err()))
    };
    let scope = format!("key-actions-{id}");
    focus_first_problem_in(format!("#{scope}"), move || error().is_some());
    view! {
        <div id=scope>
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1">{e}</p> })}
        {move || rotate.value().get().and_then(Result::ok).map(|issued| view! {
            <p class="notice notice-success" role="status">{x.shown_once} " "
                <code class="mono" data-testid="new-token">{issued.token}</code></p>
        })}
        {move || revoke.value().get().and_then(Result::ok).map(|_| view! {
            <p class="notice notice-info" role="status" data-testid="revoked-notice">{x.revoked_notice}</p>
        })}
        <div class="console-row">
            <ActionForm action=rotate>
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="button button-small" data-testid="rotate-key" disabled=move || rotate.pending().get()>{x.rotate}</button>
            </ActionForm>
            <ActionForm action=revoke>
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="button button-small button-danger" data-testid="revoke-key" disabled=move || revoke.pending().get()>{x.revoke}</button>
            </ActionForm>
        </div>
        <p class="hint">{x.rotate_hint} " " {x.revoke_hint}</p>
        </div>
    }
}

/// Making a key; errors beside their fields, the token shown once.
#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn CreateKeyForm() -> impl IntoView {
    let x = use_i18n().t.integrations();
    let action = ServerAction::<CreateApiKey>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    let field = move |id: &'static str,
                      label: &'static str,
                      hint: &'static str,
                      kind: &'static str| {
        let hint_id = format!("{id}-hint");
        let error_id = format!("{id}-error");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id name=id type="text" inputmode=kind aria-describedby=format!("{hint_id} {error_id}")
                    aria-invalid=move || field_error(error(), id).is_some().to_string() />
                <p id=hint_id class="hint">{hint}</p>
                <p id=error_id class="field-error">{move || field_error(error(), id)}</p>
            </div>
        }
    };
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
        {move || action.value().get().and_then(Result::ok).map(|issued| view! {
            <p class="notice notice-success" role="status">{x.shown_once} " "
                <code class="mono" data-testid="new-token">{issued.token}</code></p>
        })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true attr:data-testid="create-key-form">
            {field("integration", x.integration_label, x.integration_hint, "text")}
            {field("name", x.name_label, x.name_hint, "text")}
            <fieldset class="field">
                <legend>{x.scopes}</legend>
                <label><input type="checkbox" name="scope_read" value="on" checked /> " " {(x.scope)("read")}</label>
                <label><input type="checkbox" name="scope_write_accounts" value="on" /> " " {(x.scope)("write:accounts")}</label>
                <label><input type="checkbox" name="scope_write_money" value="on" /> " " {(x.scope)("write:money")}</label>
                <p class="field-error">{move || field_error(error(), "scopes")}</p>
            </fieldset>
            {field("money_limit", x.money_limit_label, x.money_limit_hint, "decimal")}
            {field("rate_per_minute", x.rate_label, x.rate_hint, "numeric")}
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{x.create_submit}</button>
        </ActionForm>
    }
}

#[component]
fn WebhookList(rows: Vec<WebhookRow>) -> impl IntoView {
    let i18n = use_i18n();
    let (f, x) = (i18n.f, i18n.t.integrations());
    if rows.is_empty() {
        return view! { <p class="empty">{x.webhooks_none}</p> }.into_any();
    }
    view! {
        <ul class="api-keys" data-testid="webhooks">
            {rows.into_iter().map(|w| {
                let enabled = w.disabled_at.is_none();
                view! {
                    <li class="api-key" data-testid="webhook" data-subscription-id=w.id.to_string()>
                        <p><strong>{w.integration.clone()}</strong> " · " <code class="mono wrap">{w.url.clone()}</code></p>
                        <p class="hint">{format!("{}: {}", x.webhook_events, w.event_types.join(", "))}</p>
                        <p data-testid="webhook-counts">{(x.webhook_counts)(w.pending, w.delivered, w.failed)}</p>
                        {w.previous_valid_until.map(|until| view! { <p class="hint">{x.webhook_rotating} " " {f.datetime(until)}</p> })}
                        {w.disabled_at.map(|at| view! {
                            <p class="badge">{format!("{} {} ({})", x.webhook_disabled, f.datetime(at), w.disabled_reason.clone().unwrap_or_default())}</p>
                        })}
                        {enabled.then(|| view! { <WebhookActions id=w.id /> })}
                        <h3>{x.deliveries_title}</h3>
                        <DeliveryLog rows=w.deliveries enabled />
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn DeliveryLog(rows: Vec<DeliveryRow>, enabled: bool) -> impl IntoView {
    let i18n = use_i18n();
    let (f, x) = (i18n.f, i18n.t.integrations());
    if rows.is_empty() {
        return view! { <p class="empty">{x.deliveries_none}</p> }.into_any();
    }
    view! {
        <ul class="deliveries" data-testid="deliveries">
            {rows.into_iter().map(|d| {
                let answer = match (d.last_status, &d.last_error) {
                    (Some(status), _) => format!("HTTP {status}"),
                    (None, Some(error)) => error.clone(),
                    (None, None) => String::new(),
                };
                let latency = d.last_duration_ms.map(|ms| format!(" · {ms} ms")).unwrap_or_default();
                let finished = d.state != "pending";
                view! {
                    <li class="delivery" data-testid="delivery" data-delivery-id=d.id.to_string() data-state=d.state.clone()>
                        <p>
                            <strong>{d.event_type.clone()}</strong>
                            {format!(" · account {} #{} · {} · {}", d.account_id, d.seq, (x.delivery_state)(&d.state), (x.delivery_attempts)(d.attempts))}
                            {format!("{}{latency}", if answer.is_empty() { String::new() } else { format!(" · {answer}") })}
                        </p>
                        <p class="hint">
                            {f.datetime(d.created_at)} " · " <code class="mono">{d.webhook_id.clone()}</code>
                            {d.next_attempt_at.map(|at| format!(" · {} {}", x.delivery_next, f.datetime(at)))}
                            {d.replay_of.map(|id| format!(" · {} {id}", x.delivery_replay_of))}
                        </p>
                        {d.last_excerpt.clone().map(|e| view! { <pre class="excerpt">{e}</pre> })}
                        {(enabled && finished).then(|| view! { <ReplayButton id=d.id /> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Sending a finished delivery again.
#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn ReplayButton(id: i64) -> impl IntoView {
    let x = use_i18n().t.integrations();
    let replay = ServerAction::<ReplayWebhookDelivery>::new();
    let scope = format!("replay-{id}");
    focus_first_problem_in(format!("#{scope}"), move || {
        replay.value().get().is_some_and(|r| r.is_err())
    });
    view! {
        <div id=scope>
        {move || form_error(replay.value().get().and_then(|r| r.err())).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1">{e}</p> })}
        {move || replay.value().get().and_then(Result::ok).map(|_| view! {
            <p class="notice notice-info" role="status" data-testid="replayed-notice">{x.replayed_notice}</p>
        })}
        <ActionForm action=replay>
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" class="button button-small" data-testid="replay-delivery" disabled=move || replay.pending().get()>{x.replay}</button>
        </ActionForm>
        </div>
    }
}

/// A new signing secret (shown once) or disabling the subscription.
#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn WebhookActions(id: i64) -> impl IntoView {
    let x = use_i18n().t.integrations();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let disable = ServerAction::<DisableWebhook>::new();
    let error = move || {
        rotate
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| disable.value().get().and_then(|r| r.err()))
    };
    let scope = format!("webhook-actions-{id}");
    focus_first_problem_in(format!("#{scope}"), move || error().is_some());
    view! {
        <div id=scope>
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1">{e}</p> })}
        {move || rotate.value().get().and_then(Result::ok).map(|issued| view! {
            <p class="notice notice-success" role="status">{x.secret_shown_once} " "
                <code class="mono" data-testid="new-secret">{issued.secret}</code></p>
        })}
        {move || disable.value().get().and_then(Result::ok).map(|_| view! {
            <p class="notice notice-info" role="status" data-testid="disabled-notice">{x.disabled_notice}</p>
        })}
        <div class="console-row">
            <ActionForm action=rotate>
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="button button-small" data-testid="rotate-secret" disabled=move || rotate.pending().get()>{x.rotate_secret}</button>
            </ActionForm>
            <ActionForm action=disable>
                <input type="hidden" name="id" value=id.to_string() />
                <button type="submit" class="button button-small button-danger" data-testid="disable-webhook" disabled=move || disable.pending().get()>{x.disable}</button>
            </ActionForm>
        </div>
        </div>
    }
}

/// Subscribing an address; errors beside their fields, the secret shown once.
#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn CreateWebhookForm() -> impl IntoView {
    let x = use_i18n().t.integrations();
    let action = ServerAction::<CreateWebhook>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    let field = move |id: &'static str,
                      label: &'static str,
                      hint: &'static str,
                      kind: &'static str| {
        let hint_id = format!("webhook-{id}-hint");
        let error_id = format!("webhook-{id}-error");
        let input_id = format!("webhook-{id}");
        view! {
            <div class="field">
                <label for=input_id.clone()>{label}</label>
                <input id=input_id name=id type=kind aria-describedby=format!("{hint_id} {error_id}")
                    aria-invalid=move || field_error(error(), id).is_some().to_string() />
                <p id=hint_id class="hint">{hint}</p>
                <p id=error_id class="field-error">{move || field_error(error(), id)}</p>
            </div>
        }
    };
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1">{e}</p> })}
        {move || action.value().get().and_then(Result::ok).map(|issued| view! {
            <p class="notice notice-success" role="status">{x.secret_shown_once} " "
                <code class="mono" data-testid="new-secret">{issued.secret}</code></p>
        })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true attr:data-testid="create-webhook-form">
            {field("integration", x.integration_label, x.integration_hint, "text")}
            {field("url", x.url_label, x.url_hint, "url")}
            {field("events", x.events_label, x.events_hint, "text")}
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{x.webhook_create_submit}</button>
        </ActionForm>
    }
}
