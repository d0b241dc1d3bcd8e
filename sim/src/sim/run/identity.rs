//! The kernel's identity world: what attackers do outside the exchange (phishing, taking
//! mailboxes over, resetting and exporting the operator's accounts at outside services, cloning
//! the source, harvesting customers' keys), what the mail the exchange sends reaches and exposes,
//! and the breach metrics of identity (accounts taken over, personal records exposed). Ground
//! truth lives in [`People`](crate::sim::people::People),
//! [`Services`](crate::sim::services::Services) and [`Intel`](crate::agents::Intel); the exchange
//! never sees any of them. With `identity.reset_alert = N`, the N-th reset an attacker completes
//! at an outside service (a mail in the operator's inbox) makes the back office raise the alert
//! (`RaiseAlert`, counted as the breach's detection), the one system input path alerts take.
//!
//! Invariants: every outcome is decided from ground truth, the policy and the run's named
//! streams only; an account counts as taken over once, the first time an attacker's request
//! through one of its sessions or keys is accepted; a record counts as exposed once.

use crate::agents::WorldAction;
use crate::audit::Stamp;
use crate::exchange::{Access, Ack, Command, Credential, FundsCommand, Mail, MailKind};
use crate::ledger::UserId;

use super::World;

impl<E: crate::engine::MatchingEngine + Clone> World<'_, E> {
    /// Carries out an agent's action on the world outside the exchange.
    pub(super) fn world_action(&mut self, at: Stamp, action: WorldAction) {
        match action {
            WorldAction::Phish { email, fall_ppm, realtime } => {
                if let Some(phished) = self.people.phish(email, fall_ppm, realtime, at.time_ns) {
                    if !self.intel.phished.iter().any(|p| p.email == email) {
                        self.intel.phished.push(phished);
                    }
                }
            }
            WorldAction::TakeMailbox { email, password } => {
                self.people.take_mailbox(email, password);
            }
            WorldAction::ResetService { service } => {
                let read = self.services.operator().is_some_and(|(u, _)| self.people.mailbox_taken(u));
                let before = self.services.resets();
                self.services.reset(service, read, self.scenario.identity.policy.operator_mailbox_2fa);
                let resets = self.services.resets();
                let alert = self.scenario.identity.reset_alert;
                if resets > before && alert > 0 && resets == alert {
                    // The operator sees the unexpected reset mails in their inbox: the back
                    // office raises the alert (what it does there is `freeze_on_alert`'s).
                    self.custody.breach.detect(at.time_ns);
                    self.system_after(at.time_ns, 0, Command::Funds(FundsCommand::RaiseAlert));
                }
            }
            WorldAction::ExportService { service } => {
                if self.services.export(service) {
                    self.people.expose_customers();
                    self.note_exposed();
                }
            }
            WorldAction::CloneSource => {
                for &(key, user) in self.services.clone_source() {
                    if !self.intel.stolen_keys.iter().any(|&(k, _)| k == key) {
                        self.intel.stolen_keys.push((key, user));
                    }
                }
            }
            WorldAction::HarvestKeys { share_ppm } => {
                for (key, user) in self.services.harvest(share_ppm) {
                    if !self.intel.stolen_keys.iter().any(|&(k, _)| k == key) {
                        self.intel.stolen_keys.push((key, user));
                    }
                    let device = self.people.get(user).and_then(|p| p.device);
                    if let Some(device) = device.filter(|_| !self.intel.devices.iter().any(|&(u, _)| u == user)) {
                        self.intel.devices.push((user, device));
                    }
                }
            }
        }
    }

    /// The records the last delivery or export newly exposed: their addresses are public now,
    /// and the breach metric follows.
    fn note_exposed(&mut self) {
        for &u in self.people.newly_exposed() {
            if let Some(p) = self.people.get(u) {
                self.intel.exposed.push(p.email);
            }
        }
        self.custody.breach.records_exposed = self.people.exposed();
    }

    /// Delivers a message the exchange sent: it reaches its recipients' mailboxes (and whoever
    /// took one over); what it exposed counts in the breach metrics, addresses shown to strangers
    /// become public, and a reset link in a taken-over mailbox is the attacker's.
    pub(super) fn deliver_mail(&mut self, _at: Stamp, mail: &Mail) {
        self.people.deliver(mail);
        self.note_exposed();
        if let (MailKind::ResetLink(token), crate::exchange::Recipients::One(email)) = (mail.kind, mail.to) {
            if self.people.by_email(email).is_some_and(|p| self.people.mailbox_taken(p.user)) {
                self.intel.reset_links.retain(|(e, _)| *e != email);
                self.intel.reset_links.push((email, token));
            }
        }
    }

    /// An attacker's request was accepted through `access`: if it used a session or key of an
    /// account not its own, that account is taken over (counted once), and the attacker now sees
    /// that account's page.
    pub(super) fn note_access(&mut self, client: u32, access: &Access, ack: &Ack) {
        let Some(slot) = self.slots.get(client as usize) else { return };
        if !slot.attacker {
            return;
        }
        let exchange = self.gateway.exchange();
        let victim = match (access.credential, ack) {
            (_, Ack::Session { user, .. }) => Some(*user),
            (Credential::Session(s), _) => exchange.session_user(s),
            (Credential::ApiKey(k), _) => exchange.key_user(k),
            (Credential::Anonymous, _) => None,
        };
        let Some(victim) = victim.filter(|&v| v != slot.user && v != UserId::HOUSE) else { return };
        if self.people.take_over(victim) {
            self.custody.breach.accounts_taken_over = self.people.taken_over();
        }
        let slot = &mut self.slots[client as usize];
        if !slot.victims.contains(&victim) {
            slot.victims.push(victim);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::parse;
    use crate::sim::run::{run, RunResult};
    use crate::units::AssetId;

    /// Customers trading through keys with `scopes` under `policy`, with a thief holding every
    /// key (the source cloned, the keys reachable from it); run for an hour.
    fn keys_world(scopes: &str, policy: &str) -> RunResult {
        keys_world_with(scopes, policy, "")
    }

    /// [`keys_world`] with more `[identity]` fields.
    fn keys_world_with(scopes: &str, policy: &str, identity: &str) -> RunResult {
        let source = format!(
            r#"
name = "keys"
duration = "1h"
[assets.BTC]
decimals = 8
block_interval = "60s"
[assets.USD]
decimals = 2
[markets.BTC-USD]
base = "BTC"
quote = "USD"
tick = "1"
lot = "0.01"
initial_price = "640"
[policy]
operator_mailbox_2fa = false
withdrawal_2fa = false
{policy}
[identity]
operator_password_reused = true
source_ip_restriction = false
keys_in_source = true
{identity}
[custody]
healing = "1h"
[agents.operator]
kind = "mass_mailer"
role = "admin"
[agents.traders]
kind = "noise_trader"
count = 5
market = "BTC-USD"
interval = "1m"
max_size = "0.01"
funding = {{ BTC = "1", USD = "1000" }}
api_key = "{scopes}"
[agents.intruder]
kind = "operator_mailbox_takeover"
interval = "1m"
[agents.thief]
kind = "api_key_thief"
asset = "BTC"
interval = "1m"
"#
        );
        let file = parse(&source, "keys", &[]).unwrap_or_else(|e| panic!("{e}"));
        run(&file.runs[0], None).unwrap()
    }

    #[test]
    fn stolen_withdraw_keys_empty_their_accounts_without_allowlists() {
        let r = keys_world("trade+withdraw", "api_key_withdraw_scope = true\napi_key_ip_allowlist = false");
        assert_eq!(r.breach.accounts_taken_over, 5);
        assert!(r.breach.stolen(AssetId(0)) > 0, "the keys withdraw");
        assert!(r.breach.records_exposed >= 5, "every customer's record was exported");
        assert!(r.markets[0].fills > 0, "the customers traded through their keys");
    }

    #[test]
    fn an_enforced_allowlist_refuses_the_stolen_keys_from_the_thiefs_ip() {
        let r = keys_world("trade+withdraw", "api_key_withdraw_scope = true\napi_key_ip_allowlist = true");
        assert_eq!(r.breach.accounts_taken_over, 0);
        assert_eq!(r.breach.stolen(AssetId(0)), 0);
        assert!(r.markets[0].fills > 0, "the owners' own keys work from their own IPs");
    }

    #[test]
    fn a_key_the_policy_refuses_is_never_created_and_the_client_keeps_its_session() {
        // The withdraw scope is not allowed: set-up falls back to the session, so no key exists
        // server-side for the thief to take, and the customers still trade.
        let r = keys_world("trade+withdraw", "api_key_withdraw_scope = false\napi_key_ip_allowlist = false");
        assert_eq!(r.breach.accounts_taken_over, 0);
        assert_eq!(r.breach.stolen(AssetId(0)), 0);
        assert!(r.markets[0].fills > 0, "the customers trade through their sessions");
        // Trade-only keys are created and taken, but cannot withdraw.
        let r = keys_world("trade", "api_key_withdraw_scope = false\napi_key_ip_allowlist = false");
        assert_eq!(r.breach.accounts_taken_over, 5);
        assert_eq!(r.breach.stolen(AssetId(0)), 0);
    }

    #[test]
    fn reset_mails_raise_the_alert_and_only_the_freeze_policy_stops_the_thief() {
        let keys = "api_key_withdraw_scope = true\napi_key_ip_allowlist = false";
        let r = keys_world_with("trade+withdraw", &format!("{keys}\nfreeze_on_alert = false"), "reset_alert = 2");
        assert!(r.breach.detected_ns.is_some(), "the second reset mail raised the alert");
        assert!(r.breach.stolen(AssetId(0)) > 0, "without the freeze the alert changes nothing else");
        let r = keys_world_with("trade+withdraw", &format!("{keys}\nfreeze_on_alert = true"), "reset_alert = 2");
        assert!(r.breach.detected_ns.is_some());
        assert_eq!(r.breach.stolen(AssetId(0)), 0, "frozen before the keys were cloned");
        assert!(r.breach.records_exposed >= 5, "the exports happened all the same");
        let r = keys_world_with("trade+withdraw", &format!("{keys}\nfreeze_on_alert = true"), "");
        assert_eq!(r.breach.detected_ns, None, "nobody reacts to reset mails by default");
    }
}
