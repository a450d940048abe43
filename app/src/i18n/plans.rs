//! The words of the plans pages (comparing plans, a change's preview, a change waiting).
//! Reached through [`Texts::plans`], so that a language adds one more value here.

use super::Texts;

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

pub static PLANS_EN: PlanTexts = PlanTexts {
    nav_plans: "Plan",
    plans_title: "Your plan",
    no_services: "There is no active service on this account.",
    service_at: |a| format!("Service at {a}"),
    current_plan: "Current plan",
    contract_until: |d| format!("Contract until {d}"),
    no_contract: "No contract",
    pending_title: "Change waiting",
    pending_line: |plan, day| format!("Changing to {plan} on {day}."),
    pending_fee: |fee| format!("An early termination fee of {fee} will be charged then."),
    cancel_change: "Cancel this change",
    available_title: "Plans available at this address",
    none_available: "No other plan is offered at this address.",
    col_plan: "Plan",
    col_speed: "Speed",
    col_data: "Data",
    col_price: "Price",
    col_contract: "Contract",
    contract_months: |m| {
        if m == 0 {
            "None".to_string()
        } else {
            format!("{m} months")
        }
    },
    fee_if_leaving: |fee| format!("up to {fee} to leave early"),
    choose: "Choose",
    technology: |t| match t {
        "fibre" => "Fibre",
        "cable" => "Cable",
        "dsl" => "DSL",
        "fixed_wireless" => "Fixed wireless",
        _ => "Other",
    },
    upgrade: "Upgrade",
    downgrade: "Downgrade",
    change_applied: "Your plan has been changed. The network is being updated now.",
    change_scheduled: "Your plan change is scheduled. It shows below until it takes effect.",
    change_cancelled: "The scheduled plan change was cancelled.",

    preview_title: |plan| format!("Change to {plan}"),
    from_to: |from, to| format!("From {from} to {to}"),
    takes_effect_now: "Takes effect today.",
    takes_effect_on: |d| format!("Takes effect on {d}, the start of your next billing period."),
    now_title: "Now",
    charge_now: |amount, days| {
        format!("{amount} for {days} at the new price, less what you already paid for those days. It appears on your next statement.")
    },
    credit_now: |amount, days| {
        format!("A credit of {amount} (tax included) for {days}, already paid at the old price. It appears on your next statement.")
    },
    nothing_now: "Nothing is charged or credited now.",
    next_statement_title: |d| format!("Your next statement ({d})"),
    next_statement_total: "New charges",
    next_statement_due: "Total due, with your balance so far",
    monthly_after: "Each month after that",
    monthly_after_note: "Plan charges and tax, before any usage or one-time charges.",
    contract_title: "Contract",
    contract_kept: |d| format!("Your contract continues until {d}."),
    contract_new: |d| format!("The new plan has a contract until {d}."),
    contract_none_after: "There is no contract after the change.",
    etf_explain: |months, plan, fee| {
        format!("Your {plan} contract has {months} month(s) left when the change takes effect. Leaving it early costs an early termination fee of {fee}, charged on the statement after the change.")
    },
    etf_accept: |fee| format!("I accept the early termination fee of {fee}."),
    confirm: "Confirm the change",
    back_to_plans: "Back to plans",
    usual_over_cost: |usual, cycles, plan, included, over, cost| {
        format!(
            "You usually use about {usual} a cycle ({}). {plan} includes {included}: at that use expect about {over} GB over, {cost} more each cycle.",
            if cycles == 1 { "last cycle".to_string() } else { format!("the average of your last {cycles} cycles") }
        )
    },
    usual_over_cap: |usual, cycles, plan, included| {
        format!(
            "You usually use about {usual} a cycle ({}). {plan} includes {included}, and you would reach its limit before the end of most cycles.",
            if cycles == 1 { "last cycle".to_string() } else { format!("the average of your last {cycles} cycles") }
        )
    },
    error_conflict: "Your plan was changed meanwhile (perhaps in another window). Here is the change as it stands now.",
    error_invalid: "Please tick the box to accept the early termination fee before confirming.",
    error_other: "The change could not be made. Nothing was changed; please try again.",
};

impl Texts {
    /// The plans pages' texts in this language.
    pub fn plans(&self) -> &'static PlanTexts {
        &PLANS_EN
    }
}
