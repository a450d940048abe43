//! Support (`/support`, `/support/:number`): the subscriber's requests, a new one, and one
//! request's conversation with a reply; for a questioned charge, what it is about and how it
//! was decided.
//!
//! The forms are islands (errors beside their fields) and plain form posts without code.
//! Staff viewing as the subscriber read everything and get no forms. The conversation and
//! the dispute facts are also used by the console's ticket page.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::tickets::{load_support_page, load_support_ticket, OpenTicket, ReplyToTicket};
use crate::components::notices::{ErrorNotice, Loading, PageError};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::routes::sign_in::{field_error, focus_first_problem, form_error};
use crate::types::tickets::{
    Dispute, DisputeOutcome, Message, SupportPage as SupportData, SupportTicket, TicketItem,
    MESSAGE_MAX_CHARS, NEW_CATEGORIES, SUBJECT_MAX_CHARS,
};

/// The style class of a ticket's status badge.
pub(crate) fn status_class(status: &str) -> &'static str {
    match status {
        "open" => "badge badge-open",
        "pending" => "badge badge-ticket-pending",
        "resolved" => "badge badge-paid",
        _ => "badge badge-void",
    }
}

#[component]
pub fn SupportPage() -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let data = Resource::new(|| (), |_| load_support_page());
    view! {
        <Title text=tk.support_title />
        <div class="tickets">
            <h1>{tk.support_title}</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) => view! { <SupportView page /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn SupportView(page: SupportData) -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let SupportData { tickets, can_write } = page;
    view! {
        <section class="card card-flat" aria-labelledby="requests-h">
            <h2 id="requests-h">{tk.your_requests}</h2>
            {if tickets.is_empty() {
                view! { <p class="empty" data-testid="no-tickets">{tk.no_requests}</p> }.into_any()
            } else {
                view! {
                    <ul class="plain-list ticket-list" data-testid="ticket-list">
                        {tickets.into_iter().map(|item| view! { <TicketRow item /> }).collect_view()}
                    </ul>
                }
                    .into_any()
            }}
        </section>
        <section class="card card-flat" id="new" aria-labelledby="new-h">
            <h2 id="new-h">{tk.new_request_title}</h2>
            <p class="muted">{tk.new_request_intro}</p>
            {if can_write {
                view! { <NewTicketForm /> }.into_any()
            } else {
                view! { <p class="notice notice-info" data-testid="read-only">{tk.read_only_note}</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn TicketRow(item: TicketItem) -> impl IntoView {
    let i18n = use_i18n();
    let (f, tk) = (i18n.f, i18n.t.tickets());
    view! {
        <li class="ticket-item" data-ticket=item.number.clone()>
            <a class="ticket-item-subject" href=format!("/support/{}", item.number)>{item.subject}</a>
            <p class="ticket-item-meta">
                <span class="mono">{item.number.clone()}</span>
                <span>{(tk.category)(&item.category)}</span>
                <span class=status_class(&item.status) data-testid="ticket-status">{(tk.status)(&item.status)}</span>
                <span>{(tk.updated_on)(&f.datetime(item.updated_at))}</span>
            </p>
        </li>
    }
}

#[cfg_attr(
    not(any(feature = "console", feature = "payments", feature = "account")),
    island
)]
#[cfg_attr(
    any(feature = "console", feature = "payments", feature = "account"),
    component
)]
fn NewTicketForm() -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let action = ServerAction::<OpenTicket>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        <div class="ticket-form" data-testid="new-ticket-form">
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <div class="field">
                    <label for="ticket-category">{tk.category_label}</label>
                    <select id="ticket-category" name="category" aria-describedby="ticket-category-error"
                        aria-invalid=move || field_error(error(), "category").is_some().to_string()>
                        {NEW_CATEGORIES.iter().map(|c| view! { <option value=*c>{(tk.category)(c)}</option> }).collect_view()}
                    </select>
                    <p id="ticket-category-error" class="field-error" data-testid="category-error">{move || field_error(error(), "category")}</p>
                </div>
                <div class="field">
                    <label for="ticket-subject">{tk.subject_label}</label>
                    <input id="ticket-subject" name="subject" type="text" maxlength=SUBJECT_MAX_CHARS.to_string()
                        required autocomplete="off" aria-describedby="ticket-subject-hint ticket-subject-error"
                        aria-invalid=move || field_error(error(), "subject").is_some().to_string() />
                    <p id="ticket-subject-hint" class="hint">{tk.subject_hint}</p>
                    <p id="ticket-subject-error" class="field-error" data-testid="subject-error">{move || field_error(error(), "subject")}</p>
                </div>
                <div class="field">
                    <label for="ticket-message">{tk.message_label}</label>
                    <textarea id="ticket-message" name="message" rows="6" maxlength=MESSAGE_MAX_CHARS.to_string()
                        required aria-describedby="ticket-message-hint ticket-message-error"
                        aria-invalid=move || field_error(error(), "message").is_some().to_string()></textarea>
                    <p id="ticket-message-hint" class="hint">{tk.message_hint}</p>
                    <p id="ticket-message-error" class="field-error" data-testid="message-error">{move || field_error(error(), "message")}</p>
                </div>
                <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{tk.send_request}</button>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let sent = query.read_untracked().get("sent");
    let data = Resource::new(
        move || params.read().get("number"),
        |number| async move {
            match number {
                Some(number) => load_support_ticket(number).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || {
                let sent = sent.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(ticket) => view! { <TicketView ticket sent /> }.into_any(),
                        Err(error) => {
                            let tk = use_i18n().t.tickets();
                            view! { <PageError error back_href="/support".to_string() back_label=tk.back_to_support /> }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn TicketView(ticket: SupportTicket, sent: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let (f, tk) = (i18n.f, i18n.t.tickets());
    let SupportTicket {
        ticket,
        can_reply,
        can_write,
    } = ticket;
    let notice = match sent.as_deref() {
        Some("opened") => Some(tk.sent_opened),
        Some("reply") => Some(tk.sent_reply),
        _ => None,
    };
    let closed = ticket.status == "closed";
    let number = ticket.number.clone();
    view! {
        <Title text=(tk.ticket_title)(&ticket.number, &ticket.subject) />
        <article class="tickets ticket" data-testid="ticket" data-ticket=ticket.number.clone()>
            <p><a href="/support">"← " {tk.back_to_support}</a></p>
            <h1 class="ticket-subject">{ticket.subject.clone()}</h1>
            <p class="ticket-facts">
                <span class="mono" data-testid="ticket-number">{ticket.number.clone()}</span>
                <span>{(tk.category)(&ticket.category)}</span>
                <span class=status_class(&ticket.status) data-testid="ticket-status">{(tk.status)(&ticket.status)}</span>
                <span class="muted">{(tk.opened_on)(&f.datetime(ticket.opened_at))}</span>
            </p>
            {notice.map(|n| view! { <p class="notice notice-info" role="status" data-testid="sent">{n}</p> })}
            {ticket.dispute.map(|dispute| {
                let href = format!("/statements/{}", dispute.statement_id);
                view! { <DisputeFacts dispute statement_href=href waiting=tk.dispute_waiting /> }
            })}
            <section class="card card-flat" aria-labelledby="conversation-h">
                <h2 id="conversation-h">{tk.conversation}</h2>
                <Conversation messages=ticket.messages />
            </section>
            <section class="card card-flat" id="reply" aria-labelledby="reply-h">
                <h2 id="reply-h">{tk.reply_title}</h2>
                {if can_reply {
                    view! { <ReplyForm number /> }.into_any()
                } else if !can_write {
                    view! { <p class="notice notice-info" data-testid="read-only">{tk.read_only_note}</p> }.into_any()
                } else if closed {
                    view! { <p class="empty" data-testid="ticket-closed">{tk.closed_note} " " <a href="/support#new">{tk.new_request_title}</a></p> }.into_any()
                } else {
                    ().into_any()
                }}
            </section>
        </article>
    }
}

/// A ticket's messages, oldest first; the last is `#latest`.
#[component]
pub(crate) fn Conversation(messages: Vec<Message>) -> impl IntoView {
    let i18n = use_i18n();
    let (f, tk) = (i18n.f, i18n.t.tickets());
    let last = messages.len().saturating_sub(1);
    view! {
        <ol class="ticket-messages" data-testid="ticket-messages">
            {messages.into_iter().enumerate().map(|(i, m)| {
                let (class, author, role) = if m.by_staff {
                    ("ticket-message ticket-message-staff", "staff", tk.from_staff)
                } else {
                    ("ticket-message ticket-message-subscriber", "subscriber", tk.from_subscriber)
                };
                view! {
                    <li class=class data-author=author data-message=m.id id=(i == last).then_some("latest")>
                        <p class="ticket-message-meta">
                            <span class="ticket-message-author">{m.author}</span>
                            <span class="ticket-role">{role}</span>
                            <span class="muted">{f.datetime(m.at)}</span>
                        </p>
                        <p class="ticket-message-body">{m.body}</p>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// What a questioned charge is, and how it was decided (or that it waits).
#[component]
pub(crate) fn DisputeFacts(
    dispute: Dispute,
    statement_href: String,
    /// What the reader is told while it waits for a decision.
    waiting: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let (f, tk) = (i18n.f, i18n.t.tickets());
    view! {
        <section class="card card-flat ticket-dispute" data-testid="dispute" aria-labelledby="dispute-h">
            <h2 id="dispute-h">{tk.dispute_title}</h2>
            <dl class="facts">
                <dt>{tk.dispute_charge}</dt>
                <dd data-testid="dispute-line">{dispute.line_description}</dd>
                <dt>{tk.dispute_statement}</dt>
                <dd><a href=statement_href data-testid="dispute-statement">{dispute.statement_number}</a></dd>
                <dt>{tk.dispute_amount}</dt>
                <dd class="ticket-amount" data-testid="dispute-amount">{f.money(&dispute.amount)}</dd>
            </dl>
            {match dispute.outcome {
                None => view! {
                    <p class="ticket-outcome" data-testid="dispute-waiting">{waiting}</p>
                }.into_any(),
                Some(DisputeOutcome::Accepted { credited, decided_at }) => view! {
                    <div class="ticket-outcome ticket-outcome-accepted" data-testid="dispute-outcome" data-outcome="accepted">
                        <p><strong>{(tk.outcome_accepted)(&f.money(&credited))}</strong></p>
                        <p class="muted">{(tk.decided_on)(&f.datetime(decided_at))}</p>
                    </div>
                }.into_any(),
                Some(DisputeOutcome::Rejected { explanation, decided_at }) => view! {
                    <div class="ticket-outcome ticket-outcome-rejected" data-testid="dispute-outcome" data-outcome="rejected">
                        <p><strong>{tk.outcome_rejected}</strong></p>
                        <p class="ticket-explanation" data-testid="dispute-explanation">{explanation}</p>
                        <p class="muted">{(tk.decided_on)(&f.datetime(decided_at))}</p>
                    </div>
                }.into_any(),
            }}
        </section>
    }
}

#[cfg_attr(
    not(any(feature = "console", feature = "payments", feature = "account")),
    island
)]
#[cfg_attr(
    any(feature = "console", feature = "payments", feature = "account"),
    component
)]
fn ReplyForm(number: String) -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let action = ServerAction::<ReplyToTicket>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        <div class="ticket-form" data-testid="reply-form">
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="number" value=number />
                <div class="field">
                    <label for="reply-message">{tk.reply_label}</label>
                    <textarea id="reply-message" name="message" rows="5" maxlength=MESSAGE_MAX_CHARS.to_string()
                        required aria-describedby="reply-message-error"
                        aria-invalid=move || field_error(error(), "message").is_some().to_string()></textarea>
                    <p id="reply-message-error" class="field-error" data-testid="message-error">{move || field_error(error(), "message")}</p>
                </div>
                <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{tk.reply_submit}</button>
            </ActionForm>
        </div>
    }
}
