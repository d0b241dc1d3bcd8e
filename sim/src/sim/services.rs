//! Outside services in the world (SPEC §2.6: "operator accounts at third-party services hold
//! customer data; their compromise exposes it"): the exchange operator's accounts at payments,
//! invoicing, social, helpdesk, mailing-list and source-hosting services, and the API keys the
//! exchange keeps server-side for its customers — ground truth the exchange never sees.
//!
//! Model (Coinigy, October 2016, INCIDENTS.md): each service account is signed into by the
//! operator's mailbox, so whoever reads that mailbox can reset its password — unless operators'
//! accounts need a second factor (`operator_mailbox_2fa`), which the attacker lacks. A service
//! that holds customer data can then be exported: every customer's record is exposed. Source
//! hosting is reachable from outside only while its IP restriction is lifted
//! (`identity.source_ip_restriction = false`); cloning it gives the attacker the server-side API
//! keys only when the scenario says the keys are reachable from the source
//! (`identity.keys_in_source`: Coinigy's backends were firewalled, so they were not).
//!
//! The server-side key store also answers the other way keys leak (Binance, May 2019): a harvest
//! from customers' own machines, each key holder's key (and their authenticator, relayed in real
//! time) taken with a given probability, drawn from the `identity/harvest` stream.
//!
//! The services' names ([`Service`]) are defined beside the world actions that name them
//! (`agents/action.rs`: agents never reach into `crate::sim`); their state is kept here. An
//! export exposes records as a breach metric (`breach.records_exposed`), not as a violation:
//! the exchange sent nothing, its operator's weak accounts elsewhere did the damage.
//!
//! Invariants: every outcome is a pure function of this state, the policy and the named stream
//! (no other chance); a service is taken over at most once and exported at most once; the key
//! store lists each key once, in the order set-up created them; memory O(keys).

pub use crate::agents::Service;
use crate::exchange::{ApiKeyId, Email};
use crate::ledger::UserId;
use crate::rng::Stream;

/// Where a service's flags are kept.
fn index(service: Service) -> usize {
    service as usize
}

/// What the scenario says about the outside world (`[identity]`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceSettings {
    /// Source hosting refuses connections from outside the company's IPs.
    pub source_ip_restriction: bool,
    /// The server-side API keys can be read with what the source holds (credentials of a
    /// backend reachable from outside).
    pub keys_in_source: bool,
}

/// The outside services, the operator whose mailbox signs into them, and the server-side keys.
#[derive(Clone, Debug)]
pub struct Services {
    settings: ServiceSettings,
    /// The operator whose mailbox the services' accounts belong to (the first staff account).
    operator: Option<(UserId, Email)>,
    /// By [`Service`]: an attacker controls the operator's account there.
    taken: [bool; 6],
    /// By [`Service`]: an attacker exported its data.
    exported: [bool; 6],
    /// Resets an attacker completed (each a mail the operator also receives).
    resets: u32,
    /// The keys the exchange keeps server-side for its customers, in creation order.
    keys: Vec<(ApiKeyId, UserId)>,
    /// Who a harvest reaches: its own stream, so it never shifts other draws.
    harvest: Stream,
}

impl Services {
    pub fn new(settings: ServiceSettings, seed: u64) -> Services {
        Services {
            settings,
            operator: None,
            taken: [false; 6],
            exported: [false; 6],
            resets: 0,
            keys: Vec::new(),
            harvest: Stream::new(seed, "identity/harvest"),
        }
    }

    /// Names the operator whose mailbox signs into every service (set once; later calls are
    /// ignored).
    pub fn set_operator(&mut self, user: UserId, email: Email) {
        self.operator.get_or_insert((user, email));
    }

    /// The operator, if the run has one.
    pub fn operator(&self) -> Option<(UserId, Email)> {
        self.operator
    }

    /// Records a key the exchange created for `user` and keeps server-side.
    pub fn keep_key(&mut self, key: ApiKeyId, user: UserId) {
        if !self.keys.iter().any(|&(k, _)| k == key) {
            self.keys.push((key, user));
        }
    }

    /// The server-side keys, in creation order.
    pub fn keys(&self) -> &[(ApiKeyId, UserId)] {
        &self.keys
    }

    /// An attacker asks `service` for a password reset of the operator's account, the link going
    /// to the operator's mailbox. It works when the attacker reads that mailbox
    /// (`mailbox_read`), the account asks no second factor (`operator_2fa` off) and the service
    /// is reachable (source hosting: only with its IP restriction lifted). Returns whether the
    /// attacker now controls the account (a second reset of one it controls changes nothing).
    pub fn reset(&mut self, service: Service, mailbox_read: bool, operator_2fa: bool) -> bool {
        let i = index(service);
        if self.taken[i] {
            return true;
        }
        let reachable = service != Service::SourceHosting || !self.settings.source_ip_restriction;
        if self.operator.is_none() || !mailbox_read || operator_2fa || !reachable {
            return false;
        }
        self.taken[i] = true;
        self.resets += 1;
        true
    }

