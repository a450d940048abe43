//! The overview: what is owed and when, the plan, usage so far, latest statement, last
//! payment and open tickets.

use leptos::prelude::*;
use leptos_meta::Title;

use super::receipt::ActionNeededNotice;
use super::{line_working, state_label};
use crate::api::account::load_overview;
use crate::components::data_cap::{forecast_text, CapAlert};
use crate::components::meter::UsageMeter;
use crate::components::notices::{Empty, ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::types::{Overview, StatementState};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let t = use_i18n().t;
    let data = Resource::new(|| (), |_| load_overview());
    view! {
        <Title text=t.overview_title />
        <h1 class="visually-hidden">{t.overview_title}</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => view! { <OverviewCards overview=o /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn OverviewCards(overview: Overview) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let Overview {
        balance,
        owed,
        due,
        plan,
        usage,
        latest_statement,
        next_bill,
        last_payment,
        open_tickets,
        needing_action,
        cap,
        outages,
    } = overview;

    let due_view = match due {
        Some(due) if due.state == StatementState::Overdue => view! {
            <p class="due due-overdue" data-testid="due">{(t.overdue_since)(&f.date(due.due_on))}</p>
        }
        .into_any(),
        Some(due) => view! { <p class="due" data-testid="due">{(t.due_on)(&f.date(due.due_on))}</p> }.into_any(),
        None => view! { <p class="due" data-testid="due">{t.nothing_due}</p> }.into_any(),
    };

    view! {
        {outages.into_iter().map(|o| view! {
            <section class="notice notice-warn outage" role="status" data-testid="outage">
                <h2>{(t.outage_heading)(&o.title)}</h2>
                <p>{(t.outage_since)(&f.datetime(o.since))}</p>
                <p>{o.message}</p>
                <p class="hint">{t.outage_credit}</p>
            </section>
        }).collect_view()}
        <ActionNeededNotice needing_action />
        {cap.clone().map(|cap| view! { <CapAlert cap /> })}
        <div class="cards">
            <section class="card card-balance" aria-labelledby="balance-h">
                <h2 id="balance-h">{if balance.is_negative() { t.balance_credit } else { t.balance }}</h2>
                <p class="figure" data-testid="balance">{f.money(&balance)}</p>
                {due_view}
                // Paying is one tap from the first page a subscriber sees.
                {owed.is_positive().then(|| view! {
                    <a class="button button-primary button-pay" href="/pay" data-testid="pay-balance">
                        {(t.pay().pay_button)(&f.money(&owed))}
                    </a>
                })}
            </section>

            <section class="card" aria-labelledby="plan-h">
                <h2 id="plan-h">{t.your_plan}</h2>
                {match plan {
                    Some(p) => view! {
                        <p class="plan-name" data-testid="plan-name">{p.name}</p>
                        <p>{(t.speed)(p.download_mbps, p.upload_mbps)}</p>
                        <p>{match p.allowance_gb {
                            Some(gb) => (t.allowance)(&f.gigabytes(i64::from(gb))),
                            None => t.unlimited_data.to_string(),
                        }}</p>
                        <p class="muted">{(t.per_month)(&f.money(&p.monthly_price))}</p>
                    }.into_any(),
                    None => view! { <Empty text=t.no_active_plan /> }.into_any(),
                }}
            </section>

            <section class="card card-wide" aria-labelledby="usage-h">
                <h2 id="usage-h">{t.usage_this_cycle}</h2>
                {match usage {
                    Some(u) => {
                        let forecast = cap.as_ref().map(forecast_text);
                        view! { <UsageMeter usage=u forecast /> <p><a href="/usage">{t.view_usage}</a></p> }.into_any()
                    }
                    None => view! { <Empty text=t.usage_no_data /> }.into_any(),
                }}
            </section>

            <section class="card" aria-labelledby="statement-h">
                <h2 id="statement-h">{t.latest_statement}</h2>
                {match latest_statement {
                    Some(s) => {
                        let (label, class) = state_label(t, s.state);
                        view! {
                            <p class="figure-small" data-testid="latest-statement-total">{f.money(&s.total_due)}</p>
                            <p>{(t.cycle_dates)(&f.date(s.period_start), &f.date(s.period_end.pred_opt().unwrap_or(s.period_end)))}
                                " " <span class=class>{label}</span></p>
                            <p><a href=format!("/statements/{}", s.id)>{t.view_statement}</a></p>
                        }.into_any()
                    }
                    None => view! { <Empty text=t.no_statements /> }.into_any(),
                }}
            </section>

            {next_bill.map(|nb| view! {
                <section class="card card-wide" aria-labelledby="next-bill-h" data-testid="next-bill">
                    <h2 id="next-bill-h">{t.next_bill}</h2>
                    <p class="muted">{(t.next_bill_on)(&f.date(nb.issued_on))}</p>
                    <table class="lines">
                        <tbody>
                            {nb.lines.into_iter().map(|l| view! {
                                <tr><td>{l.description} {line_working(t, l.working)}</td><td class="num">{f.money(&l.amount)}</td></tr>
                            }).collect_view()}
                        </tbody>
                        <tfoot>
                            <tr><th scope="row">{t.next_bill_new_charges}</th>
                                <td class="num" data-testid="next-bill-new">{f.money(&nb.new_charges)}</td></tr>
                            <tr><th scope="row">{t.next_bill_total}</th>
                                <td class="num" data-testid="next-bill-total">{f.money(&nb.total_due)}</td></tr>
                        </tfoot>
                    </table>
                    <p class="muted small">{t.next_bill_note}</p>
                </section>
            })}

            <section class="card" aria-labelledby="payment-h">
                <h2 id="payment-h">{t.last_payment}</h2>
                {match last_payment {
                    Some(p) => view! {
                        <p data-testid="last-payment">{(t.paid_on)(&f.money(&p.amount), &f.date(p.paid_on))}</p>
                    }.into_any(),
                    None => view! { <Empty text=t.no_payments /> }.into_any(),
                }}
            </section>

            <section class="card" aria-labelledby="tickets-h">
                <h2 id="tickets-h">{t.open_tickets}</h2>
                {if open_tickets.is_empty() {
                    view! { <Empty text=t.no_open_tickets /> }.into_any()
                } else {
                    view! {
                        <ul class="plain-list" data-testid="open-tickets">
                            {open_tickets.into_iter().map(|tk| view! {
                                <li><span class="mono">{tk.number}</span> " " {tk.subject}
                                    <span class="muted">" · " {f.datetime(tk.updated_at)}</span></li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        </div>
    }
}
