//! One statement: header, totals, lines by group, a print layout and its PDF download.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::{line_working, state_label};
use crate::api::statements::statement;
use crate::components::notices::{Loading, PageError};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::types::{StatementDetail, StatementState};

#[component]
pub fn StatementPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(
        move || {
            params
                .read()
                .get("id")
                .and_then(|id| id.parse::<i64>().ok())
        },
        |id| async move {
            match id {
                Some(id) => statement(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(s) => view! { <StatementView statement=s /> }.into_any(),
                    Err(error) => {
                        let t = use_i18n().t;
                        view! { <PageError error back_href="/statements".to_string() back_label=t.back_to_statements /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn StatementView(statement: StatementDetail) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let s = statement;
    let (label, class) = state_label(t, s.summary.state);
    let title = (t.statement_title)(&s.summary.number);
    let pdf_href = format!("/statements/{}/pdf", s.summary.id);
    let statement_id = s.summary.id;
    let last_day = s
        .summary
        .period_end
        .pred_opt()
        .unwrap_or(s.summary.period_end);
    view! {
        <Title text=title.clone() />
        <article class="statement" data-testid="statement">
            <p class="no-print"><a href="/statements">"← " {t.back_to_statements}</a></p>
            <header class="statement-header">
                <div>
                    <p class="print-only brand">{t.app_name}</p>
                    <h1>{title}</h1>
                    <p><span class=class data-testid="statement-state">{label}</span></p>
                </div>
                <dl class="facts">
                    <dt>{t.statement_account}</dt><dd>{s.account_number.clone()}</dd>
                    <dt>{t.statement_period}</dt><dd>{(t.cycle_dates)(&f.date(s.summary.period_start), &f.date(last_day))}</dd>
                    <dt>{t.statement_issued}</dt><dd>{f.date(s.summary.issued_on)}</dd>
                    <dt>{t.statement_due}</dt><dd>{f.date(s.summary.due_on)}</dd>
                </dl>
                <address class="bill-to">
                    {s.bill_to.clone()}
                    {s.address.iter().map(|l| view! { <br />{l.clone()} }).collect_view()}
                </address>
            </header>

            {matches!(s.summary.state, StatementState::Open | StatementState::Overdue).then(|| view! {
                <p class="no-print statement-pay">
                    <a class="button button-primary" href="/pay" data-testid="pay-statement">{t.pay().pay_button_plain}</a>
                </p>
            })}
            <section class="totals" aria-label=t.total_due>
                <dl class="totals-list">
                    <dt>{t.previous_balance}</dt><dd class="num">{f.money(&s.previous_balance)}</dd>
                    <dt>{t.new_charges}</dt><dd class="num">{f.money(&s.total_charges)}</dd>
                    <dt>{t.taxes}</dt><dd class="num">{f.money(&s.total_tax)}</dd>
                    <dt>{t.payments}</dt><dd class="num">{f.money(&s.total_payments)}</dd>
                    <dt>{t.credits}</dt><dd class="num">{f.money(&s.total_credits)}</dd>
                    <dt class="grand">{t.total_due}</dt><dd class="num grand" data-testid="total-due">{f.money(&s.summary.total_due)}</dd>
                </dl>
            </section>

            {s.groups.into_iter().map(|g| {
                let heading = t.line_group(g.group);
                view! {
                    <section class="line-group" data-group=format!("{:?}", g.group)>
                        <h2>{heading}</h2>
                        <table class="data-table lines">
                            <caption class="visually-hidden">{heading}</caption>
                            <tbody>
                                {g.lines.into_iter().map(|l| view! {
                                    <tr>
                                        <td>{l.description}
                                            {l.period_start.zip(l.period_end).map(|(a, b)| view! {
                                                <span class="muted line-period">{(t.cycle_dates)(&f.short_date(a), &f.short_date(b.pred_opt().unwrap_or(b)))}</span>
                                            })}
                                            {line_working(t, l.working.clone())}
                                            {l.question.clone().and_then(|q| match q.ticket {
                                                Some(number) => Some(view! {
                                                    <a class="line-question no-print" href=format!("/support/{number}")>{(t.disputes().questioned)(&number)}</a>
                                                }.into_any()),
                                                None if q.disputable => Some(view! {
                                                    <a class="line-question no-print" data-testid="question-charge"
                                                        href=format!("/statements/{statement_id}/lines/{}/dispute", q.line_id)>{t.disputes().question_charge}</a>
                                                }.into_any()),
                                                None => None,
                                            })}
                                        </td>
                                        <td class="num">{f.money(&l.amount)}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                            <tfoot><tr><th scope="row">{t.subtotal}</th><td class="num">{f.money(&g.subtotal)}</td></tr></tfoot>
                        </table>
                    </section>
                }
            }).collect_view()}

            <p class="no-print">
                <PrintButton label=t.print.to_string() />
                " "
                <a class="button" href=pdf_href download="" data-testid="pdf-link">{t.download_pdf}</a>
            </p>
        </article>
    }
}

/// The one piece of the statement page that runs in the browser.
#[cfg_attr(
    not(any(feature = "console", feature = "payments", feature = "account")),
    island
)]
#[cfg_attr(
    any(feature = "console", feature = "payments", feature = "account"),
    component
)]
fn PrintButton(label: String) -> impl IntoView {
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().print();
        }
    };
    view! { <button type="button" class="button" on:click=print>{label}</button> }
}
