//! The console's tickets: the queue (`/staff/tickets`, a plain GET filter so each view has
//! its address) and one ticket (`/staff/tickets/:number`): the conversation, a reply to the
//! subscriber, assignment, status and, for a questioned charge, the decision.
//!
//! One column on a phone; on a laptop the conversation on the left, what staff do with the
//! ticket on the right. Every form is an island (errors beside their fields) and a plain form
//! post without code.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::tickets::{
    load_staff_ticket, load_ticket_queue, AcceptDispute, AssignTicket, RejectDispute,
    SetTicketStatus, StaffReplyToTicket,
};
use crate::components::notices::{ErrorNotice, Loading};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::routes::sign_in::{field_error, focus_first_problem, form_error};
use crate::routes::support::{status_class, Conversation, DisputeFacts};
use crate::types::tickets::{
    Queue, QueueItem, StaffTicket, EXPLANATION_CHARS, MESSAGE_MAX_CHARS, NOTE_MAX_CHARS,
    QUEUE_VIEWS, REPLY_STATUSES, STATUSES,
};

#[component]
pub fn QueuePage() -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let query = use_query_map();
    let (view_name, mine) = {
        let q = query.read_untracked();
        (
            q.get("status").unwrap_or_else(|| "active".into()),
            q.get("mine").is_some_and(|m| !m.is_empty()),
        )
    };
    let data = Resource::new(
        move || {
            let q = query.read();
            (q.get("status"), q.get("mine"))
        },
        |(status, mine)| load_ticket_queue(status, mine),
    );
    view! {
        <Title text=tk.queue_title />
        <div class="console tickets-queue">
            <h1>{tk.queue_title}</h1>
            <form method="get" action="/staff/tickets" class="filter-bar ticket-filter" data-testid="queue-filter">
                <label for="queue-status">{tk.filter_label}</label>
                <select id="queue-status" name="status">
                    {QUEUE_VIEWS.iter().map(|v| view! {
                        <option value=*v selected=*v == view_name>{(tk.view)(v)}</option>
                    }).collect_view()}
                </select>
                <label class="check ticket-mine">
                    <input type="checkbox" name="mine" value="1" checked=mine />
                    " " {tk.filter_mine}
                </label>
                <button type="submit" class="button button-small">{tk.filter_submit}</button>
            </form>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(queue) => view! { <QueueView queue /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Suspense>
        </div>
    }
}

#[component]
fn QueueView(queue: Queue) -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let Queue { items, more, .. } = queue;
    if items.is_empty() {
        return view! { <p class="empty" data-testid="no-tickets">{tk.queue_empty}</p> }.into_any();
    }
    let count = items.len();
    view! {
        <p class="results-count" role="status">{(tk.queue_count)(count)}</p>
        <table class="data-table console-table ticket-queue" data-testid="ticket-list">
            <thead><tr>
                <th scope="col">{tk.col_number}</th>
                <th scope="col">{tk.col_account}</th>
                <th scope="col">{tk.col_subject}</th>
                <th scope="col">{tk.col_category}</th>
                <th scope="col">{tk.col_status}</th>
                <th scope="col">{tk.col_assignee}</th>
                <th scope="col">{tk.col_updated}</th>
            </tr></thead>
            <tbody>
                {items.into_iter().map(|item| view! { <QueueRow item /> }).collect_view()}
            </tbody>
        </table>
        {more.then(|| view! { <p class="hint" data-testid="queue-more">{(tk.queue_more)(count)}</p> })}
    }
    .into_any()
}

