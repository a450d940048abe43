//! The demo ISP's catalogue: where it operates, its plans and its one-off charges.
//!
//! Everything here is fixed (it does not depend on the seed), so the plan a test or a
//! person looks for is always there with the same id: ids are positions in these lists,
//! counted from 1.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use rust_decimal::Decimal;

use super::copy::{Table, TextRows};

/// A cent amount as a decimal with two places (`6500` → `65.00`).
pub fn cents(amount: i64) -> Decimal {
    Decimal::new(amount, 2)
}

/// An access technology, as the `plans.technology` and `addresses.technologies` columns
/// name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tech {
    Fibre,
    Cable,
    Dsl,
    FixedWireless,
}

impl Tech {
    pub const ALL: [Tech; 4] = [Tech::Fibre, Tech::Cable, Tech::Dsl, Tech::FixedWireless];

    pub fn as_str(self) -> &'static str {
        match self {
            Tech::Fibre => "fibre",
            Tech::Cable => "cable",
            Tech::Dsl => "dsl",
            Tech::FixedWireless => "fixed_wireless",
        }
    }
}

/// A city the ISP serves, with the first three digits of its ZIP codes.
pub struct City {
    pub name: &'static str,
    pub zip_prefix: &'static str,
}

/// A state the ISP operates in: its sales tax, the time zone its subscribers' days follow
/// and how often each technology reaches an address there.
pub struct Jurisdiction {
    pub code: &'static str,
    pub name: &'static str,
    /// Postal abbreviation, for `addresses.region`.
    pub region: &'static str,
    pub time_zone: Tz,
    /// Sales tax on broadband as a fraction, tax-exclusive (US style); zero where none.
    pub tax_rate: Decimal,
    pub tax_name: &'static str,
    pub cities: &'static [City],
    /// Share of all subscribers, per mille (the weights add up to 1,000).
    pub share_permille: u32,
    /// Per mille of addresses each technology reaches, in [`Tech::ALL`] order.
    pub reach_permille: [u32; 4],
}

impl Jurisdiction {
    pub fn id(&self) -> i64 {
        position(JURISDICTIONS, self)
    }
}

pub static JURISDICTIONS: &[Jurisdiction] = &[
    Jurisdiction {
        code: "US-TX",
        name: "Texas",
        region: "TX",
        time_zone: chrono_tz::America::Chicago,
        tax_rate: Decimal::from_parts(825, 0, 0, false, 4),
        tax_name: "Texas sales tax",
        cities: &[
            City {
                name: "Austin",
                zip_prefix: "787",
            },
            City {
                name: "Dallas",
                zip_prefix: "752",
            },
            City {
                name: "Houston",
                zip_prefix: "770",
            },
            City {
                name: "San Antonio",
                zip_prefix: "782",
            },
            City {
                name: "Fort Worth",
                zip_prefix: "761",
            },
        ],
        share_permille: 350,
        reach_permille: [550, 750, 700, 250],
    },
    Jurisdiction {
        code: "US-NY",
        name: "New York",
        region: "NY",
        time_zone: chrono_tz::America::New_York,
        tax_rate: Decimal::from_parts(8875, 0, 0, false, 5),
        tax_name: "New York sales tax",
        cities: &[
            City {
                name: "New York",
                zip_prefix: "100",
            },
            City {
                name: "Brooklyn",
                zip_prefix: "112",
            },
            City {
                name: "Buffalo",
                zip_prefix: "142",
            },
            City {
                name: "Rochester",
                zip_prefix: "146",
            },
            City {
                name: "Albany",
                zip_prefix: "122",
            },
        ],
        share_permille: 300,
        reach_permille: [650, 800, 500, 100],
    },
    Jurisdiction {
        code: "US-CO",
        name: "Colorado",
        region: "CO",
        time_zone: chrono_tz::America::Denver,
        tax_rate: Decimal::from_parts(29, 0, 0, false, 3),
        tax_name: "Colorado sales tax",
        cities: &[
            City {
                name: "Denver",
                zip_prefix: "802",
            },
            City {
                name: "Boulder",
                zip_prefix: "803",
            },
            City {
                name: "Colorado Springs",
                zip_prefix: "809",
            },
            City {
                name: "Fort Collins",
                zip_prefix: "805",
            },
        ],
        share_permille: 200,
        reach_permille: [500, 700, 650, 450],
    },
    Jurisdiction {
        code: "US-OR",
        name: "Oregon",
        region: "OR",
        time_zone: chrono_tz::America::Los_Angeles,
        // Oregon has no sales tax; the zero rate is still recorded so that every
        // jurisdiction has a rate for a bill run to find.
        tax_rate: Decimal::ZERO,
        tax_name: "No sales tax",
        cities: &[
            City {
                name: "Portland",
                zip_prefix: "972",
            },
            City {
                name: "Eugene",
                zip_prefix: "974",
            },
            City {
                name: "Salem",
                zip_prefix: "973",
            },
            City {
                name: "Bend",
                zip_prefix: "977",
            },
        ],
        share_permille: 150,
        reach_permille: [450, 650, 800, 400],
    },
];

