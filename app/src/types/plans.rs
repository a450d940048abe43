//! What the plans pages receive: the plans a service is on and may change to, a change's
//! preview, and a change waiting for its day.

use billing::Money;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::NextBill;

/// A plan, for comparing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanOption {
    pub id: i64,
    pub name: String,
    pub technology: String,
    pub download_mbps: i32,
    pub upload_mbps: i32,
    /// `None`: unlimited.
    pub allowance_gb: Option<i32>,
    pub monthly_price: Money,
    /// The minimum term in months (0: none).
    pub contract_months: i16,
    /// What leaving the whole term early costs.
    pub early_termination_fee: Option<Money>,
}

/// A change that waits for the next billing period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PendingChange {
    pub id: i64,
    pub to_plan: String,
    pub effective_on: NaiveDate,
    pub early_termination_fee: Option<Money>,
}

/// One service: its plan now, a change waiting, and what it may change to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServicePlans {
    pub service_id: i64,
    /// The service address, on one line.
    pub address: String,
    pub current: PlanOption,
    pub contract_ends_on: Option<NaiveDate>,
    pub pending: Option<PendingChange>,
    /// Cheapest first.
    pub available: Vec<PlanOption>,
    /// How the service's line signs in to the network (none recorded yet: `None`).
    pub connection: Option<super::network::Connection>,
}

/// The plans page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlansPage {
    pub services: Vec<ServicePlans>,
}

/// What a change would do, as the billing engine computed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanChangePreview {
    pub service_id: i64,
    pub from: PlanOption,
    pub to: PlanOption,
    pub upgrade: bool,
    /// Takes effect today (otherwise on `effective_on`, the next period's first day).
    pub immediate: bool,
    pub effective_on: NaiveDate,
    /// Charged (positive) or credited (negative) for days already billed; zero when none.
    pub adjustment: Money,
    /// The days the adjustment covers (inclusive first and last day).
    pub adjusted_days: Option<(NaiveDate, NaiveDate)>,
    pub early_termination_fee: Option<Money>,
    pub contract_months_left: u32,
    /// The contract end now, and after the change.
    pub contract_ends_on: Option<NaiveDate>,
    pub contract_ends_after: Option<NaiveDate>,
    /// The next statement with the change, as the bill run would compose it today.
    pub next_statement: Option<NextBill>,
    /// Each period after that: the period's charges and tax.
    pub monthly_after: Option<Money>,
    /// The service's usual use when it is more than the new plan includes.
    pub over_allowance: Option<UsualUse>,
}

/// What the service usually uses in a cycle, against a plan that includes less, rated by
/// the billing code's own overage rule (every started gigabyte over).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsualUse {
    /// The average over the last complete cycles with any use.
    pub bytes: u64,
    /// How many cycles that average is of (1 to 3).
    pub cycles: u32,
    /// What the new plan includes.
    pub included_bytes: u64,
    /// Started gigabytes over, at that use.
    pub over_gb: u32,
    /// Their cost each cycle; `None` when the plan sells no overage (its data cap stops it).
    pub overage: Option<Money>,
}
