//! The words of the plans pages (comparing plans, a change's preview, a change waiting).
//! Reached through [`Texts::plans`], so that a language adds one more value here.

use super::{Lang, Texts};

/// The strings of the plans pages in one language.
pub struct PlanTexts {
    pub nav_plans: &'static str,
    pub plans_title: &'static str,
    pub no_services: &'static str,
    pub service_at: fn(&str) -> String,
    pub current_plan: &'static str,
    pub contract_until: fn(&str) -> String,
    pub no_contract: &'static str,
    pub pending_title: &'static str,
    pub pending_line: fn(&str, &str) -> String,
    pub pending_fee: fn(&str) -> String,
    pub cancel_change: &'static str,
    pub available_title: &'static str,
    pub none_available: &'static str,
    pub col_plan: &'static str,
    pub col_speed: &'static str,
    pub col_data: &'static str,
    pub col_price: &'static str,
    pub col_contract: &'static str,
    pub contract_months: fn(i16) -> String,
    pub fee_if_leaving: fn(&str) -> String,
    pub choose: &'static str,
    pub technology: fn(&str) -> &'static str,
    pub upgrade: &'static str,
    pub downgrade: &'static str,
    pub change_applied: &'static str,
    pub change_scheduled: &'static str,
    pub change_cancelled: &'static str,

    pub preview_title: fn(&str) -> String,
    pub from_to: fn(&str, &str) -> String,
    pub takes_effect_now: &'static str,
    pub takes_effect_on: fn(&str) -> String,
    pub now_title: &'static str,
    pub charge_now: fn(&str, &str) -> String,
    pub credit_now: fn(&str, &str) -> String,
    pub nothing_now: &'static str,
    pub next_statement_title: fn(&str) -> String,
    pub next_statement_total: &'static str,
    pub next_statement_due: &'static str,
    pub monthly_after: &'static str,
    pub monthly_after_note: &'static str,
    pub contract_title: &'static str,
    pub contract_kept: fn(&str) -> String,
    pub contract_new: fn(&str) -> String,
    pub contract_none_after: &'static str,
    pub etf_explain: fn(u32, &str, &str) -> String,
    pub etf_accept: fn(&str) -> String,
    pub confirm: &'static str,
    pub back_to_plans: &'static str,
    /// Usual use above the new plan's allowance, with the overage it would cost: (usual use,
    /// over how many cycles, the plan, what it includes, GB over, their cost).
    pub usual_over_cost: fn(&str, u32, &str, &str, u32, &str) -> String,
    /// The same for a plan that sells no overage (its cap stops the service).
    pub usual_over_cap: fn(&str, u32, &str, &str) -> String,
    pub error_conflict: &'static str,
    pub error_invalid: &'static str,
    pub error_other: &'static str,
}

impl Texts {
    /// These words in this language.
    pub fn plans(&self) -> &'static PlanTexts {
        match self.lang {
            Lang::En => &super::en::PLANS_EN,
            Lang::Es => &super::es::PLANS_ES,
            Lang::Fr => &super::fr::PLANS_FR,
        }
    }
}