    /// Resets completed so far (each one a mail in the operator's inbox).
    pub fn resets(&self) -> u32 {
        self.resets
    }

    /// Whether an attacker controls the operator's account at `service`.
    pub fn taken(&self, service: Service) -> bool {
        self.taken[index(service)]
    }

    /// An attacker exports `service`'s data: whether this exposes every customer's record now
    /// (the attacker controls the account, the service holds customer data, and it was not
    /// exported before).
    pub fn export(&mut self, service: Service) -> bool {
        let i = index(service);
        if !self.taken[i] || !service.holds_customer_data() || self.exported[i] {
            return false;
        }
        self.exported[i] = true;
        true
    }

    /// An attacker clones the source: the server-side keys it reaches (none unless it controls
    /// source hosting and the keys are reachable from the source).
    pub fn clone_source(&self) -> &[(ApiKeyId, UserId)] {
        if self.taken(Service::SourceHosting) && self.settings.keys_in_source {
            &self.keys
        } else {
            &[]
        }
    }

    /// A harvest from customers' machines: each key holder independently with probability
    /// `share_ppm` (from the `identity/harvest` stream, in key order). Returns the keys taken.
    pub fn harvest(&mut self, share_ppm: u32) -> Vec<(ApiKeyId, UserId)> {
        let mut taken = Vec::new();
        for &(key, user) in &self.keys {
            if self.harvest.chance_ppm(share_ppm) {
                taken.push((key, user));
            }
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services(source_ip_restriction: bool, keys_in_source: bool) -> Services {
        let mut s = Services::new(ServiceSettings { source_ip_restriction, keys_in_source }, 1);
        s.set_operator(UserId(1), Email(1));
        s.keep_key(ApiKeyId(3), UserId(2));
        s.keep_key(ApiKeyId(4), UserId(3));
        s.keep_key(ApiKeyId(3), UserId(2));
        s
    }

    #[test]
    fn a_reset_needs_the_mailbox_and_no_second_factor() {
        let mut s = services(false, false);
        assert!(!s.reset(Service::Payments, false, false), "without the mailbox");
        assert!(!s.reset(Service::Payments, true, true), "the operator's account asks a second factor");
        assert_eq!(s.resets(), 0);
        assert!(!s.export(Service::Payments), "nothing to export from an account not taken");
        assert!(s.reset(Service::Payments, true, false));
        assert!(s.reset(Service::Payments, true, false), "still taken");
        assert_eq!(s.resets(), 1, "counted once");
        assert!(s.export(Service::Payments));
        assert!(!s.export(Service::Payments), "exported once");
        assert!(s.reset(Service::Social, true, false));
        assert!(!s.export(Service::Social), "no customer data there");
    }

    #[test]
    fn no_operator_no_reset() {
        let mut s = Services::new(ServiceSettings::default(), 1);
        assert!(!s.reset(Service::Helpdesk, true, false));
        s.set_operator(UserId(4), Email(4));
        s.set_operator(UserId(5), Email(5));
        assert_eq!(s.operator(), Some((UserId(4), Email(4))), "the first operator stays");
    }

    #[test]
    fn source_hosting_is_reachable_only_without_its_ip_restriction() {
        let mut s = services(true, true);
        assert!(!s.reset(Service::SourceHosting, true, false));
        assert!(s.clone_source().is_empty());
        let mut s = services(false, true);
        assert!(s.clone_source().is_empty(), "not taken yet");
        assert!(s.reset(Service::SourceHosting, true, false));
        assert!(!s.export(Service::SourceHosting), "the code holds no customer records");
        assert_eq!(s.clone_source(), &[(ApiKeyId(3), UserId(2)), (ApiKeyId(4), UserId(3))], "each key once");
    }

    #[test]
    fn keys_firewalled_from_the_source_are_not_taken() {
        let mut s = services(false, false);
        assert!(s.reset(Service::SourceHosting, true, false));
        assert!(s.clone_source().is_empty());
    }

    #[test]
    fn a_harvest_takes_each_key_holder_with_its_probability() {
        let mut s = services(true, false);
        assert!(s.harvest(0).is_empty());
        assert_eq!(s.harvest(1_000_000), s.keys().to_vec());
        let mut many = Services::new(ServiceSettings::default(), 7);
        for k in 0..1_000 {
            many.keep_key(ApiKeyId(k), UserId(k));
        }
        let taken = many.harvest(300_000).len();
        assert!((230..=370).contains(&taken), "{taken} of 1000 at 30%");
    }
}
