//! Who each subscriber is: the random choices that make one account differ from the next,
//! drawn from that account's own random stream, plus the two hand-made demo subscribers.

use chrono::{Datelike, Days, Months, NaiveDate};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::catalogue::{City, Jurisdiction, Plan, Tech, JURISDICTIONS, PLANS};
use super::names::{BUSINESS_KINDS, FIRST_NAMES, LAST_NAMES, STREET_NAMES, STREET_SUFFIXES};
use super::usage::{Gap, Intensity, Window};

/// The first account number; account index `i` has number `FIRST_ACCOUNT_NUMBER + i`.
pub const FIRST_ACCOUNT_NUMBER: u32 = 10_000_001;

/// How many statements (billing periods) each account has.
pub const STATEMENTS_PER_ACCOUNT: usize = 12;

/// Facts shared by every account: the day the data ends, the usage window, the one
/// password hash, and the outages that hit parts of the network during the year.
pub struct World {
    pub seed: u64,
    pub today: NaiveDate,
    pub window: Window,
    pub password_hash: String,
    pub outages: Vec<Outage>,
}

impl World {
    pub fn new(seed: u64, today: NaiveDate, password_hash: String) -> World {
        let window = Window::ending_before(today);
        let outages = draw_outages(seed, window);
        World {
            seed,
            today,
            window,
            password_hash,
            outages,
        }
    }

    /// The random stream of account `index`: ChaCha's 2⁶⁴ independent streams of one key,
    /// so an account's data depends only on (seed, index), never on which chunk or thread
    /// generated it.
    pub fn account_rng(&self, index: u32) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(u64::from(index));
        rng
    }
}

/// A regional outage: every affected subscriber loses service for the same hours.
pub struct Outage {
    pub city: &'static City,
    pub gap: Gap,
    pub cause: &'static str,
    /// Share of the city's subscribers affected, per mille.
    pub reach_permille: u32,
}

const OUTAGE_CAUSES: &[&str] = &[
    "a damaged fibre cable",
    "a power failure at a network hub",
    "planned maintenance that ran late",
    "storm damage",
    "an equipment failure",
];

const OUTAGES: usize = 12;

/// The year's outages. The first is always recent and in Austin (where the demo
/// subscriber lives), so the demo's hourly chart shows one.
fn draw_outages(seed: u64, window: Window) -> Vec<Outage> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(u64::MAX); // a stream no account index reaches in practice
    let mut outages = vec![Outage {
        city: &JURISDICTIONS[0].cities[0],
        gap: Gap {
            day: window.end - Days::new(6),
            start_hour: 18,
            hours: 3,
        },
        cause: OUTAGE_CAUSES[0],
        reach_permille: 300,
    }];
    while outages.len() < OUTAGES {
        let jurisdiction = pick_jurisdiction(&mut rng);
        let city = jurisdiction
            .cities
            .choose(&mut rng)
            .unwrap_or(&jurisdiction.cities[0]);
        let day = window.first_day + Days::new(rng.gen_range(0..365));
        let start_hour: u8 = rng.gen_range(0..=20);
        let hours = rng.gen_range(1..=6_u8).min(24 - start_hour);
        outages.push(Outage {
            city,
            gap: Gap {
                day,
                start_hour,
                hours,
            },
            cause: OUTAGE_CAUSES
                .choose(&mut rng)
                .copied()
                .unwrap_or(OUTAGE_CAUSES[0]),
            reach_permille: rng.gen_range(100..=350),
        });
    }
    outages
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Residential,
    Business,
}

