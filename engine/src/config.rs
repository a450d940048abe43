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
    /// How large an adjustment each staff role may post without a second person.
    pub adjustment_limits: AdjustmentLimits,
}

/// The largest adjustment (charge or credit, in the account's currency) a role may post by
/// itself; above it, another staff member whose limit covers it approves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdjustmentLimits {
    pub support_rep: rust_decimal::Decimal,
    pub billing: rust_decimal::Decimal,
    pub admin: rust_decimal::Decimal,
}

impl Default for AdjustmentLimits {
    fn default() -> Self {
        AdjustmentLimits {
            support_rep: rust_decimal::Decimal::ZERO,
            billing: rust_decimal::Decimal::new(10_000, 2), // 100.00
            admin: rust_decimal::Decimal::new(100_000, 2),  // 1,000.00
        }
    }
}

impl AdjustmentLimits {
    /// The limit of a role as stored in `staff_users.role` (unknown roles: nothing).
    pub fn of(&self, role: &str) -> rust_decimal::Decimal {
        match role {
            "support_rep" => self.support_rep,
            "billing" => self.billing,
            "admin" => self.admin,
            _ => rust_decimal::Decimal::ZERO,
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
        }
    }
}
