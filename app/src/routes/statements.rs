//! The list of statements.

use leptos::prelude::*;
use leptos_meta::Title;

use super::state_label;
use crate::api::statements::list_statements;
use crate::components::notices::{Empty, ErrorNotice, Loading};
use crate::i18n::use_i18n;
use crate::types::StatementState;

#[component]
pub fn StatementsPage() -> impl IntoView {
    let t = use_i18n().t;
    let data = Resource::new(|| (), |_| list_statements());
    view! {
        <Title text=t.statements_title />
        <h1>{t.statements_title}</h1>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let i18n = use_i18n();
                let (t, f) = (i18n.t, i18n.f);
                match data.await {
                    Ok(list) if list.is_empty() => view! { <Empty text=t.no_statements /> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                        <table class="data-table statement-table" data-testid="statements">
                            <thead><tr>
                                <th scope="col">{t.col_statement}</th>
                                <th scope="col">{t.col_issued}</th>
                                <th scope="col">{t.col_due}</th>
                                <th scope="col" class="num">{t.col_amount}</th>
                                <th scope="col">{t.col_status}</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|s| {
                                    let (label, class) = state_label(t, s.state);
                                    let payable = matches!(s.state, StatementState::Open | StatementState::Overdue);
                                    view! {
                                        <tr data-statement=s.number.clone()>
                                            <th scope="row"><a href=format!("/statements/{}", s.id)>{s.number.clone()}</a></th>
                                            <td data-label=t.col_issued>{f.date(s.issued_on)}</td>
                                            <td data-label=t.col_due>{f.date(s.due_on)}</td>
                                            <td class="num">{f.money(&s.total_due)}</td>
                                            <td class="statement-state">
                                                <span class=class>{label}</span>
                                                {payable.then(|| view! {
                                                    " " <a class="table-action" href="/pay" data-testid="pay-statement">{t.pay().pay_button_plain}</a>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}