#[component]
fn QueueRow(item: QueueItem) -> impl IntoView {
    let i18n = use_i18n();
    let (f, tk) = (i18n.f, i18n.t.tickets());
    view! {
        <tr data-ticket=item.number.clone()>
            <th scope="row" data-label=tk.col_number>
                <a class="mono" href=format!("/staff/tickets/{}", item.number)>{item.number.clone()}</a>
            </th>
            <td data-label=tk.col_account><span>
                <a href=format!("/staff/accounts/{}", item.account_id)>{(tk.account_link)(&item.account_number, &item.account_name)}</a>
            </span></td>
            // The subject opens the ticket too: on a phone it is the row's widest target.
            <td data-label=tk.col_subject><span>
                <a class="ticket-queue-subject" href=format!("/staff/tickets/{}", item.number)>{item.subject}</a>
            </span></td>
            <td data-label=tk.col_category><span class="console-kind">{(tk.category)(&item.category)}</span></td>
            <td data-label=tk.col_status><span class=status_class(&item.status)>{(tk.staff_status)(&item.status)}</span></td>
            <td data-label=tk.col_assignee><span>{item.assignee.unwrap_or_else(|| tk.nobody.to_string())}</span></td>
            <td data-label=tk.col_updated><span>{f.datetime(item.updated_at)}</span></td>
        </tr>
    }
}

#[component]
pub fn StaffTicketPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let saved = query.read_untracked().get("saved");
    let data = Resource::new(
        move || params.read().get("number"),
        |number| async move {
            match number {
                Some(number) => load_staff_ticket(number).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || {
                let saved = saved.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(ticket) => view! { <TicketView ticket saved /> }.into_any(),
                        Err(error) => {
                            let tk = use_i18n().t.tickets();
                            view! {
                                <Title text=tk.queue_title />
                                <ErrorNotice error />
                                <p><a href="/staff/tickets">{tk.back_to_queue}</a></p>
                            }
                                .into_any()
                        }
                    }
                })
            }}
        </Suspense>
    }
}

