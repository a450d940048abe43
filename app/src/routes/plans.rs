//! Changing plans: `/plans` compares each service's plan with the plans offered at its
//! address and shows a change waiting (with a button to cancel it); `/plans/{service}/{plan}`
//! is the billing engine's preview of one change, with the contract explained and a button
//! to confirm. Both are plain HTML with plain forms: nothing here needs the page's code,
//! except the connection's password forms under each service (`components::connection`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::plans::{load_plans_page, preview_plan_change};
use crate::components::connection::ConnectionSection;
use crate::components::layout::page_frame;
use crate::components::notices::{ErrorNotice, Loading, PageError};
use crate::error::AppError;
use crate::i18n::use_i18n;
use crate::types::plans::{PlanChangePreview, PlanOption, PlansPage, ServicePlans};
use crate::types::Me;

#[component]
pub fn PlansPage() -> impl IntoView {
    let t = use_i18n().t;
    let data = Resource::new(|| (), |_| load_plans_page());
    view! {
        <Title text=t.plans().plans_title />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <PlansView page /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PlansView(page: PlansPage) -> impl IntoView {
    let p = use_i18n().t.plans();
    let notice = {
        let q = use_query_map().read_untracked();
        match q.get("changed").as_deref() {
            Some("applied") => Some(p.change_applied),
            Some("scheduled") => Some(p.change_scheduled),
            _ if q.get("cancelled").is_some() => Some(p.change_cancelled),
            _ => None,
        }
    };
    view! {
        <div class="plans-page">
            <h1>{p.plans_title}</h1>
            {notice.map(|n| view! { <p class="notice notice-success" role="status" data-testid="plan-notice">{n}</p> })}
            {if page.services.is_empty() {
                view! { <p class="empty">{p.no_services}</p> }.into_any()
            } else {
                page.services.into_iter().map(|s| view! { <ServiceView service=s /> }).collect_view().into_any()
            }}
        </div>
    }
}

/// The facts of one plan, shared by the current plan and the plans offered.
#[component]
fn PlanFacts(plan: PlanOption) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let p = t.plans();
    let data = match plan.allowance_gb {
        Some(gb) => (t.allowance)(&f.gigabytes(gb.into())),
        None => t.unlimited_data.to_string(),
    };
    let contract = (p.contract_months)(plan.contract_months);
    let fee = plan
        .early_termination_fee
        .filter(|_| plan.contract_months > 0)
        .map(|fee| (p.fee_if_leaving)(&f.money(&fee)));
    view! {
        <dl class="plan-facts">
            <dt>{p.col_speed}</dt><dd>{(t.speed)(plan.download_mbps, plan.upload_mbps)}</dd>
            <dt>{p.col_data}</dt><dd>{data}</dd>
            <dt>{p.col_price}</dt><dd class="plan-price" data-testid="plan-price">{(t.per_month)(&f.money(&plan.monthly_price))}</dd>
            <dt>{p.col_contract}</dt><dd>{contract}{fee.map(|fee| view! { <span class="muted">" · " {fee}</span> })}</dd>
        </dl>
    }
}

#[component]
fn ServiceView(service: ServicePlans) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let p = t.plans();
    let current_price = service.current.monthly_price.amount();
    let service_id = service.service_id;
    let heading_id = format!("service-{service_id}");
    let viewed_by_staff = page_frame::<Me>().is_some_and(|me| me.viewed_by.is_some());
    view! {
        <section class="card card-flat plan-service" aria-labelledby=heading_id.clone() data-testid="plan-service">
            <h2 id=heading_id.clone()>{(p.service_at)(&service.address)}</h2>
            <div class="plan-current" data-testid="current-plan">
                <p class="plan-kicker">{p.current_plan}</p>
                <h3 class="plan-name" data-testid="current-plan-name">{service.current.name.clone()}</h3>
                <p class="muted">{(p.technology)(&service.current.technology)}</p>
                <PlanFacts plan=service.current.clone() />
                <p class="muted">{match service.contract_ends_on {
                    Some(d) => (p.contract_until)(&f.date(d)),
                    None => p.no_contract.to_string(),
                }}</p>
            </div>
            {service.pending.map(|c| view! {
                <div class="notice notice-info plan-pending" data-testid="pending-change">
                    <p><strong>{p.pending_title}</strong>{t.colon} {(p.pending_line)(&c.to_plan, &f.date(c.effective_on))}</p>
                    {c.early_termination_fee.map(|fee| view! { <p>{(p.pending_fee)(&f.money(&fee))}</p> })}
                    <form method="post" action="/api/cancel-plan-change">
                        <input type="hidden" name="change_id" value=c.id.to_string() />
                        <button type="submit" class="button" data-testid="cancel-change">{p.cancel_change}</button>
                    </form>
                </div>
            })}
            {service.connection.map(|connection| view! {
                <ConnectionSection connection viewed_by_staff />
            })}
            <h3>{p.available_title}</h3>
            {if service.available.is_empty() {
                view! { <p class="empty">{p.none_available}</p> }.into_any()
            } else {
                view! {
                    <ul class="plan-grid" data-testid="available-plans">
                        {service.available.into_iter().map(|plan| {
                            let href = format!("/plans/{service_id}/{}", plan.id);
                            let direction = if plan.monthly_price.amount() >= current_price { p.upgrade } else { p.downgrade };
                            let name = plan.name.clone();
                            view! {
                                <li class="plan-card" data-testid="plan-option" data-plan=name.clone()>
                                    <p class="plan-kicker">{direction} " · " {(p.technology)(&plan.technology)}</p>
                                    <h4 class="plan-name">{name.clone()}</h4>
                                    <PlanFacts plan />
                                    <a class="button button-primary plan-choose" href=href aria-label=format!("{} {}", p.choose, name)>{p.choose}</a>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
pub fn PlanPreviewPage() -> impl IntoView {
    let params = use_params_map();
    let data = Resource::new(
        move || {
            let p = params.read();
            (
                p.get("service").and_then(|s| s.parse::<i64>().ok()),
                p.get("plan").and_then(|s| s.parse::<i64>().ok()),
            )
        },
        |ids| async move {
            match ids {
                (Some(service), Some(plan)) => preview_plan_change(service, plan).await,
                _ => Err(AppError::NotFound),
            }
        },
    );
    let t = use_i18n().t;
    view! {
        <p><a href="/plans">"← " {t.plans().back_to_plans}</a></p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(preview) => view! { <PreviewView preview /> }.into_any(),
                    Err(error) => {
                        let t = use_i18n().t;
                        view! { <PageError error back_href="/plans".to_string() back_label=t.plans().back_to_plans /> }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn PreviewView(preview: PlanChangePreview) -> impl IntoView {
    let i18n = use_i18n();
    let (t, f) = (i18n.t, i18n.f);
    let p = t.plans();
    let error = use_query_map()
        .read_untracked()
        .get("error")
        .map(|code| match code.as_str() {
            "conflict" => p.error_conflict.to_string(),
            "invalid_input" => p.error_invalid.to_string(),
            // Staff viewing as the subscriber with a read-only role.
            "read_only" => (t.error)(&AppError::ReadOnly),
            _ => p.error_other.to_string(),
        });
    let title = (p.preview_title)(&preview.to.name);
    let days = preview
        .adjusted_days
        .map(|(a, b)| (t.cycle_dates)(&f.short_date(a), &f.short_date(b)))
        .unwrap_or_default();
    let now = if preview.adjustment.is_positive() {
        (p.charge_now)(&f.money(&preview.adjustment), &days)
    } else if preview.adjustment.is_negative() {
        (p.credit_now)(&f.money(&preview.adjustment.neg()), &days)
    } else {
        p.nothing_now.to_string()
    };
    let when = if preview.immediate {
        p.takes_effect_now.to_string()
    } else {
        (p.takes_effect_on)(&f.date(preview.effective_on))
    };
    let contract = match (preview.upgrade, preview.contract_ends_after) {
        (true, Some(d)) if preview.contract_ends_on == Some(d) => (p.contract_kept)(&f.date(d)),
        (_, Some(d)) => (p.contract_new)(&f.date(d)),
        (_, None) => p.contract_none_after.to_string(),
    };
    let fee = preview.early_termination_fee.map(|fee| f.money(&fee));
    let fee_value = preview
        .early_termination_fee
        .map(|fee| fee.amount().to_string());
    view! {
        <Title text=title.clone() />
        <article class="plan-preview" data-testid="plan-preview">
            <h1>{title}</h1>
            {error.map(|e| view! { <p class="notice notice-error" role="alert" data-testid="form-error">{e}</p> })}
            <p class="lead">{(p.from_to)(&preview.from.name, &preview.to.name)} " · "
                <span data-testid="effective">{when}</span></p>
            // A smaller allowance than the service's usual use: what going over would cost.
            {preview.over_allowance.clone().map(|u| {
                let text = match &u.overage {
                    Some(cost) => (p.usual_over_cost)(
                        &f.bytes(u.bytes), u.cycles, &preview.to.name, &f.bytes(u.included_bytes),
                        u.over_gb, &f.money(cost),
                    ),
                    None => (p.usual_over_cap)(
                        &f.bytes(u.bytes), u.cycles, &preview.to.name, &f.bytes(u.included_bytes),
                    ),
                };
                view! { <p class="notice notice-warn" role="note" data-testid="usual-over">{text}</p> }
            })}
            <div class="plan-compare">
                <div class="plan-card">
                    <p class="plan-kicker">{p.current_plan}</p>
                    <h2 class="plan-name">{preview.from.name.clone()}</h2>
                    <PlanFacts plan=preview.from.clone() />
                </div>
                <div class="plan-card plan-card-new">
                    <p class="plan-kicker">{if preview.upgrade { p.upgrade } else { p.downgrade }}</p>
                    <h2 class="plan-name">{preview.to.name.clone()}</h2>
                    <PlanFacts plan=preview.to.clone() />
                </div>
            </div>

            <section class="card card-flat" aria-labelledby="now-h">
                <h2 id="now-h">{p.now_title}</h2>
                <p data-testid="preview-now">{now}</p>
            </section>

            {preview.next_statement.map(|next| view! {
                <section class="card card-flat" aria-labelledby="next-h" data-testid="preview-next">
                    <h2 id="next-h">{(p.next_statement_title)(&f.date(next.issued_on))}</h2>
                    <ul class="plan-lines">
                        {next.lines.into_iter().map(|l| view! {
                            <li><span>{l.description}</span><span class="num">{f.money(&l.amount)}</span></li>
                        }).collect_view()}
                    </ul>
                    <dl class="totals-list">
                        <dt>{p.next_statement_total}</dt><dd class="num" data-testid="preview-next-charges">{f.money(&next.new_charges)}</dd>
                        <dt>{p.next_statement_due}</dt><dd class="num">{f.money(&next.total_due)}</dd>
                    </dl>
                </section>
            })}

            {preview.monthly_after.map(|m| view! {
                <section class="card card-flat" aria-labelledby="after-h">
                    <h2 id="after-h">{p.monthly_after}</h2>
                    <p class="plan-price" data-testid="preview-monthly">{f.money(&m)}</p>
                    <p class="muted">{p.monthly_after_note}</p>
                </section>
            })}

            <section class="card card-flat" aria-labelledby="contract-h">
                <h2 id="contract-h">{p.contract_title}</h2>
                {fee.clone().map(|fee| view! {
                    <p data-testid="etf-explain">{(p.etf_explain)(preview.contract_months_left, &preview.from.name, &fee)}</p>
                })}
                <p>{contract}</p>
            </section>

            <form method="post" action="/api/change-plan" class="stack plan-confirm">
                <input type="hidden" name="service_id" value=preview.service_id.to_string() />
                <input type="hidden" name="plan_id" value=preview.to.id.to_string() />
                <input type="hidden" name="seen_plan_id" value=preview.from.id.to_string() />
                {fee.zip(fee_value).map(|(fee, value)| view! {
                    <label class="checkbox-field">
                        <input type="checkbox" name="accepted_fee" value=value required data-testid="accept-fee" />
                        <span>{(p.etf_accept)(&fee)}</span>
                    </label>
                })}
                <button type="submit" class="button button-primary" data-testid="confirm-change">{p.confirm}</button>
            </form>
        </article>
    }
}
