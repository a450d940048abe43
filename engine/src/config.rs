//! What the engine needs to know about the provider and how to pace itself.

use std::time::Duration;

use chrono_tz::Tz;
use rust_decimal::Decimal;

/// The engine's settings (the server fills them from its environment).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The provider's name, as emails sign off.
    pub provider_name: String,
    /// Where subscribers reach the portal, for links in emails (no trailing slash).
    pub public_url: String,
    /// The provider's time zone: bill runs and dunning happen on its calendar days.
    pub time_zone: Tz,
    /// Days from a postpaid statement's issue to its due date.
    pub payment_terms_days: u32,
    /// Accounts billed per transaction.
    pub batch_size: usize,
    /// Transactions running at once.
    pub workers: usize,
    /// A pause after each batch (zero in production; tests use it to stop a run part-way).
    pub pause_between_batches: Duration,
    /// When upgrades and downgrades take effect.
    pub plan_changes: PlanChangePolicy,
    /// The smallest and largest card payment a subscriber may make.
    pub card_limits: CardLimits,
    /// Signed pay-by-link URLs in statement emails (off when no secret is configured).
    pub pay_links: Option<crate::cards::pay_link::PayLinks>,
    /// Stripe, for card payments and autopay (off when no key is configured).
    pub stripe: Option<std::sync::Arc<crate::cards::Stripe>>,
    /// Where subscribers' tickets and disputes are announced to the support team.
    pub support_inbox: String,
    /// How much each staff role may adjust (and credit by accepting disputes) without a
    /// second person: per adjustment and per day.
    pub adjustment_limits: AdjustmentLimits,
    /// Usage alerts and data add-ons.
    pub data_cap: DataCapPolicy,
}

/// The operator's choices for the data cap (`billing::data_cap`, `crate::usage_alerts`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataCapPolicy {
    /// Alert when a service's cycle use reaches these percentages of its allowance (each
    /// once per cycle), ascending.
    pub thresholds: Vec<u32>,
    /// The gigabytes one data add-on adds to the cycle's allowance.
    pub addon_gigabytes: u32,
    /// The add-on's price is the plan's overage price for its gigabytes less this percentage.
    pub addon_discount_percent: u32,
}

impl Default for DataCapPolicy {
    fn default() -> Self {
        DataCapPolicy {
            thresholds: vec![50, 85, 100],
            addon_gigabytes: 100,
            addon_discount_percent: 50,
        }
    }
}

/// What each staff role may post by itself, in the account's currency; beyond either limit
/// another staff member whose own limit covers the adjustment approves it. Accepting a
/// dispute is a credit like any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdjustmentLimits {
    pub support_rep: RoleLimits,
    pub billing: RoleLimits,
    pub admin: RoleLimits,
}

/// One role's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RoleLimits {
    /// The largest single adjustment (charge or credit) posted alone.
    pub per_adjustment: Decimal,
    /// The most a person posts alone in one provider-local day, charges and credits alike
    /// counted at their size (see [`RoleLimits::needs_approval`]).
    pub per_day: Decimal,
}

impl RoleLimits {
    /// Nothing posted alone.
    pub const NONE: RoleLimits = RoleLimits {
        per_adjustment: Decimal::ZERO,
        per_day: Decimal::ZERO,
    };

    /// Whether an adjustment of `amount` needs a second person, given `posted_today`: the sum
    /// of the sizes of what this person already posted alone today in the same currency.
    ///
    /// Sizes, not signed amounts: a charge never makes room for a credit (nor the other way),
    /// so a 90.00 charge and a 90.00 credit are 180.00 of the day's limit, not nothing. Only
    /// what was posted alone counts: an adjustment a second person approved was checked by
    /// them.
    pub fn needs_approval(&self, amount: Decimal, posted_today: Decimal) -> bool {
        amount.abs() > self.per_adjustment || posted_today + amount.abs() > self.per_day
    }
}