/// A plan in the catalogue.
pub struct Plan {
    pub code: &'static str,
    pub name: &'static str,
    pub tech: Tech,
    pub download_mbps: i32,
    pub upload_mbps: i32,
    /// `None`: unlimited.
    pub allowance_gb: Option<u32>,
    pub monthly_cents: i64,
    /// Price per started gigabyte beyond the allowance, in cents.
    pub overage_cents_per_gb: Option<i64>,
    pub prepaid: bool,
    pub contract_months: u32,
    pub early_termination_cents: Option<i64>,
    /// Sold to business accounts only.
    pub business: bool,
    /// How often residential subscribers who can get the plan choose it (relative weight).
    pub popularity: u32,
}

impl Plan {
    pub fn id(&self) -> i64 {
        position(PLANS, self)
    }

    pub fn monthly_price(&self) -> Decimal {
        cents(self.monthly_cents)
    }

    pub fn overage_per_gb(&self) -> Option<Decimal> {
        self.overage_cents_per_gb.map(cents)
    }

    pub fn by_code(code: &str) -> &'static Plan {
        PLANS
            .iter()
            .find(|p| p.code == code)
            .unwrap_or_else(|| panic!("the seed catalogue has no plan {code:?}"))
    }
}

pub static PLANS: &[Plan] = &[
    Plan {
        code: "fibre-300",
        name: "Fibre 300",
        tech: Tech::Fibre,
        download_mbps: 300,
        upload_mbps: 300,
        allowance_gb: None,
        monthly_cents: 5000,
        overage_cents_per_gb: None,
        prepaid: false,
        contract_months: 0,
        early_termination_cents: None,
        business: false,
        popularity: 25,
    },
    Plan {
        code: "fibre-500",
        name: "Fibre 500",
        tech: Tech::Fibre,
        download_mbps: 500,
        upload_mbps: 500,
        allowance_gb: None,
        monthly_cents: 6500,
        overage_cents_per_gb: None,
        prepaid: false,
        contract_months: 12,
        early_termination_cents: Some(15000),
        business: false,
        popularity: 35,
    },
    Plan {
        code: "fibre-1000",
        name: "Fibre 1000",
        tech: Tech::Fibre,
        download_mbps: 1000,
        upload_mbps: 1000,
        allowance_gb: None,
        monthly_cents: 8500,
        overage_cents_per_gb: None,
        prepaid: false,
        contract_months: 24,
        early_termination_cents: Some(20000),
        business: false,
        popularity: 20,
    },
    Plan {
        code: "cable-300",
        name: "Cable 300",
        tech: Tech::Cable,
        download_mbps: 300,
        upload_mbps: 20,
        allowance_gb: Some(1000),
        monthly_cents: 5500,
        overage_cents_per_gb: Some(50),
        prepaid: false,
        contract_months: 0,
        early_termination_cents: None,
        business: false,
        popularity: 35,
    },
    Plan {
        code: "cable-600",
        name: "Cable 600",
        tech: Tech::Cable,
        download_mbps: 600,
        upload_mbps: 35,
        allowance_gb: Some(1500),
        monthly_cents: 7000,
        overage_cents_per_gb: Some(50),
        prepaid: false,
        contract_months: 12,
        early_termination_cents: Some(12000),
        business: false,
        popularity: 25,
    },
    Plan {
        code: "cable-1200",
        name: "Cable 1200",
        tech: Tech::Cable,
        download_mbps: 1200,
        upload_mbps: 50,
        allowance_gb: None,
        monthly_cents: 9500,
        overage_cents_per_gb: None,
        prepaid: false,
        contract_months: 12,
        early_termination_cents: Some(15000),
        business: false,
        popularity: 10,
    },
    Plan {
        code: "dsl-50",
        name: "DSL 50",
        tech: Tech::Dsl,
        download_mbps: 50,
        upload_mbps: 10,
        allowance_gb: Some(500),
        monthly_cents: 4500,
        overage_cents_per_gb: Some(75),
        prepaid: false,
        contract_months: 0,
        early_termination_cents: None,
        business: false,
        popularity: 30,
    },
    Plan {
        code: "wireless-100",
        name: "Wireless 100",
        tech: Tech::FixedWireless,
        download_mbps: 100,
        upload_mbps: 20,
        allowance_gb: Some(400),
        monthly_cents: 6000,
        overage_cents_per_gb: Some(100),
        prepaid: false,
        contract_months: 12,
        early_termination_cents: Some(10000),
        business: false,
        popularity: 25,
    },
    Plan {
        // Paid in advance each period; beyond the allowance speeds are reduced rather than
        // charged, hence no overage price.
        code: "wireless-prepaid",
        name: "Wireless Prepaid",
        tech: Tech::FixedWireless,
        download_mbps: 50,
        upload_mbps: 10,
        allowance_gb: Some(200),
        monthly_cents: 4000,
        overage_cents_per_gb: None,
        prepaid: true,
        contract_months: 0,
        early_termination_cents: None,
        business: false,
        popularity: 10,
    },
    Plan {
        code: "business-fibre-1000",
        name: "Business Fibre 1000",
        tech: Tech::Fibre,
        download_mbps: 1000,
        upload_mbps: 1000,
        allowance_gb: None,
        monthly_cents: 15000,
        overage_cents_per_gb: None,
        prepaid: false,
        contract_months: 24,
        early_termination_cents: Some(50000),
        business: true,
        popularity: 0,
    },
];