/// How an account pays its statements.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Habit {
    /// Charged automatically to the saved card three days before the due date.
    Autopay,
    /// Prepaid plan: pays each period on the day it starts.
    Prepaid,
    /// Pays by hand some days after the statement arrives.
    Manual {
        method: ManualMethod,
        delay_days: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManualMethod {
    Card,
    BankTransfer,
    Cheque,
}

pub struct Person {
    pub first: &'static str,
    pub last: &'static str,
    pub email: String,
    pub phone: String,
}

pub struct Card {
    pub brand: &'static str,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

impl Card {
    /// "Visa ending 4242".
    pub fn label(&self) -> String {
        let brand = match self.brand {
            "visa" => "Visa",
            "mastercard" => "Mastercard",
            _ => "American Express",
        };
        format!("{brand} ending {}", self.last4)
    }
}

pub struct Address {
    pub jurisdiction: &'static Jurisdiction,
    pub city: &'static City,
    pub line1: String,
    pub line2: Option<String>,
    pub postal_code: String,
    pub technologies: Vec<Tech>,
}

/// An earlier plan, replaced from statement `from_statement` on (a period start).
pub struct PlanChange {
    pub from: &'static Plan,
    pub from_statement: usize,
}

pub struct TicketDraft {
    pub category: &'static str,
    pub subject: &'static str,
    pub body: &'static str,
    pub priority: &'static str,
    pub opened_days_ago: u64,
    /// `None`: still open (or pending); otherwise closed this many days after opening.
    pub resolved_after_days: Option<u64>,
    /// For unresolved tickets: waiting on the subscriber rather than on us.
    pub pending: bool,
    /// For resolved tickets: closed for good rather than just resolved.
    pub closed: bool,
}

/// Everything random about one account, decided before any row is written.
pub struct Profile {
    pub index: u32,
    pub number: String,
    pub kind: Kind,
    pub display_name: String,
    pub owner: Person,
    pub second: Option<Person>,
    pub address: Address,
    pub plan: &'static Plan,
    pub plan_change: Option<PlanChange>,
    pub cycle_day: u8,
    pub habit: Habit,
    pub card: Option<Card>,
    pub activated_on: NaiveDate,
    pub intensity: Intensity,
    /// How many of the latest statements are unpaid because the subscriber is behind.
    pub unpaid_statements: usize,
    /// Behind far enough that service was suspended.
    pub suspended: bool,
    /// The demo subscriber's latest statement is left unpaid whatever the habit says.
    pub latest_unpaid: bool,
    pub ticket: Option<TicketDraft>,
    /// Indices into [`World::outages`] of the outages that hit this subscriber.
    pub outages: Vec<usize>,
}

impl Profile {
    pub fn account_id(&self) -> i64 {
        i64::from(self.index) + 1
    }

    pub fn autopay(&self) -> bool {
        self.habit == Habit::Autopay
    }

    /// The plan in force for statement `k` (0 = oldest).
    pub fn plan_for_statement(&self, k: usize) -> &'static Plan {
        match &self.plan_change {
            Some(change) if k < change.from_statement => change.from,
            _ => self.plan,
        }
    }
}

/// Draws account `index`'s profile; indices 0 and 1 are the demo subscribers.
pub fn draw(world: &World, index: u32, rng: &mut ChaCha8Rng) -> Profile {
    let number = (FIRST_ACCOUNT_NUMBER + index).to_string();
    let kind = if rng.gen_ratio(1, 10) {
        Kind::Business
    } else {
        Kind::Residential
    };
    let jurisdiction = pick_jurisdiction(rng);
    let first = pick(rng, FIRST_NAMES);
    let last = pick(rng, LAST_NAMES);
    let display_name = match kind {
        Kind::Residential => format!("{first} {last}"),
        Kind::Business => format!("{last} {}", pick(rng, BUSINESS_KINDS)),
    };
    let owner = person(rng, first, last, &number);
    let second = rng.gen_ratio(1, 4).then(|| {
        // A partner or bookkeeper; never the owner's first name, so the emails differ.
        let mut second_first = pick(rng, FIRST_NAMES);
        if second_first == first {
            second_first = FIRST_NAMES[(FIRST_NAMES.iter().position(|n| *n == first).unwrap_or(0)
                + 1)
                % FIRST_NAMES.len()];
        }
        let second_last = if rng.gen_ratio(2, 3) {
            last
        } else {
            pick(rng, LAST_NAMES)
        };
        person(rng, second_first, second_last, &number)
    });
    let address = draw_address(rng, jurisdiction, kind);
    let plan = choose_plan(rng, kind, &address.technologies);
    let cycle_day = if rng.gen_ratio(1, 20) {
        rng.gen_range(29..=31)
    } else {
        rng.gen_range(1..=28)
    };

    let habit = if plan.prepaid {
        Habit::Prepaid
    } else if rng.gen_ratio(3, 10) {
        Habit::Autopay
    } else {
        let method = match rng.gen_range(0..10) {
            0..=6 => ManualMethod::Card,
            7 | 8 => ManualMethod::BankTransfer,
            _ => ManualMethod::Cheque,
        };
        Habit::Manual {
            method,
            delay_days: rng.gen_range(2..=15),
        }
    };
    // 30% autopay plus 3/7 of the other 70% keep a card on file: 60% of accounts.
    let keeps_card = match habit {
        Habit::Autopay | Habit::Prepaid => true,
        Habit::Manual {
            method: ManualMethod::Card,
            ..
        } => rng.gen_ratio(3, 5),
        Habit::Manual { .. } => false,
    };
    let card = keeps_card.then(|| draw_card(rng, world.today));

    let months_ago = rng.gen_range(13..=60);
    let activated_on = world.today - Months::new(months_ago) - Days::new(rng.gen_range(0..28));
    let intensity = draw_intensity(rng, plan);

    // ~8% of all accounts are behind: 12% of those who pay by hand.
    let (unpaid_statements, suspended) = match habit {
        // Two statements behind means the first is more than 14 days overdue: dunning has
        // suspended the service (one behind is never that late yet).
        Habit::Manual { .. } if rng.gen_ratio(12, 100) => match rng.gen_range(0..4) {
            0 | 1 => (2, true),
            _ => (1, false),
        },
        _ => (0, false),
    };
    let plan_change = (kind == Kind::Residential && !plan.prepaid && rng.gen_ratio(6, 100))
        .then(|| draw_plan_change(rng, plan))
        .flatten();
    let ticket = rng.gen_ratio(3, 100).then(|| draw_ticket(rng));
    let outages = world
        .outages
        .iter()
        .enumerate()
        .filter(|(_, o)| std::ptr::eq(o.city, address.city))
        .filter(|(_, o)| rng.gen_range(0..1000) < o.reach_permille)
        .map(|(i, _)| i)
        .collect();

    let mut profile = Profile {
        index,
        number,
        kind,
        display_name,
        owner,
        second,
        address,
        plan,
        plan_change,
        cycle_day,
        habit,
        card,
        activated_on,
        intensity,
        unpaid_statements,
        suspended,
        latest_unpaid: false,
        ticket,
        outages,
    };
    match index {
        0 => make_alex_morgan(&mut profile, world),
        1 => make_sam_taylor(&mut profile, world),
        _ => {}
    }
    profile
}

/// The demo subscriber: a Cable 300 customer in Austin (1,000 GB a month included) who
/// uses nearly all of it, with cycle day 5, a card on file but no autopay, an unpaid latest
/// statement, an open ticket, and an evening outage last week.
fn make_alex_morgan(p: &mut Profile, world: &World) {
    let texas = &JURISDICTIONS[0];
    p.kind = Kind::Residential;
    p.display_name = "Alex Morgan".into();
    p.owner = Person {
        first: "Alex",
        last: "Morgan",
        email: "alex.morgan@example.net".into(),
        phone: "+1 555 0100 4242".into(),
    };
    p.second = Some(Person {
        first: "Jordan",
        last: "Morgan",
        email: "jordan.morgan@example.net".into(),
        phone: "+1 555 0100 4243".into(),
    });
    p.address = Address {
        jurisdiction: texas,
        city: &texas.cities[0],
        line1: "1208 Maple Avenue".into(),
        line2: None,
        postal_code: "78704".into(),
        technologies: vec![Tech::Cable, Tech::Dsl],
    };
    p.plan = Plan::by_code("cable-300");
    p.plan_change = None;
    p.cycle_day = 5;
    p.habit = Habit::Manual {
        method: ManualMethod::Card,
        delay_days: 6,
    };
    p.card = Some(Card {
        brand: "visa",
        last4: "4242".into(),
        exp_month: 8,
        exp_year: world.today.year() + 3,
    });
    p.activated_on = world.today - Months::new(26) - Days::new(9);
    p.intensity = Intensity {
        monthly_gb: 960,
        upload_permille: 90,
    };
    p.unpaid_statements = 0;
    p.suspended = false;
    p.latest_unpaid = true;
    p.ticket = Some(TicketDraft {
        category: "technical",
        subject: "Evening speeds slower than expected",
        body: "Most evenings between 8 and 11 pm my speed tests show around 90 Mbps instead of \
               the 300 Mbps on my plan. Daytime speeds are fine. The router has been restarted.",
        priority: "normal",
        opened_days_ago: 3,
        resolved_after_days: None,
        pending: false,
        closed: false,
    });
    p.outages = vec![0];
}

/// The second demo subscriber, for checking that one account never sees another's data:
/// unlimited Fibre 1000 in Portland (no sales tax), autopay, cycle day 18, moderate use.
fn make_sam_taylor(p: &mut Profile, world: &World) {
    let oregon = &JURISDICTIONS[3];
    p.kind = Kind::Residential;
    p.display_name = "Sam Taylor".into();
    p.owner = Person {
        first: "Sam",
        last: "Taylor",
        email: "sam.taylor@example.net".into(),
        phone: "+1 555 0100 7310".into(),
    };
    p.second = None;
    p.address = Address {
        jurisdiction: oregon,
        city: &oregon.cities[0],
        line1: "77 Willow Lane".into(),
        line2: Some("Apt 3B".into()),
        postal_code: "97214".into(),
        technologies: vec![Tech::Fibre, Tech::Cable, Tech::Dsl],
    };
    p.plan = Plan::by_code("fibre-1000");
    p.plan_change = None;
    p.cycle_day = 18;
    p.habit = Habit::Autopay;
    p.card = Some(Card {
        brand: "mastercard",
        last4: "5454".into(),
        exp_month: 3,
        exp_year: world.today.year() + 2,
    });
    p.activated_on = world.today - Months::new(40) - Days::new(2);
    p.intensity = Intensity {
        monthly_gb: 420,
        upload_permille: 180,
    };
    p.unpaid_statements = 0;
    p.suspended = false;
    p.latest_unpaid = false;
    p.ticket = None;
    p.outages = Vec::new();
}

fn pick<T: Copy>(rng: &mut ChaCha8Rng, list: &[T]) -> T {
    list[rng.gen_range(0..list.len())]
}

fn pick_jurisdiction(rng: &mut ChaCha8Rng) -> &'static Jurisdiction {
    let mut roll = rng.gen_range(0..1000);
    for j in JURISDICTIONS {
        if roll < j.share_permille {
            return j;
        }
        roll -= j.share_permille;
    }
    &JURISDICTIONS[0]
}

