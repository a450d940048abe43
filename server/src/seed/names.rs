//! Small built-in word lists for names, streets and businesses.
//!
//! Plain ASCII letters only, so that an email address made from a name needs no escaping
//! and no transliteration (`maria.garcia.10000042@example.net`).

pub const FIRST_NAMES: &[&str] = &[
    "James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David",
    "Elizabeth", "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas",
    "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa", "Anthony", "Betty",
    "Mark", "Sandra", "Steven", "Ashley", "Paul", "Kimberly", "Andrew", "Emily", "Joshua",
    "Donna", "Kevin", "Michelle", "Brian", "Carol", "Jose", "Maria", "Luis", "Ana", "Wei",
    "Mei", "Hiroshi", "Yuki", "Priya", "Arjun", "Fatima", "Omar", "Chloe", "Ethan", "Olivia",
    "Noah", "Ava", "Liam", "Sofia", "Lucas", "Grace", "Mateo", "Zoe", "Aaliyah", "Jamal",
    "Nia", "Diego", "Camila", "Ivan", "Elena",
];

pub const LAST_NAMES: &[&str] = &[
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
    "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor",
    "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez",
    "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright",
    "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams", "Nelson", "Baker", "Hall",
    "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Chen", "Patel", "Kim", "Singh",
    "Tanaka", "Okafor", "Novak", "Schmidt", "Rossi", "Cohen", "Murphy", "Bennett", "Brooks",
    "Foster", "Hayes", "Morgan",
];

pub const STREET_NAMES: &[&str] = &[
    "Maple", "Oak", "Cedar", "Pine", "Elm", "Willow", "Birch", "Walnut", "Chestnut", "Spruce",
    "Lake", "Hill", "River", "Park", "Meadow", "Sunset", "Highland", "Washington", "Lincoln",
    "Jefferson", "Madison", "Franklin", "Jackson", "Church", "Mill", "Spring", "Ridge",
    "Valley", "Forest", "Harbor", "Prospect", "Union", "Liberty", "Main", "Center", "Market",
    "Orchard", "Fairview", "Greenwood", "Riverside",
];

pub const STREET_SUFFIXES: &[&str] = &[
    "Street", "Avenue", "Road", "Lane", "Drive", "Court", "Boulevard", "Way", "Place", "Terrace",
];

/// What a small business on a business account does, appended to a family name
/// ("Nguyen Dental Care").
pub const BUSINESS_KINDS: &[&str] = &[
    "Plumbing", "Dental Care", "Auto Repair", "Bakery", "Design Studio", "Law Office",
    "Veterinary Clinic", "Coffee Co", "Florist", "Fitness", "Accounting", "Hardware",
    "Pharmacy", "Print Shop", "Realty", "Landscaping",
];
