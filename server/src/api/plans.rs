//! `GET /plans`: the plan catalogue, plans no longer sold included (services may be on them).

use axum::extract::State;
use axum::Json;
use engine::integrations::Scope;
use engine::plan_changes::{self, CataloguePlan};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Caller;
use super::problem::{KeyedProblems, Problem};
use app::server::Portal;

/// A plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    pub id: i64,
    /// Stable code, as the provider's other systems name the plan.
    #[schema(example = "fibre-500")]
    pub code: String,
    #[schema(example = "Fibre 500")]
    pub name: String,
    pub technology: Technology,
    pub download_mbps: i32,
    pub upload_mbps: i32,
    /// Data included in each billing period, in GB; null: unlimited.
    pub allowance_gb: Option<i32>,
    /// The price of a whole billing period, a decimal string.
    #[schema(value_type = String, example = "65.00")]
    pub monthly_price: Decimal,
    /// ISO 4217.
    #[schema(example = "USD")]
    pub currency: String,
    /// Whether the prices include tax.
    pub price_includes_tax: bool,
    /// The price of each started GB over the allowance; null when there is none.
    #[schema(value_type = Option<String>, example = "2.0000")]
    pub overage_per_gb: Option<Decimal>,
    pub billing_mode: BillingMode,
    /// The minimum term in months (0: none).
    pub contract_months: i16,
    /// What leaving in the first month of the term costs (less as the term goes on).
    #[schema(value_type = Option<String>)]
    pub early_termination_fee: Option<Decimal>,
    /// Whether new services and plan changes may choose it.
    pub available: bool,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Technology {
    Fibre,
    Cable,
    Dsl,
    FixedWireless,
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BillingMode {
    Postpaid,
    Prepaid,
}

/// A list that is never long enough to page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlanList {
    pub data: Vec<Plan>,
}

impl From<CataloguePlan> for Plan {
    fn from(c: CataloguePlan) -> Plan {
        let p = c.plan;
        Plan {
            id: p.id,
            code: p.code,
            name: p.name,
            technology: match p.technology.as_str() {
                "fibre" => Technology::Fibre,
                "cable" => Technology::Cable,
                "dsl" => Technology::Dsl,
                _ => Technology::FixedWireless,
            },
            download_mbps: p.download_mbps,
            upload_mbps: p.upload_mbps,
            allowance_gb: p.allowance_gb,
            monthly_price: p.monthly_price,
            currency: p.currency,
            price_includes_tax: p.price_includes_tax,
            overage_per_gb: p.overage_per_gb,
            billing_mode: if p.billing_mode == "prepaid" {
                BillingMode::Prepaid
            } else {
                BillingMode::Postpaid
            },
            contract_months: p.contract_months,
            early_termination_fee: p.early_termination_fee,
            available: c.available,
        }
    }
}

/// The plan catalogue.
///
/// Every plan, in code order, those no longer sold included (`available: false`), since
/// services may still be on them.
#[utoipa::path(
    get,
    path = "/plans",
    operation_id = "listPlans",
    tag = "plans",
    responses(
        (status = 200, description = "The catalogue", body = PlanList, headers(
            ("RateLimit" = String, description = "What is left of the key's budget"),
            ("RateLimit-Policy" = String, description = "The key's budget"),
        )),
        KeyedProblems,
    ),
    security(("api_key" = ["read"]))
)]
pub async fn list(caller: Caller, State(portal): State<Portal>) -> Result<Json<PlanList>, Problem> {
    caller.require(Scope::Read)?;
    let plans = plan_changes::catalogue(&portal.pool).await?;
    Ok(Json(PlanList {
        data: plans.into_iter().map(Plan::from).collect(),
    }))
}