/// A person on account `number`; the account number in the email keeps it unique.
fn person(rng: &mut ChaCha8Rng, first: &'static str, last: &'static str, number: &str) -> Person {
    let email = format!(
        "{}.{}.{number}@example.net",
        first.to_ascii_lowercase(),
        last.to_ascii_lowercase()
    );
    // 555-01xx numbers are reserved for fiction.
    let phone = format!(
        "+1 555 01{:02} {:04}",
        rng.gen_range(0..100),
        rng.gen_range(0..10_000)
    );
    Person {
        first,
        last,
        email,
        phone,
    }
}

fn draw_address(rng: &mut ChaCha8Rng, jurisdiction: &'static Jurisdiction, kind: Kind) -> Address {
    let city = &jurisdiction.cities[rng.gen_range(0..jurisdiction.cities.len())];
    let line1 = format!(
        "{} {} {}",
        rng.gen_range(1..=9999),
        pick(rng, STREET_NAMES),
        pick(rng, STREET_SUFFIXES)
    );
    let line2 = match kind {
        Kind::Business if rng.gen_ratio(1, 2) => {
            Some(format!("Suite {}", rng.gen_range(100..=900)))
        }
        Kind::Residential if rng.gen_ratio(3, 20) => Some(format!(
            "Apt {}{}",
            rng.gen_range(1..=20),
            pick(rng, &['A', 'B', 'C', 'D'])
        )),
        _ => None,
    };
    let postal_code = format!("{}{:02}", city.zip_prefix, rng.gen_range(0..100));
    let mut technologies: Vec<Tech> = Tech::ALL
        .iter()
        .zip(jurisdiction.reach_permille)
        .filter_map(|(tech, reach)| (rng.gen_range(0..1000) < reach).then_some(*tech))
        .collect();
    if technologies.is_empty() {
        // Copper reaches nearly everywhere.
        technologies.push(Tech::Dsl);
    }
    Address {
        jurisdiction,
        city,
        line1,
        line2,
        postal_code,
        technologies,
    }
}

