//! The staff console's pages (`/staff…`): sign-in, account search, and the 360-degree view.

pub mod account;
pub mod adjustments;
pub mod integrations;
pub mod outages;
pub mod reconciliation;
pub mod reports;
pub mod search;
pub mod sign_in;
pub mod tickets;
