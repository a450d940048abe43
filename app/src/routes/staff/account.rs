//! The 360-degree view of one account (`/staff/accounts/:id`): who is on it, what they have,
//! what they owe and paid, what happened, and what staff said and did; with the forms to add
//! a note, log an interaction and view the portal as the subscriber.
//!
//! One column on a phone (with a row of sections to jump to), two on a laptop: the account's
//! service and money on the left; its people, the conversation with them (notes,
//! interactions, tickets) and what happened on the right.
//! The three forms are islands (errors beside their fields) and plain form posts without code.
//! Under each service, its connection: kind and username; the password hidden until a
//! member of staff with the right reveals or resets it (an island: the password comes back
//! in the answer, never in the page), and an IPoE line's identifier, changeable.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::console::{account_360, AddNote, LogInteraction};
use crate::api::network::{
    StaffResetConnectionPassword, StaffRevealConnectionPassword, StaffSetIpoeIdentifier,
};
use crate::api::staff::StartViewing;
use crate::components::notices::{Empty, ErrorNotice, Loading};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::routes::sign_in::{
    field_error, focus_first_problem, focus_first_problem_in, form_error,
};
use crate::routes::state_label;
use crate::types::console::{
    Account360, Interaction, Note, Person, CHANNELS, DIRECTIONS, NOTE_MAX_CHARS, SUMMARY_MAX_CHARS,
};
use crate::types::network::Connection;

/// What the address says was just done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Saved {
    Note,
    Interaction,
    Identifier,
    ViewEnded,
    AuthenticatorReset,
}

