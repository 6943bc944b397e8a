//! The simulator's transactions, from `/preauth` to the RReq.

use std::collections::HashMap;
use std::time::Instant;

use serde_json::Value;

use super::cards::{Challenge, TestCard};
use super::{ActivitySnapshot, TransactionRecord};

/// One `threeDSServerTransID` and everything that happened to it.
pub(crate) struct Transaction {
    pub id: String,
    pub created: Instant,
    pub card: TestCard,
    pub acct_number: String,
    /// The CRD's `scheme` (from the BIN).
    pub scheme: &'static str,
    /// The directory server: the `/preauth` `ds` when given, else the scheme.
    pub ds: String,
    pub preauth: Value,
    pub crd: Value,
    pub method_invoked: bool,
    pub method_completed: bool,
    pub method_notification_url: Option<String>,
    /// The AReq answered with the ARes; before one, the last AReq naming this transaction.
    pub areq: Option<Value>,
    pub auth: Option<Auth>,
    /// Every `Erro` answered about this transaction, in order.
    pub errors: Vec<Value>,
    /// `/postauth` answers (RReqs) given.
    pub postauth_calls: u32,
}

/// An authentication answered with an ARes.
pub(crate) struct Auth {
    pub ares: Value,
    pub version: String,
    pub category: String,
    pub acs_trans_id: String,
    pub ds_trans_id: String,
    /// The browser's `notificationURL` (empty for an app).
    pub notification_url: String,
    /// For an app authentication (`deviceChannel` `01`): the 3DS SDK's side.
    pub app: Option<AppAuth>,
    pub challenge: Option<ChallengeState>,
}

/// What an app authentication keeps of the AReq for its challenge.
pub(crate) struct AppAuth {
    /// `sdkTransID`.
    pub sdk_trans_id: String,
}

/// A challenge (ARes `C`) and how far it went.
pub(crate) struct ChallengeState {
    pub kind: Challenge,
    /// The first CReq (a browser's only one; an app's opening one).
    pub creq: Option<Value>,
    pub session_data: Option<String>,
    /// An app challenge's CReqs and CRes, in order (empty for a browser).
    pub messages: Vec<Value>,
    /// An app challenge's CReqs received (the next `sdkCounterStoA`).
    pub app_creqs: u32,
    /// An app challenge's `challengeCancel`, when the SDK cancelled it.
    pub cancel: Option<String>,
    pub result: Option<ChallengeResult>,
}

impl ChallengeState {
    /// A challenge of `kind` that nothing has happened to yet.
    pub fn new(kind: Challenge) -> ChallengeState {
        ChallengeState {
            kind,
            creq: None,
            session_data: None,
            messages: Vec::new(),
            app_creqs: 0,
            cancel: None,
            result: None,
        }
    }
}

/// A finished challenge.
pub(crate) struct ChallengeResult {
    pub cres: Value,
    pub rreq: Value,
    /// When the RReq reached the 3DS Server: `/postauth` answers it for `result_ttl`.
    pub at: Instant,
}

/// Every transaction, by `threeDSServerTransID`, and the activity counters.
#[derive(Default)]
pub(crate) struct State {
    pub transactions: HashMap<String, Transaction>,
    /// `threeDSServerTransID`s in creation order.
    pub order: Vec<String>,
    /// `acsTransID` → `threeDSServerTransID`.
    pub by_acs: HashMap<String, String>,
    pub activity: ActivitySnapshot,
}

impl State {
    /// The transaction whose ACS id is `acs_trans_id`.
    pub fn by_acs_mut(&mut self, acs_trans_id: &str) -> Option<&mut Transaction> {
        let id = self.by_acs.get(acs_trans_id)?.clone();
        self.transactions.get_mut(&id)
    }
}

impl Transaction {
    /// What the handle and `GET /sim/transactions/{id}` show.
    pub fn record(&self) -> TransactionRecord {
        let auth = self.auth.as_ref();
        let challenge = auth.and_then(|a| a.challenge.as_ref());
        let result = challenge.and_then(|c| c.result.as_ref());
        TransactionRecord {
            three_ds_server_trans_id: self.id.clone(),
            acct_number: self.acct_number.clone(),
            scheme: self.scheme.to_owned(),
            ds: self.ds.clone(),
            preauth: self.preauth.clone(),
            crd: self.crd.clone(),
            method_invoked: self.method_invoked,
            method_completed: self.method_completed,
            method_notification_url: self.method_notification_url.clone(),
            areq: self.areq.clone(),
            ares: auth.map(|a| a.ares.clone()),
            creq: challenge.and_then(|c| c.creq.clone()),
            three_ds_session_data: challenge.and_then(|c| c.session_data.clone()),
            cres: result.map(|r| r.cres.clone()),
            app_challenge: challenge.map(|c| c.messages.clone()).unwrap_or_default(),
            rreq: result.map(|r| r.rreq.clone()),
            postauth_calls: self.postauth_calls,
            errors: self.errors.clone(),
        }
    }
}