#[component]
fn TicketView(ticket: StaffTicket, saved: Option<String>) -> impl IntoView {
    let i18n = use_i18n();
    let (f, tk) = (i18n.f, i18n.t.tickets());
    let StaffTicket {
        ticket,
        account_id,
        account_number,
        account_name,
        time_zone,
        assignee,
        assigned_to_me,
        acceptance_waiting,
        may_approve,
    } = ticket;
    let notice = match saved.as_deref() {
        Some("reply") => Some(tk.saved_reply),
        Some("assigned") => Some(tk.saved_assigned),
        Some("status") => Some(tk.saved_status),
        Some("decided") => Some(tk.saved_decided),
        Some("approval") => Some(tk.saved_approval),
        _ => None,
    };
    let number = ticket.number.clone();
    let account_href = format!("/staff/accounts/{account_id}");
    let undecided = ticket
        .dispute
        .as_ref()
        .filter(|d| d.outcome.is_none() && acceptance_waiting.is_none())
        .map(|d| f.money(&d.amount));
    view! {
        <Title text=(tk.ticket_title)(&ticket.number, &ticket.subject) />
        <div class="console tickets ticket" data-testid="ticket" data-ticket=ticket.number.clone()>
            <header class="console-head">
                <p class="console-kicker"><a href="/staff/tickets">"← " {tk.back_to_queue}</a></p>
                <h1>
                    <span class="console-number" data-testid="ticket-number">{ticket.number.clone()}</span>
                    " "
                    <span class="ticket-subject">{ticket.subject.clone()}</span>
                </h1>
                <p class="console-facts">
                    <a href=account_href.clone() data-testid="ticket-account">{(tk.account_link)(&account_number, &account_name)}</a>
                    <span class="console-kind">{(tk.category)(&ticket.category)}</span>
                    <span class=status_class(&ticket.status) data-testid="ticket-status">{(tk.staff_status)(&ticket.status)}</span>
                    <span>{(tk.priority)(&ticket.priority)}</span>
                    <span data-testid="ticket-assignee">{match &assignee {
                        Some(name) => (tk.assigned_to)(name),
                        None => tk.not_assigned.to_string(),
                    }}</span>
                    <span>{(tk.opened_on)(&f.datetime(ticket.opened_at))}</span>
                    <span class="muted">{(tk.times_in)(&time_zone)}</span>
                </p>
            </header>
            {notice.map(|n| view! { <p class="notice notice-info" role="status" data-testid="saved">{n}</p> })}
            <div class="console-columns">
                <div class="console-column">
                    {ticket.dispute.map(|dispute| {
                        let href = format!("{account_href}#statements");
                        view! { <DisputeFacts dispute statement_href=href waiting=tk.dispute_waiting_staff /> }
                    })}
                    <section class="card" aria-labelledby="conversation-h">
                        <h2 id="conversation-h">{tk.conversation}</h2>
                        <Conversation messages=ticket.messages />
                    </section>
                    <section class="card" id="reply" aria-labelledby="reply-h">
                        <h2 id="reply-h">{tk.staff_reply_title}</h2>
                        <StaffReplyForm number=number.clone() />
                    </section>
                </div>
                <div class="console-column">
                    {acceptance_waiting.map(|w| view! {
                        <section class="card ticket-decide" id="decide" data-testid="acceptance-waiting" aria-labelledby="waiting-h">
                            <h2 id="waiting-h">{tk.waiting_title}</h2>
                            <p>{(tk.waiting_text)(&w.asked_by, &f.datetime(w.asked_at))}</p>
                            {may_approve.then(|| view! { <p><a href="/staff/adjustments">{tk.waiting_queue_link}</a></p> })}
                        </section>
                    })}
                    {undecided.map(|amount| view! {
                        <section class="card ticket-decide" id="decide" data-testid="decide" aria-labelledby="decide-h">
                            <h2 id="decide-h">{tk.decide_title}</h2>
                            <p class="muted small">{tk.decide_intro}</p>
                            <AcceptForm number=number.clone() amount />
                            <RejectForm number=number.clone() />
                        </section>
                    })}
                    <section class="card" id="assign" aria-labelledby="assign-h">
                        <h2 id="assign-h">{tk.assign_title}</h2>
                        <p>{match &assignee {
                            Some(name) => (tk.assigned_to)(name),
                            None => tk.not_assigned.to_string(),
                        }}</p>
                        <AssignForm number=number.clone() to_me=!assigned_to_me show_unassign=assignee.is_some() />
                    </section>
                    <section class="card" id="status" aria-labelledby="status-h">
                        <h2 id="status-h">{tk.status_title}</h2>
                        <StatusForm number=number.clone() current=ticket.status.clone() />
                    </section>
                </div>
            </div>
        </div>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn StaffReplyForm(number: String) -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let action = ServerAction::<StaffReplyToTicket>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        <div class="ticket-form ticket-reply-form" data-testid="reply-form">
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="number" value=number />
                <div class="field">
                    <label for="staff-reply-message">{tk.staff_reply_label}</label>
                    <textarea id="staff-reply-message" name="message" rows="6" maxlength=MESSAGE_MAX_CHARS.to_string()
                        required aria-describedby="staff-reply-message-error"
                        aria-invalid=move || field_error(error(), "message").is_some().to_string()></textarea>
                    <p id="staff-reply-message-error" class="field-error" data-testid="message-error">{move || field_error(error(), "message")}</p>
                </div>
                <div class="field">
                    <label for="staff-reply-status">{tk.reply_status_label}</label>
                    <select id="staff-reply-status" name="status" aria-describedby="staff-reply-status-error"
                        aria-invalid=move || field_error(error(), "status").is_some().to_string()>
                        {REPLY_STATUSES.iter().map(|s| view! { <option value=*s>{(tk.reply_status)(s)}</option> }).collect_view()}
                    </select>
                    <p id="staff-reply-status-error" class="field-error" data-testid="status-error">{move || field_error(error(), "status")}</p>
                </div>
                <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{tk.staff_reply_submit}</button>
            </ActionForm>
        </div>
    }
}