/// A plan the address can get: business accounts take business fibre where there is
/// fibre, otherwise (and residential accounts always) a residential plan by popularity.
fn choose_plan(rng: &mut ChaCha8Rng, kind: Kind, technologies: &[Tech]) -> &'static Plan {
    if kind == Kind::Business && technologies.contains(&Tech::Fibre) && rng.gen_ratio(3, 5) {
        return Plan::by_code("business-fibre-1000");
    }
    let candidates: Vec<&'static Plan> = PLANS
        .iter()
        .filter(|p| !p.business && technologies.contains(&p.tech))
        .filter(|p| !(p.prepaid && kind == Kind::Business))
        .collect();
    let total: u32 = candidates.iter().map(|p| p.popularity).sum();
    let mut roll = rng.gen_range(0..total.max(1));
    for plan in &candidates {
        if roll < plan.popularity {
            return plan;
        }
        roll -= plan.popularity;
    }
    candidates.first().copied().unwrap_or(&PLANS[0])
}

fn draw_card(rng: &mut ChaCha8Rng, today: NaiveDate) -> Card {
    let brand = match rng.gen_range(0..20) {
        0..=10 => "visa",
        11..=17 => "mastercard",
        _ => "amex",
    };
    Card {
        brand,
        last4: format!("{:04}", rng.gen_range(0..10_000)),
        exp_month: rng.gen_range(1..=12),
        // Always after this year, so every saved card is still valid.
        exp_year: today.year() + rng.gen_range(1..=4),
    }
}

