//! [`PlanTexts`] in English.

use crate::i18n::PlanTexts;

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
        match m {
            0 => "None".to_string(),
            1 => "1 month".to_string(),
            m => format!("{m} months"),
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
        let left = if months == 1 { "1 month".to_string() } else { format!("{months} months") };
        format!("Your {plan} contract has {left} left when the change takes effect. Leaving it early costs an early termination fee of {fee}, charged on the statement after the change.")
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
