//! The words of support tickets: the subscriber's requests (`/support`) and the console's
//! queue and conversation (`/staff/tickets`). Reached through [`Texts::tickets`].

use super::{Lang, Texts};

/// The tickets pages' strings in one language.
pub struct TicketTexts {
    // The portal.
    pub nav_support: &'static str,
    pub support_title: &'static str,
    pub your_requests: &'static str,
    pub no_requests: &'static str,
    pub col_request: &'static str,
    pub col_subject: &'static str,
    pub col_category: &'static str,
    pub col_status: &'static str,
    pub col_updated: &'static str,
    pub new_request_title: &'static str,
    pub new_request_intro: &'static str,
    pub category_label: &'static str,
    pub subject_label: &'static str,
    pub subject_hint: &'static str,
    pub message_label: &'static str,
    pub message_hint: &'static str,
    pub send_request: &'static str,
    pub read_only_note: &'static str,
    /// A category, as both sides read it.
    pub category: fn(&str) -> &'static str,
    /// A status as the subscriber reads it.
    pub status: fn(&str) -> &'static str,
    pub sent_opened: &'static str,
    pub sent_reply: &'static str,
    pub back_to_support: &'static str,
    pub ticket_title: fn(&str, &str) -> String,
    pub opened_on: fn(&str) -> String,
    pub updated_on: fn(&str) -> String,
    pub conversation: &'static str,
    pub staff_author: fn(&str) -> String,
    pub from_staff: &'static str,
    pub from_subscriber: &'static str,
    pub reply_title: &'static str,
    pub reply_label: &'static str,
    pub reply_submit: &'static str,
    pub closed_note: &'static str,
    pub dispute_title: &'static str,
    pub dispute_amount: &'static str,
    pub dispute_charge: &'static str,
    pub dispute_statement: &'static str,
    pub dispute_waiting: &'static str,
    pub dispute_waiting_staff: &'static str,
    pub outcome_accepted: fn(&str) -> String,
    pub outcome_rejected: &'static str,
    pub decided_on: fn(&str) -> String,

    // The console.
    pub nav_tickets: &'static str,
    pub queue_title: &'static str,
    pub filter_label: &'static str,
    /// A view of the queue (`types::tickets::QUEUE_VIEWS`).
    pub view: fn(&str) -> &'static str,
    pub filter_mine: &'static str,
    pub filter_submit: &'static str,
    pub queue_empty: &'static str,
    pub queue_count: fn(usize) -> String,
    pub queue_more: fn(usize) -> String,
    pub col_number: &'static str,
    pub col_account: &'static str,
    pub col_assignee: &'static str,
    pub nobody: &'static str,
    /// A status as staff read it.
    pub staff_status: fn(&str) -> &'static str,
    pub priority: fn(&str) -> String,
    pub back_to_queue: &'static str,
    pub account_link: fn(&str, &str) -> String,
    pub assigned_to: fn(&str) -> String,
    pub not_assigned: &'static str,
    pub assign_title: &'static str,
    pub assign_me: &'static str,
    pub unassign: &'static str,
    pub status_title: &'static str,
    pub status_label: &'static str,
    pub status_submit: &'static str,
    pub staff_reply_title: &'static str,
    pub staff_reply_label: &'static str,
    pub reply_status_label: &'static str,
    /// What a staff reply leaves the ticket as.
    pub reply_status: fn(&str) -> &'static str,
    pub staff_reply_submit: &'static str,
    pub saved_reply: &'static str,
    pub saved_assigned: &'static str,
    pub saved_status: &'static str,
    pub saved_decided: &'static str,
    /// After accepting beyond one's limits.
    pub saved_approval: &'static str,
    pub waiting_title: &'static str,
    /// Who accepted, when: the credit waits for a second person.
    pub waiting_text: fn(&str, &str) -> String,
    pub waiting_queue_link: &'static str,
    pub accept_hint: &'static str,
    pub decide_title: &'static str,
    pub decide_intro: &'static str,
    pub accept_title: &'static str,
    pub note_label: &'static str,
    pub note_hint: &'static str,
    pub accept_submit: fn(&str) -> String,
    pub reject_title: &'static str,
    pub explanation_label: &'static str,
    pub explanation_hint: &'static str,
    pub reject_submit: &'static str,
    pub times_in: fn(&str) -> String,
}

impl Texts {
    /// These words in this language.
    pub fn tickets(&self) -> &'static TicketTexts {
        match self.lang {
            Lang::En => &super::en::TICKETS_EN,
            Lang::Es => &super::es::TICKETS_ES,
            Lang::Fr => &super::fr::TICKETS_FR,
        }
    }
}