/// Monthly volume: light (50 GB) to heavy (900 GB) on unlimited plans; on plans with an
/// allowance most stay within it, about one in eight goes over on average, and some more
/// in the busier winter months.
fn draw_intensity(rng: &mut ChaCha8Rng, plan: &Plan) -> Intensity {
    let monthly_gb = match plan.allowance_gb {
        None => match rng.gen_range(0..10) {
            0..=5 => rng.gen_range(50..=350),
            6..=8 => rng.gen_range(350..=650),
            _ => rng.gen_range(650..=900),
        },
        Some(allowance) => {
            let permille: u64 = match rng.gen_range(0..100) {
                0..=69 => rng.gen_range(250..=800),
                70..=87 => rng.gen_range(800..=950),
                _ => rng.gen_range(1000..=1150),
            };
            (u64::from(allowance) * permille / 1000).max(50)
        }
    };
    // Symmetric fibre invites uploads (backups, video calls); the rest upload little.
    let upload_permille = if plan.tech == Tech::Fibre {
        rng.gen_range(80..=250)
    } else {
        rng.gen_range(50..=140)
    };
    Intensity {
        monthly_gb,
        upload_permille,
    }
}

/// A move from another plan of the same technology, some months ago.
fn draw_plan_change(rng: &mut ChaCha8Rng, plan: &'static Plan) -> Option<PlanChange> {
    let others: Vec<&'static Plan> = PLANS
        .iter()
        .filter(|p| p.tech == plan.tech && !p.prepaid && !p.business && !std::ptr::eq(*p, plan))
        .collect();
    let from = others.choose(rng).copied()?;
    Some(PlanChange {
        from,
        from_statement: rng.gen_range(2..=10),
    })
}

const TICKETS: &[(&str, &str, &str)] = &[
    (
        "technical",
        "Internet drops every evening",
        "My connection drops several times every evening around 8 pm. Restarting the router helps for a while.",
    ),
    (
        "technical",
        "Slow Wi-Fi upstairs",
        "Speeds are fine next to the router but very slow in the upstairs bedrooms. Is there anything you can do?",
    ),
    (
        "technical",
        "Router light blinking orange",
        "Since this morning the light on the router blinks orange and nothing connects.",
    ),
    (
        "billing",
        "Question about my latest statement",
        "My latest statement is higher than usual. Could you explain the charges?",
    ),
    (
        "billing",
        "Please send statements to a different email",
        "I would like my statements to go to my work email from now on.",
    ),
    (
        "general",
        "Moving house next month",
        "We are moving next month. Can the service move with us, and what do I need to do?",
    ),
    (
        "general",
        "Faster plans at my address?",
        "Are faster plans available at my address yet?",
    ),
];

fn draw_ticket(rng: &mut ChaCha8Rng) -> TicketDraft {
    let (category, subject, body) = pick(rng, TICKETS);
    let priority = match rng.gen_range(0..50) {
        0..=4 => "low",
        5..=44 => "normal",
        45..=48 => "high",
        _ => "urgent",
    };
    let opened_days_ago = rng.gen_range(1..=180);
    let roll = rng.gen_range(0..100);
    let resolved_after_days = (roll >= 20).then(|| rng.gen_range(1..=6));
    TicketDraft {
        category,
        subject,
        body,
        priority,
        opened_days_ago,
        resolved_after_days,
        pending: (12..20).contains(&roll),
        closed: roll >= 85,
    }
}