#[component]
pub fn AccountPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let saved = {
        let q = query.read_untracked();
        match (q.get("saved").as_deref(), q.get("ended").is_some()) {
            (Some("note"), _) => Some(Saved::Note),
            (Some("interaction"), _) => Some(Saved::Interaction),
            (Some("identifier"), _) => Some(Saved::Identifier),
            (_, true) => Some(Saved::ViewEnded),
            _ if q.get("authenticator_reset").is_some() => Some(Saved::AuthenticatorReset),
            _ => None,
        }
    };
    let data = Resource::new(
        move || {
            params
                .read()
                .get("id")
                .and_then(|id| id.parse::<i64>().ok())
        },
        |id| async move {
            match id {
                Some(id) => account_360(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(view) => view! { <AccountView view saved /> }.into_any(),
                    Err(error) => {
                        let t = use_i18n().t;
                        view! {
                            <Title text=t.staff().console_name />
                            <ErrorNotice error />
                            <p><a href="/staff">{t.console().back_to_search}</a></p>
                        }
                            .into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The style class of a status word, whatever it is the status of.
fn status_class(status: &str) -> &'static str {
    match status {
        "active" | "succeeded" | "resolved" => "badge badge-paid",
        "suspended" | "failed" | "requires_action" => "badge badge-overdue",
        "closed" | "cancelled" => "badge badge-void",
        _ => "badge badge-open",
    }
}

#[component]
fn AccountView(view: Account360, saved: Option<Saved>) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f, c) = (i18n.t, i18n.f, i18n.t.console());
    let Account360 {
        account,
        people,
        addresses,
        services,
        balance,
        ledger,
        statements,
        payments,
        usage,
        history,
        tickets,
        interactions,
        notes,
        may_adjust,
        may_manage_network,
    } = view;
    let account_id = account.id;
    let people_choices: Vec<(i64, String)> = people
        .iter()
        .map(|p| (p.id, format!("{} ({})", p.name, (c.person_role)(&p.role))))
        .collect();
    let balance_word = if balance.is_negative() {
        c.balance_credit
    } else if balance.is_zero() {
        c.balance_settled
    } else {
        c.balance_owed
    };
    let used = usage.download_bytes + usage.upload_bytes;
    let last_day = |end: chrono::NaiveDate| end.pred_opt().unwrap_or(end);
    // "Nov 5 – Dec 4, 2026": the first day's year only when it is not the last day's.
    let period = move |start: chrono::NaiveDate, end: chrono::NaiveDate| {
        let last = last_day(end);
        let first = if chrono::Datelike::year(&start) == chrono::Datelike::year(&last) {
            f.short_date(start)
        } else {
            f.date(start)
        };
        (c.period)(&first, &f.date(last))
    };

    view! {
        <Title text=(c.page_title)(&account.account_number, &account.display_name) />
        <div class="console">
        <header class="console-head">
            <p class="console-kicker">
                <a href="/staff">"← " {c.back_to_search}</a>
            </p>
            <h1>
                <span class="console-number" data-testid="account-number">{(c.account_number)(&account.account_number)}</span>
                " "
                <span data-testid="account-name">{account.display_name.clone()}</span>
            </h1>
            <p class="console-facts">
                <span class=status_class(&account.status) data-testid="account-status">{(c.account_status)(&account.status)}</span>
                <span>{(c.account_kind)(&account.kind)}</span>
                <span>{(c.billing_mode)(&account.billing_mode)}</span>
                <span>{(c.cycle_day)(account.billing_cycle_day)}</span>
                <span>{if account.autopay { c.autopay_on } else { c.autopay_off }}</span>
                <span>{(c.customer_since)(&f.date(account.customer_since))}</span>
                <span class="muted">{(c.times_in)(&account.time_zone)}</span>
            </p>
            <nav class="console-jump" aria-label=c.sections>
                <a href="#balance">{c.balance_title}</a>
                <a href="#services">{c.services_title}</a>
                <a href="#statements">{c.statements_title}</a>
                <a href="#payments">{c.payments_title}</a>
                <a href="#ledger">{c.ledger_title}</a>
                <a href="#people">{c.people_title}</a>
                <a href="#notes">{c.notes_title}</a>
                <a href="#interactions">{c.interactions_title}</a>
                <a href="#view-as">{c.view_as_title}</a>
                <a href="#tickets">{c.tickets_title}</a>
                <a href="#history">{c.history_title}</a>
            </nav>
        </header>
        {(saved == Some(Saved::ViewEnded)).then(|| view! {
            <p class="notice notice-info" role="status" data-testid="saved">{c.view_ended}</p>
        })}

        <div class="console-columns">
        <div class="console-column">
            <div class="console-pair">
                <section class="card" id="balance" data-testid="balance" aria-labelledby="balance-h">
                    <h2 id="balance-h">{c.balance_title}</h2>
                    <p class="figure" data-testid="balance-figure">{f.money(&balance)}</p>
                    <p class="muted">{balance_word}</p>
                    {may_adjust.then(|| view! {
                        <p><a href=format!("/staff/accounts/{account_id}/adjust") data-testid="adjust-link">{c.adjust}</a></p>
                    })}
                </section>
                <section class="card" id="usage" data-testid="usage" aria-labelledby="usage-h">
                    <h2 id="usage-h">{c.usage_title}</h2>
                    <p class="figure-small" data-testid="usage-total">{f.bytes(used)}
                        " " <span class="muted">{match usage.allowance_bytes {
                            Some(a) => (c.of_allowance)(&f.bytes(a)),
                            None => c.unlimited.to_string(),
                        }}</span>
                    </p>
                    <dl class="facts">
                        <dt>{c.download}</dt><dd data-testid="usage-download">{f.bytes(usage.download_bytes)}</dd>
                        <dt>{c.upload}</dt><dd data-testid="usage-upload">{f.bytes(usage.upload_bytes)}</dd>
                    </dl>
                    <p class="muted small">{period(usage.period_start, usage.period_end)}</p>
                </section>
            </div>

            <section class="card" id="services" data-testid="services" aria-labelledby="services-h">
                <h2 id="services-h">{c.services_title}</h2>
                {(saved == Some(Saved::Identifier)).then(|| view! {
                    <p class="notice notice-success" role="status" data-testid="saved">{t.network().saved_identifier}</p>
                })}
                {if services.is_empty() {
                    view! { <Empty text=c.no_services /> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list console-list">
                            {services.into_iter().map(|s| {
                                let when = match (s.cancelled_on, s.activated_on) {
                                    (Some(d), _) => (c.cancelled_on)(&f.date(d)),
                                    (None, Some(d)) => (c.active_since)(&f.date(d)),
                                    (None, None) => c.not_yet_active.to_string(),
                                };
                                let contract = match s.contract_ends_on {
                                    Some(d) => (c.contract_until)(&f.date(d)),
                                    None => c.no_contract.to_string(),
                                };
                                view! {
                                    <li class="console-service" data-service=s.id>
                                        <p class="console-row">
                                            <span class="plan-name">{s.plan_name}</span>
                                            <span class=status_class(&s.status)>{(c.service_status)(&s.status)}</span>
                                            {s.suspension_reason.map(|r| view! { <span class="muted small">{(c.suspended_for)(&r)}</span> })}
                                        </p>
                                        <p>
                                            {(c.speed)(s.download_mbps, s.upload_mbps)} " · "
                                            {match s.allowance_gb {
                                                Some(gb) => (c.allowance)(&f.gigabytes(i64::from(gb))),
                                                None => c.unlimited.to_string(),
                                            }} " · "
                                            <span class="plan-price">{(c.per_month)(&f.money(&s.monthly_price))}</span>
                                        </p>
                                        <p class="muted small">{s.address} " · " {when} " · " {contract}</p>
                                        <ConnectionLine account_id service_id=s.id connection=s.connection may_manage=may_manage_network />
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>

            <section class="card" id="statements" data-testid="statements" aria-labelledby="statements-h">
                <h2 id="statements-h">{c.statements_title}</h2>
                {if statements.is_empty() {
                    view! { <Empty text=c.no_statements /> }.into_any()
                } else {
                    view! {
                        <table class="data-table console-table console-statements">
                            <thead><tr>
                                <th scope="col">{c.col_number}</th>
                                <th scope="col">{c.col_period}</th>
                                <th scope="col" class="num">{c.col_total}</th>
                                <th scope="col">{c.col_due}</th>
                                <th scope="col">{c.col_status}</th>
                            </tr></thead>
                            <tbody>
                                {statements.into_iter().map(|s| {
                                    let (label, class) = state_label(t, s.state);
                                    view! {
                                        <tr data-statement=s.number.clone()>
                                            <th scope="row" data-label=c.col_number>
                                                <a href=statement_href(account_id, s.id)>{s.number.clone()}</a>
                                            </th>
                                            <td data-label=c.col_period><span>{period(s.period_start, s.period_end)}</span></td>
                                            <td class="num" data-label=c.col_total><span>{f.money(&s.total_due)}</span></td>
                                            <td data-label=c.col_due><span>{f.date(s.due_on)}</span></td>
                                            <td data-label=c.col_status><span class=class>{label}</span></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>

            <section class="card" id="payments" data-testid="payments" aria-labelledby="payments-h">
                <h2 id="payments-h">{c.payments_title}</h2>
                {if payments.is_empty() {
                    view! { <Empty text=c.no_payments /> }.into_any()
                } else {
                    view! {
                        <table class="data-table console-table console-payments">
                            <thead><tr>
                                <th scope="col">{c.col_date}</th>
                                <th scope="col">{c.col_method}</th>
                                <th scope="col" class="num">{c.col_amount}</th>
                                <th scope="col">{c.col_status}</th>
                            </tr></thead>
                            <tbody>
                                {payments.into_iter().map(|p| {
                                    let card = match (&p.card_brand, &p.card_last4) {
                                        (Some(brand), Some(last4)) => Some((c.card)(brand, last4)),
                                        _ => None,
                                    };
                                    view! {
                                        <tr data-payment=p.id>
                                            <td data-label=c.col_date><span>{f.datetime(p.at)}</span></td>
                                            <td data-label=c.col_method><span>{(c.method)(&p.method)}
                                                {card.map(|card| view! { <span class="console-card">{card}</span> })}
                                            </span></td>
                                            <td class="num" data-label=c.col_amount><span>{f.money(&p.amount)}</span></td>
                                            <td data-label=c.col_status><span class=status_class(&p.status)>{(c.payment_status)(&p.status)}</span></td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>

            <section class="card" id="ledger" data-testid="ledger" aria-labelledby="ledger-h">
                <h2 id="ledger-h">{c.ledger_title}</h2>
                {if ledger.is_empty() {
                    view! { <Empty text=c.no_ledger /> }.into_any()
                } else {
                    view! {
                        <table class="data-table console-table console-ledger">
                            <thead><tr>
                                <th scope="col">{c.col_date}</th>
                                <th scope="col">{c.col_description}</th>
                                <th scope="col" class="num">{c.col_amount}</th>
                            </tr></thead>
                            <tbody>
                                {ledger.into_iter().map(|l| view! {
                                    <tr data-entry=l.id>
                                        <td data-label=c.col_date><span>{f.date(l.effective_on)}</span></td>
                                        <td data-label=c.col_description><span>
                                            <span class="console-kind">{(c.ledger_kind)(&l.kind)}</span> " " {l.description}
                                        </span></td>
                                        <td class="num" data-label=c.col_amount><span>{f.money(&l.amount)}</span></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any()
                }}
            </section>

        </div>

        <div class="console-column">
            <section class="card" id="people" data-testid="people" aria-labelledby="people-h">
                <h2 id="people-h">{c.people_title}</h2>
                {(saved == Some(Saved::AuthenticatorReset)).then(|| view! {
                    <p class="notice notice-success" role="status" data-testid="authenticator-reset">{c.authenticator_reset_done}</p>
                })}
                {if people.is_empty() {
                    view! { <Empty text=c.no_people /> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list console-list">
                            {people.into_iter().map(|p| view! { <PersonItem account_id person=p /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
                <h3>{c.addresses_title}</h3>
                <div data-testid="addresses">
                    {if addresses.is_empty() {
                        view! { <Empty text=c.no_addresses /> }.into_any()
                    } else {
                        addresses.into_iter().map(|a| view! {
                            <address class="console-address" data-address=a.id>
                                {a.lines.into_iter().map(|line| view! { <span>{line}</span> }).collect_view()}
                            </address>
                        }).collect_view().into_any()
                    }}
                </div>
            </section>

            <section class="card" id="notes" data-testid="notes" aria-labelledby="notes-h">
                <h2 id="notes-h">{c.notes_title}</h2>
                {(saved == Some(Saved::Note)).then(|| view! {
                    <p class="notice notice-success" role="status" data-testid="saved">{c.saved_note}</p>
                })}
                <AddNoteForm account_id />
                {if notes.is_empty() {
                    view! { <Empty text=c.no_notes /> }.into_any()
                } else {
                    view! {
                        <ol class="console-feed">
                            {notes.into_iter().map(|n| view! { <NoteItem note=n /> }).collect_view()}
                        </ol>
                    }.into_any()
                }}
            </section>

            <section class="card" id="interactions" data-testid="interactions" aria-labelledby="interactions-h">
                <h2 id="interactions-h">{c.interactions_title}</h2>
                {(saved == Some(Saved::Interaction)).then(|| view! {
                    <p class="notice notice-success" role="status" data-testid="saved">{c.saved_interaction}</p>
                })}
                <InteractionForm account_id people=people_choices />
                {if interactions.is_empty() {
                    view! { <Empty text=c.no_interactions /> }.into_any()
                } else {
                    view! {
                        <ol class="console-feed">
                            {interactions.into_iter().map(|i| view! { <InteractionItem interaction=i /> }).collect_view()}
                        </ol>
                    }.into_any()
                }}
            </section>

            <section class="card" id="view-as" data-testid="view-as-form" aria-labelledby="view-as-h">
                <h2 id="view-as-h">{c.view_as_title}</h2>
                <p class="muted small">{c.view_as_intro}</p>
                {if account.has_portal_login {
                    view! { <ViewAsForm account_id /> }.into_any()
                } else {
                    view! { <p class="empty">{c.no_portal_login}</p> }.into_any()
                }}
            </section>
            <section class="card" id="tickets" data-testid="tickets" aria-labelledby="tickets-h">
                <h2 id="tickets-h">{c.tickets_title}</h2>
                {if tickets.is_empty() {
                    view! { <Empty text=c.no_tickets /> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list console-list">
                            {tickets.into_iter().map(|tk| view! {
                                <li data-ticket=tk.number.clone()>
                                    <p class="console-row">
                                        <a class="mono" href=format!("/staff/tickets/{}", tk.number)>{tk.number.clone()}</a>
                                        <span class=status_class(&tk.status)>{(c.ticket_status)(&tk.status)}</span>
                                        <span class="console-kind">{(c.ticket_category)(&tk.category)}</span>
                                    </p>
                                    <p class="console-text">{tk.subject}</p>
                                    <p class="muted small">{(c.opened_on)(&f.datetime(tk.opened_at))}</p>
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
            <section class="card" id="history" data-testid="history" aria-labelledby="history-h">
                <h2 id="history-h">{c.history_title}</h2>
                {if history.is_empty() {
                    view! { <Empty text=c.no_history /> }.into_any()
                } else {
                    view! {
                        <ol class="console-feed">
                            {history.into_iter().map(|e| view! {
                                <li data-event=e.id>
                                    <p class="event-meta">
                                        <span class="event-kind">{(t.event_kind)(&e.kind)}</span>
                                        " · " {f.datetime(e.occurred_at)}
                                        {e.staff_name.map(|n| view! { " · " {(c.by)(&n)} })}
                                    </p>
                                    <p class="console-text">{e.summary}</p>
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }}
            </section>

        </div>
        </div>
        </div>
    }
}

/// Where a statement of the account is opened from the console: its PDF.
fn statement_href(account_id: i64, statement_id: i64) -> String {
    format!("/staff/accounts/{account_id}/statements/{statement_id}/pdf")
}

/// A service's connection under it: kind, username or identifier, and what the staff
/// member's role lets them do with it.
#[component]
fn ConnectionLine(
    account_id: i64,
    service_id: i64,
    connection: Option<Connection>,
    may_manage: bool,
) -> impl IntoView {
    let n = use_i18n().t.network();
    let Some(connection) = connection else {
        return view! { <p class="muted small" data-testid="connection">{n.no_connection}</p> }
            .into_any();
    };
    let pppoe = connection.has_password();
    view! {
        <div class="console-connection" data-testid="connection">
            <p class="console-row">
                <span class="console-kind" data-testid="connection-kind">{(n.kind)(&connection.kind)}</span>
                <span class="mono" data-testid="connection-username">{connection.username.clone()}</span>
                {pppoe.then(|| view! { <span class="muted" aria-label=n.password_label>{n.masked}</span> })}
            </p>
            {match (may_manage, pppoe) {
                (true, true) => view! { <PasswordActions account_id service_id /> }.into_any(),
                (true, false) => view! { <IdentifierForm account_id service_id current=connection.username /> }.into_any(),
                (false, _) => view! { <p class="muted small">{n.not_allowed}</p> }.into_any(),
            }}
        </div>
    }
    .into_any()
}

/// Reveal and reset a connection's password; what comes back is shown here only.
#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn PasswordActions(account_id: i64, service_id: i64) -> impl IntoView {
    let n = use_i18n().t.network();
    let reveal = ServerAction::<StaffRevealConnectionPassword>::new();
    let reset = ServerAction::<StaffResetConnectionPassword>::new();
    let error = move || {
        reveal
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| reset.value().get().and_then(|r| r.err()))
    };
    let hidden = move || {
        view! {
            <input type="hidden" name="account_id" value=account_id.to_string() />
            <input type="hidden" name="service_id" value=service_id.to_string() />
        }
    };
    let scope = format!("password-actions-{service_id}");
    focus_first_problem_in(format!("#{scope}"), move || error().is_some());
    view! {
        <div class="console-form console-connection-actions" id=scope>
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            {move || reveal.value().get().and_then(Result::ok).map(|shown| view! {
                <p class="notice notice-info" role="status">{n.revealed_note} " "
                    <code class="mono" data-testid="revealed-password">{shown.password}</code></p>
            })}
            {move || reset.value().get().and_then(Result::ok).map(|new| view! {
                <p class="notice notice-success" role="status">{n.reset_done} " "
                    <code class="mono" data-testid="reset-password">{new.password}</code></p>
            })}
            <div class="console-row">
                <ActionForm action=reveal>
                    {hidden()}
                    <button type="submit" class="button button-small" data-testid="reveal-password" disabled=move || reveal.pending().get()>{n.reveal}</button>
                </ActionForm>
                <ActionForm action=reset>
                    {hidden()}
                    <button type="submit" class="button button-small" data-testid="reset-password-button" disabled=move || reset.pending().get()>{n.reset}</button>
                </ActionForm>
            </div>
            <p class="hint">{n.reset_hint}</p>
        </div>
    }
}

/// Change an IPoE line's identifier; errors beside the field.
#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn IdentifierForm(account_id: i64, service_id: i64, current: String) -> impl IntoView {
    let n = use_i18n().t.network();
    let action = ServerAction::<StaffSetIpoeIdentifier>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    let id = format!("identifier-{service_id}");
    view! {
        <div class="console-form">
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="account_id" value=account_id.to_string() />
                <input type="hidden" name="service_id" value=service_id.to_string() />
                <div class="field">
                    <label for=id.clone()>{n.identifier_label}</label>
                    <input id=id.clone() name="identifier" type="text" value=current required
                        autocomplete="off" autocapitalize="none" spellcheck="false"
                        aria-describedby=format!("{id}-hint {id}-error")
                        aria-invalid=move || field_error(error(), "identifier").is_some().to_string() />
                    <p id=format!("{id}-hint") class="hint">{n.identifier_hint}</p>
                    <p id=format!("{id}-error") class="field-error" data-testid="identifier-error">{move || field_error(error(), "identifier")}</p>
                </div>
                <button type="submit" class="button button-small" data-testid="identifier-submit" disabled=move || action.pending().get()>{n.identifier_submit}</button>
            </ActionForm>
        </div>
    }
}

/// Turning off a subscriber's authenticator app when they lost it: a plain form (no code in
/// the browser), back to this account with a notice.
#[component]
fn ResetAuthenticator(account_id: i64, login_id: i64) -> impl IntoView {
    let c = use_i18n().t.console();
    view! {
        <form method="post" action="/api/staff-reset-authenticator" class="stack">
            <input type="hidden" name="account_id" value=account_id.to_string() />
            <input type="hidden" name="login_id" value=login_id.to_string() />
            <button type="submit" class="button button-small" data-testid="reset-authenticator">{c.authenticator_reset}</button>
            <p class="hint">{c.authenticator_reset_hint}</p>
        </form>
    }
}

#[component]
fn PersonItem(account_id: i64, person: Person) -> impl IntoView {
    let c = use_i18n().t.console();
    view! {
        <li data-person=person.id>
            <p class="console-row">
                <span class="console-person">{person.name}</span>
                <span class="muted small">{(c.person_role)(&person.role)}</span>
                {person.has_portal_login.then(|| view! { <span class="console-kind">{c.portal_login}</span> })}
                {person.authenticator_login.is_some().then(|| view! { <span class="console-kind">{c.authenticator_on}</span> })}
            </p>
            {person.authenticator_login.map(|login_id| view! { <ResetAuthenticator account_id login_id /> })}
            {person.email.map(|email| view! {
                <p class="console-contact"><a href=format!("mailto:{email}")>{email.clone()}</a></p>
            })}
            {person.phone.map(|phone| view! {
                <p class="console-contact"><a href=format!("tel:{}", phone.replace(' ', ""))>{phone.clone()}</a></p>
            })}
        </li>
    }
}

#[component]
fn NoteItem(note: Note) -> impl IntoView {
    let f = use_i18n().f;
    view! {
        <li data-note=note.id>
            <p class="event-meta"><span class="event-kind">{note.staff_name}</span> " · " {f.datetime(note.created_at)}</p>
            <p class="console-text">{note.body}</p>
        </li>
    }
}

#[component]
fn InteractionItem(interaction: Interaction) -> impl IntoView {
    let i18n = use_i18n();
    let (f, c) = (i18n.f, i18n.t.console());
    let i = interaction;
    view! {
        <li data-interaction=i.id>
            <p class="event-meta">
                <span class="event-kind">{(c.channel)(&i.channel)} " · " {(c.direction)(&i.direction)}</span>
                " · " {f.datetime(i.occurred_at)}
                {i.person_name.map(|n| view! { " · " {(c.with_person)(&n)} })}
                " · " {(c.by)(i.staff_name.as_deref().unwrap_or(c.no_staff))}
            </p>
            <p class="console-text">{i.summary}</p>
        </li>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn AddNoteForm(account_id: i64) -> impl IntoView {
    let c = use_i18n().t.console();
    let action = ServerAction::<AddNote>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        <div class="console-form" data-testid="note-form">
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="account_id" value=account_id.to_string() />
                <div class="field">
                    <label for="note-body">{c.note_label}</label>
                    <textarea id="note-body" name="body" rows="3" maxlength=NOTE_MAX_CHARS.to_string() required
                        aria-describedby="note-body-hint note-body-error"
                        aria-invalid=move || field_error(error(), "body").is_some().to_string()></textarea>
                    <p id="note-body-hint" class="hint">{c.note_hint}</p>
                    <p id="note-body-error" class="field-error" data-testid="body-error">{move || field_error(error(), "body")}</p>
                </div>
                <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{c.note_submit}</button>
            </ActionForm>
        </div>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn InteractionForm(account_id: i64, people: Vec<(i64, String)>) -> impl IntoView {
    let c = use_i18n().t.console();
    let action = ServerAction::<LogInteraction>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    let select_field = move |id: &'static str,
                             name: &'static str,
                             label: &'static str,
                             options: Vec<(String, String)>| {
        let described = format!("{id}-error");
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <select id=id name=name aria-describedby=described.clone()
                    aria-invalid=move || field_error(error(), name).is_some().to_string()>
                    {options.into_iter().map(|(value, text)| view! { <option value=value>{text}</option> }).collect_view()}
                </select>
                <p id=described class="field-error" data-testid=format!("{name}-error")>{move || field_error(error(), name)}</p>
            </div>
        }
    };
    let channels = CHANNELS
        .iter()
        .map(|ch| (ch.to_string(), (c.channel)(ch).to_string()))
        .collect();
    let directions = DIRECTIONS
        .iter()
        .map(|d| (d.to_string(), (c.direction)(d).to_string()))
        .collect();
    let people = std::iter::once((String::new(), c.person_nobody.to_string()))
        .chain(people.into_iter().map(|(id, name)| (id.to_string(), name)))
        .collect();
    view! {
        <div class="console-form" data-testid="interaction-form">
            <h3>{c.interaction_form_title}</h3>
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="account_id" value=account_id.to_string() />
                <div class="console-selects">
                    {select_field("interaction-channel", "channel", c.channel_label, channels)}
                    {select_field("interaction-direction", "direction", c.direction_label, directions)}
                    {select_field("interaction-person", "person_id", c.person_label, people)}
                </div>
                <div class="field">
                    <label for="interaction-summary">{c.summary_label}</label>
                    <textarea id="interaction-summary" name="summary" rows="3" maxlength=SUMMARY_MAX_CHARS.to_string() required
                        aria-describedby="interaction-summary-hint interaction-summary-error"
                        aria-invalid=move || field_error(error(), "summary").is_some().to_string()></textarea>
                    <p id="interaction-summary-hint" class="hint">{c.summary_hint}</p>
                    <p id="interaction-summary-error" class="field-error" data-testid="summary-error">{move || field_error(error(), "summary")}</p>
                </div>
                <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{c.interaction_submit}</button>
            </ActionForm>
        </div>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn ViewAsForm(account_id: i64) -> impl IntoView {
    let c = use_i18n().t.console();
    let action = ServerAction::<StartViewing>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true>
            <input type="hidden" name="account_id" value=account_id.to_string() />
            <div class="field">
                <label for="view-reason">{c.reason_label}</label>
                <textarea id="view-reason" name="reason" rows="2" maxlength="500" required
                    aria-describedby="view-reason-hint view-reason-error"
                    aria-invalid=move || field_error(error(), "reason").is_some().to_string()></textarea>
                <p id="view-reason-hint" class="hint">{c.reason_hint}</p>
                <p id="view-reason-error" class="field-error" data-testid="reason-error">{move || field_error(error(), "reason")}</p>
            </div>
            <div class="field">
                <label for="view-ticket-ref">{c.ticket_ref_label}</label>
                <input id="view-ticket-ref" name="ticket_ref" type="text" maxlength="40" autocomplete="off"
                    autocapitalize="none" spellcheck="false"
                    aria-describedby="view-ticket-ref-hint view-ticket-ref-error"
                    aria-invalid=move || field_error(error(), "ticket_ref").is_some().to_string() />
                <p id="view-ticket-ref-hint" class="hint">{c.ticket_ref_hint}</p>
                <p id="view-ticket-ref-error" class="field-error" data-testid="ticket_ref-error">{move || field_error(error(), "ticket_ref")}</p>
            </div>
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{c.view_as_submit}</button>
        </ActionForm>
    }
}