/// "Assign to me" (when someone else or nobody has it) and "Unassign" (when someone has it).
#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn AssignForm(number: String, to_me: bool, show_unassign: bool) -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let action = ServerAction::<AssignTicket>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    let button = move |number: String, to: &'static str, label: &'static str| {
        view! {
            <ActionForm action=action attr:class="ticket-inline-form">
                <input type="hidden" name="number" value=number />
                <input type="hidden" name="to" value=to />
                <button type="submit" class="button button-small" data-testid=format!("assign-{to}")
                    disabled=move || action.pending().get()>{label}</button>
            </ActionForm>
        }
    };
    view! {
        <div class="ticket-actions" data-testid="assign-form">
            {move || error().map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{(use_i18n().t.error)(&e)}</p> })}
            {to_me.then(|| button(number.clone(), "me", tk.assign_me))}
            {show_unassign.then(|| button(number.clone(), "nobody", tk.unassign))}
        </div>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn StatusForm(number: String, current: String) -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let action = ServerAction::<SetTicketStatus>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        <div class="ticket-form ticket-status-form" data-testid="status-form">
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="number" value=number />
                <div class="field">
                    <label for="ticket-status-select">{tk.status_label}</label>
                    <select id="ticket-status-select" name="status" aria-describedby="ticket-status-error"
                        aria-invalid=move || field_error(error(), "status").is_some().to_string()>
                        {STATUSES.iter().map(|s| view! {
                            <option value=*s selected=*s == current>{(tk.staff_status)(s)}</option>
                        }).collect_view()}
                    </select>
                    <p id="ticket-status-error" class="field-error" data-testid="status-error">{move || field_error(error(), "status")}</p>
                </div>
                <button type="submit" class="button button-small" disabled=move || action.pending().get()>{tk.status_submit}</button>
            </ActionForm>
        </div>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn AcceptForm(number: String, amount: String) -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let action = ServerAction::<AcceptDispute>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        <div class="console-form ticket-form" data-testid="decide-accept">
            <h3>{tk.accept_title}</h3>
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="number" value=number />
                <div class="field">
                    <label for="accept-note">{tk.note_label}</label>
                    <textarea id="accept-note" name="note" rows="3" maxlength=NOTE_MAX_CHARS.to_string()
                        aria-describedby="accept-note-hint accept-note-error"
                        aria-invalid=move || field_error(error(), "note").is_some().to_string()></textarea>
                    <p id="accept-note-hint" class="hint">{tk.note_hint}</p>
                    <p id="accept-note-error" class="field-error" data-testid="note-error">{move || field_error(error(), "note")}</p>
                </div>
                <p class="hint">{tk.accept_hint}</p>
                <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{(tk.accept_submit)(&amount)}</button>
            </ActionForm>
        </div>
    }
}

#[cfg_attr(any(feature = "ssr", feature = "console"), island)]
#[cfg_attr(not(any(feature = "ssr", feature = "console")), component)]
fn RejectForm(number: String) -> impl IntoView {
    let tk = use_i18n().t.tickets();
    let action = ServerAction::<RejectDispute>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        <div class="console-form ticket-form" data-testid="decide-reject">
            <h3>{tk.reject_title}</h3>
            {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="number" value=number />
                <div class="field">
                    <label for="reject-explanation">{tk.explanation_label}</label>
                    <textarea id="reject-explanation" name="explanation" rows="4"
                        minlength=EXPLANATION_CHARS.start().to_string() maxlength=EXPLANATION_CHARS.end().to_string() required
                        aria-describedby="reject-explanation-hint reject-explanation-error"
                        aria-invalid=move || field_error(error(), "explanation").is_some().to_string()></textarea>
                    <p id="reject-explanation-hint" class="hint">{tk.explanation_hint}</p>
                    <p id="reject-explanation-error" class="field-error" data-testid="explanation-error">{move || field_error(error(), "explanation")}</p>
                </div>
                <button type="submit" class="button button-danger" disabled=move || action.pending().get()>{tk.reject_submit}</button>
            </ActionForm>
        </div>
    }
}
