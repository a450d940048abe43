//! Questioning one charge of a statement: the line, how much of it, and why. Sending it opens
//! a dispute ticket (dunning then holds that amount) and shows the conversation.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::statements::{load_dispute_line, OpenDispute};
use crate::components::notices::{Loading, PageError};
use crate::i18n::use_i18n;
use crate::routes::sign_in::{field_error, focus_first_problem, form_error};

#[component]
pub fn DisputePage() -> impl IntoView {
    let d = use_i18n().t.disputes();
    let params = use_params_map();
    let ids = move || {
        let p = params.read();
        (
            p.get("id").and_then(|v| v.parse::<i64>().ok()),
            p.get("line").and_then(|v| v.parse::<i64>().ok()),
        )
    };
    let line = Resource::new(ids, |(statement, line)| async move {
        match (statement, line) {
            (Some(s), Some(l)) => load_dispute_line(s, l).await,
            _ => Err(crate::error::AppError::NotFound),
        }
    });
    view! {
        <Title text=d.title />
        <h1>{d.title}</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let i18n = use_i18n();
                let (t, f) = (i18n.t, i18n.f);
                let d = t.disputes();
                match line.await {
                    Ok(line) => {
                        let back = format!("/statements/{}", line.statement_id);
                        let amount = f.money(&line.amount);
                        let body = if let Some(number) = line.open_ticket.clone() {
                            view! { <p class="notice notice-info"><a href=format!("/support/{number}")>{(d.already_open)(&number)}</a></p> }.into_any()
                        } else if !line.disputable {
                            view! { <p class="notice notice-info">{d.not_disputable}</p> }.into_any()
                        } else {
                            view! {
                                <p>{d.what_happens}</p>
                                <DisputeForm
                                    statement_id=line.statement_id
                                    line_id=line.line_id
                                    default_amount=f.amount_input(&line.amount)
                                    max=amount.clone()
                                />
                            }.into_any()
                        };
                        view! {
                            <p>{(d.intro)(&line.description, &line.statement_number)}</p>
                            <dl class="facts" data-testid="disputed-line">
                                <dt>{d.charge}</dt><dd>{line.description.clone()}</dd>
                                <dt>{d.statement}</dt><dd>{line.statement_number.clone()}</dd>
                                <dt>{d.amount_label}</dt><dd class="num">{amount.clone()}</dd>
                            </dl>
                            {body}
                            <p><a href=back>{d.back}</a></p>
                        }.into_any()
                    }
                    Err(error) => {
                        let t = use_i18n().t;
                        view! { <PageError error back_href="/statements".to_string() back_label=t.back_to_statements /> }.into_any()
                    }
                }
            })}
        </Suspense>
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
fn DisputeForm(
    statement_id: i64,
    line_id: i64,
    default_amount: String,
    max: String,
) -> impl IntoView {
    let d = use_i18n().t.disputes();
    let action = ServerAction::<OpenDispute>::new();
    let error = move || action.value().get().and_then(|r| r.err());
    focus_first_problem(move || action.value().get().is_some_and(|r| r.is_err()));
    view! {
        {move || form_error(error()).map(|e| view! { <p class="notice notice-error" role="alert" tabindex="-1" data-testid="form-error">{e}</p> })}
        <ActionForm action=action attr:class="stack" attr:novalidate=true attr:data-testid="dispute-form">
            <input type="hidden" name="statement_id" value=statement_id.to_string() />
            <input type="hidden" name="line_id" value=line_id.to_string() />
            <div class="field">
                <label for="amount">{d.amount_label}</label>
                <input id="amount" name="amount" type="text" inputmode="decimal" value=default_amount required
                    aria-describedby="amount-hint amount-error"
                    aria-invalid=move || field_error(error(), "amount").is_some().to_string() />
                <p id="amount-hint" class="hint">{(d.amount_hint)(&max)}</p>
                <p id="amount-error" class="field-error">{move || field_error(error(), "amount")}</p>
            </div>
            <div class="field">
                <label for="message">{d.message_label}</label>
                <textarea id="message" name="message" rows="5" required
                    aria-describedby="message-hint message-error"
                    aria-invalid=move || field_error(error(), "message").is_some().to_string()></textarea>
                <p id="message-hint" class="hint">{d.message_hint}</p>
                <p id="message-error" class="field-error" data-testid="message-error">{move || field_error(error(), "message")}</p>
            </div>
            <button type="submit" class="button button-primary" disabled=move || action.pending().get()>{d.submit}</button>
        </ActionForm>
    }
}