/// A one-off charge in the catalogue.
pub struct ChargeType {
    pub code: &'static str,
    pub name: &'static str,
    pub cents: i64,
    pub taxable: bool,
}

impl ChargeType {
    pub fn id(&self) -> i64 {
        position(CHARGE_TYPES, self)
    }

    pub fn amount(&self) -> Decimal {
        cents(self.cents)
    }
}

pub static CHARGE_TYPES: &[ChargeType] = &[
    ChargeType {
        code: "installation",
        name: "Installation",
        cents: 9900,
        taxable: true,
    },
    ChargeType {
        code: "router",
        name: "Replacement router",
        cents: 12000,
        taxable: true,
    },
    ChargeType {
        code: "technician-visit",
        name: "Technician visit",
        cents: 7500,
        taxable: true,
    },
    // A penalty, not a sale: not subject to sales tax.
    ChargeType {
        code: "late-fee",
        name: "Late payment fee",
        // The engine's default late-fee step charges the same.
        cents: 1500,
        taxable: false,
    },
];

pub fn charge_type(code: &str) -> &'static ChargeType {
    CHARGE_TYPES
        .iter()
        .find(|c| c.code == code)
        .unwrap_or_else(|| panic!("the seed catalogue has no charge type {code:?}"))
}

/// The 1-based position of `item` in `list`, which is its id.
fn position<T>(list: &'static [T], item: &T) -> i64 {
    let index = list
        .iter()
        .position(|candidate| std::ptr::eq(candidate, item))
        .expect("catalogue items are only referred to from their own list");
    i64::try_from(index).map_or(i64::MAX, |i| i + 1)
}

pub static JURISDICTIONS_TABLE: Table = Table {
    name: "jurisdictions",
    columns: "id, code, name",
};
pub static TAX_RATES_TABLE: Table = Table {
    name: "tax_rates",
    columns: "id, jurisdiction_id, name, rate, inclusive, valid_from",
};
pub static PLANS_TABLE: Table = Table {
    name: "plans",
    columns:
        "id, code, name, technology, download_mbps, upload_mbps, allowance_gb, monthly_price, \
              currency, price_includes_tax, overage_per_gb, billing_mode, contract_months, \
              early_termination_fee, available, created_at",
};
pub static CHARGE_TYPES_TABLE: Table = Table {
    name: "charge_types",
    columns: "id, code, name, amount, currency, taxable",
};

/// The catalogue's rows: jurisdictions, their tax rates, plans and charge types.
/// `since` dates the catalogue (plans' `created_at`, tax rates' `valid_from`): before the
/// oldest service in the seed.
pub fn rows(since: NaiveDateTime) -> Vec<TextRows> {
    let mut jurisdictions = TextRows::new(&JURISDICTIONS_TABLE);
    let mut tax_rates = TextRows::new(&TAX_RATES_TABLE);
    for j in JURISDICTIONS {
        jurisdictions
            .row()
            .int(j.id())
            .text(j.code)
            .text(j.name)
            .end();
        tax_rates
            .row()
            .int(j.id())
            .int(j.id())
            .text(j.tax_name)
            .dec(j.tax_rate)
            .bool(false)
            .date(since.date())
            .end();
    }
    let mut plans = TextRows::new(&PLANS_TABLE);
    for p in PLANS {
        plans
            .row()
            .int(p.id())
            .text(p.code)
            .text(p.name)
            .text(p.tech.as_str())
            .int(p.download_mbps.into())
            .int(p.upload_mbps.into())
            .opt_int(p.allowance_gb.map(i64::from))
            .dec(p.monthly_price())
            .text("USD")
            .bool(false)
            .opt_dec(p.overage_per_gb())
            .text(if p.prepaid { "prepaid" } else { "postpaid" })
            .int(p.contract_months.into())
            .opt_dec(p.early_termination_cents.map(cents))
            .bool(true)
            .utc(since)
            .end();
    }
    let mut charge_types = TextRows::new(&CHARGE_TYPES_TABLE);
    for c in CHARGE_TYPES {
        charge_types
            .row()
            .int(c.id())
            .text(c.code)
            .text(c.name)
            .dec(c.amount())
            .text("USD")
            .bool(c.taxable)
            .end();
    }
    vec![jurisdictions, tax_rates, plans, charge_types]
}
