//! The staff side: who the staff member is and what their role lets them do.
//!
//! - [`StaffAccess`]: proof that the caller is a signed-in staff member (password and second
//!   factor), with their role; every console query takes one;
//! - [`auth`]: staff sign-in (password, then a TOTP code or a recovery code);
//! - [`totp`]: RFC 6238 codes (the `totp-rs` crate) and recovery codes;
//! - [`totp_keys`]: the keys that seal TOTP secrets at rest, and their rotation;
//! - [`search`]: finding accounts by number, name, email, phone or address;
//! - [`impersonation`]: "view as subscriber", time-boxed and audited;
//! - [`adjustments`]: charges and credits within the role's limit, approvals above it;
//! - [`audit`]: the append-only audit log;
//! - [`integrations`]: the integration API's keys (administrators);
//! - [`reconciliation`] and [`reports`]: billing staff's and administrators' view of the
//!   business: reconciliation runs, and the operators' reports (revenue, receivables,
//!   collections, card payments, disputes and adjustments, usage);
//! - [`console`]: the 360-degree view of an account, notes and interactions (and its
//!   services' connections: `crate::server::network`).

pub mod adjustments;
pub mod audit;
pub mod auth;
pub mod console;
pub mod impersonation;
pub mod integrations;
pub mod outages;
pub mod reconciliation;
pub mod reports;
pub mod search;
pub mod totp;
pub mod totp_keys;

use serde::{Deserialize, Serialize};

use crate::error::AppError;

pub use crate::types::staff::Role;

/// What a role may do beyond reading. Checked in one place, [`StaffAccess::require`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    /// Find accounts, open the 360-degree view, write notes and interactions, view as the subscriber.
    Support,
    /// While viewing as the subscriber, change their plan or take a payment for them.
    AssistedChanges,
    /// Post adjustments and credits (up to the role's limit).
    Adjust,
    /// Reveal and reset a service's connection (PPPoE) password, change its IPoE identifier:
    /// the work of setting up and mending a line, so support reps and administrators, not
    /// billing staff (who see the username, as every role does).
    Network,
    /// Make, rotate and revoke the integration API's keys: what another system may do with
    /// every account, so administrators only.
    Integrations,
    /// See reconciliation runs (what was billed against the network and the supplier's
    /// invoice), export them and resolve their mismatches: billing staff and administrators.
    Reconcile,
    /// See the operators' reports (revenue, receivables, collections, card payments,
    /// disputes and adjustments, usage) and download them: billing staff and
    /// administrators.
    Reports,
}

impl Role {
    pub fn has(self, right: Right) -> bool {
        match right {
            Right::Support => true,
            Right::AssistedChanges | Right::Adjust | Right::Reconcile | Right::Reports => {
                matches!(self, Role::Billing | Role::Admin)
            }
            Right::Network => matches!(self, Role::SupportRep | Role::Admin),
            Right::Integrations => matches!(self, Role::Admin),
        }
    }
}

/// Proof that the caller is a signed-in staff member. Only [`access::require_staff`] makes one.
///
/// [`access::require_staff`]: crate::server::access::require_staff
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffAccess {
    staff_id: i64,
    role: Role,
    name: String,
}

impl StaffAccess {
    pub(crate) fn new(staff_id: i64, role: Role, name: String) -> Self {
        StaffAccess {
            staff_id,
            role,
            name,
        }
    }

    pub fn staff_id(&self) -> i64 {
        self.staff_id
    }

    pub fn role(&self) -> Role {
        self.role
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Refuses (403) unless the role has the right.
    pub fn require(&self, right: Right) -> Result<(), AppError> {
        if self.role.has(right) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// For database tests of the queries alone.
    #[doc(hidden)]
    pub fn for_tests(staff_id: i64, role: Role) -> Self {
        StaffAccess::new(staff_id, role, "Test staff".into())
    }
}