impl Default for AdjustmentLimits {
    fn default() -> Self {
        AdjustmentLimits {
            support_rep: RoleLimits::NONE,
            billing: RoleLimits {
                per_adjustment: Decimal::new(10_000, 2), // 100.00
                per_day: Decimal::new(50_000, 2),        // 500.00
            },
            admin: RoleLimits {
                per_adjustment: Decimal::new(100_000, 2), // 1,000.00
                per_day: Decimal::new(500_000, 2),        // 5,000.00
            },
        }
    }
}

impl AdjustmentLimits {
    /// The limits of a role as stored in `staff_users.role` (unknown roles: nothing).
    pub fn of(&self, role: &str) -> RoleLimits {
        match role {
            "support_rep" => self.support_rep,
            "billing" => self.billing,
            "admin" => self.admin,
            _ => RoleLimits::NONE,
        }
    }
}

/// When a plan change takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// Today, with a prorated charge or credit for the rest of the period.
    Immediately,
    /// On the first day of the next billing period.
    NextCycle,
}

impl Timing {
    /// Parses `immediately` or `next_cycle` (as configuration spells them).
    pub fn parse(text: &str) -> Option<Timing> {
        match text {
            "immediately" => Some(Timing::Immediately),
            "next_cycle" => Some(Timing::NextCycle),
            _ => None,
        }
    }
}

/// The provider's policy for plan changes (a more expensive plan is an upgrade).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanChangePolicy {
    pub upgrades: Timing,
    pub downgrades: Timing,
}

impl Default for PlanChangePolicy {
    fn default() -> Self {
        PlanChangePolicy {
            upgrades: Timing::Immediately,
            downgrades: Timing::NextCycle,
        }
    }
}

/// Card payment limits, in the account's currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardLimits {
    pub min: Decimal,
    pub max: Decimal,
}

impl Default for CardLimits {
    fn default() -> Self {
        CardLimits {
            min: Decimal::new(100, 2),
            max: Decimal::new(500_000, 2),
        }
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            provider_name: "Lastmile Broadband".to_string(),
            public_url: "http://127.0.0.1:3000".to_string(),
            time_zone: chrono_tz::America::Chicago,
            payment_terms_days: 21,
            batch_size: 500,
            workers: 2,
            pause_between_batches: Duration::ZERO,
            plan_changes: PlanChangePolicy::default(),
            card_limits: CardLimits::default(),
            pay_links: None,
            stripe: None,
            support_inbox: "support@example.net".to_string(),
            adjustment_limits: AdjustmentLimits::default(),
            data_cap: DataCapPolicy::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn a_person_posts_alone_within_both_limits_and_charges_and_credits_count_by_size() {
        let billing = AdjustmentLimits::default().of("billing"); // 100.00 each, 500.00 a day
        assert!(!billing.needs_approval(dec!(-100.00), dec!(0)));
        assert!(
            billing.needs_approval(dec!(-100.01), dec!(0)),
            "above one adjustment's limit"
        );
        assert!(billing.needs_approval(dec!(100.01), dec!(0)), "charges too");
        // 90 + 90 + 90 + 90 posted (credits and charges alike): 360.00 so far today.
        let today = [dec!(-90), dec!(90), dec!(-90), dec!(90)]
            .iter()
            .map(|a: &Decimal| a.abs())
            .sum::<Decimal>();
        assert_eq!(today, dec!(360));
        assert!(
            !billing.needs_approval(dec!(-100.00), today),
            "360 + 100 = 460"
        );
        assert!(
            !billing.needs_approval(dec!(100.00), today),
            "a charge: 360 + 100 = 460"
        );
        assert!(
            billing.needs_approval(dec!(-100.00), dec!(400.01)),
            "500.01 > 500"
        );
        assert!(
            !billing.needs_approval(dec!(-100.00), dec!(400.00)),
            "exactly 500"
        );
        // A rep posts nothing alone; an unknown role neither.
        assert!(AdjustmentLimits::default()
            .of("support_rep")
            .needs_approval(dec!(-0.01), dec!(0)));
        assert!(AdjustmentLimits::default()
            .of("intern")
            .needs_approval(dec!(0.01), dec!(0)));
    }
}
