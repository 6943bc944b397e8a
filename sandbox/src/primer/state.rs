//! Payments and their state rules, independent of HTTP.

use std::collections::HashMap;

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::cards::{Instrument, Outcome};
use super::ids;

/// Primer's payment statuses (`SETTLING` is never used: captures settle at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Pending,
    Failed,
    Authorized,
    PartiallySettled,
    Settled,
    Declined,
    Cancelled,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "PENDING",
            Status::Failed => "FAILED",
            Status::Authorized => "AUTHORIZED",
            Status::PartiallySettled => "PARTIALLY_SETTLED",
            Status::Settled => "SETTLED",
            Status::Declined => "DECLINED",
            Status::Cancelled => "CANCELLED",
        }
    }
}

/// `paymentMethod.authorizationType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AuthorizationType {
    Estimated,
    Final,
}

impl AuthorizationType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AuthorizationType::Estimated => "ESTIMATED",
            AuthorizationType::Final => "FINAL",
        }
    }
}

/// `statusReason` of a DECLINED or FAILED payment or transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reason {
    pub(crate) kind: &'static str,
    pub(crate) decline_type: &'static str,
    pub(crate) code: &'static str,
    pub(crate) message: &'static str,
}

/// Issuer decline of the declined test cards \[U: type/code catalogue\].
const ISSUER_DECLINE: Reason = Reason {
    kind: "ISSUER_DECLINED",
    decline_type: "SOFT_DECLINE",
    code: "DO_NOT_HONOR",
    message: "Do not honor",
};
/// Processor failure of the failing test cards \[U\].
const PROCESSOR_FAILURE: Reason = Reason {
    kind: "APPLICATION_ERROR",
    decline_type: "SOFT_DECLINE",
    code: "ERROR",
    message: "The processor failed to process the payment",
};
/// A failed 3DS challenge \[U\].
const AUTHENTICATION_FAILED: Reason = Reason {
    kind: "ISSUER_DECLINED",
    decline_type: "HARD_DECLINE",
    code: "AUTHENTICATION_REQUIRED",
    message: "3DS authentication failed",
};

/// `transactions[].transactionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransactionType {
    Sale,
    Refund,
}

/// One processor transaction: the SALE (its status follows the payment) or a REFUND.
#[derive(Debug, Clone)]
pub(crate) struct Transaction {
    pub(crate) date: OffsetDateTime,
    pub(crate) kind: TransactionType,
    pub(crate) amount: i64,
    pub(crate) processor_transaction_id: String,
    pub(crate) status: Status,
    pub(crate) reason: Option<Reason>,
}

/// The 3DS state of a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ThreeDs {
    /// No 3DS for this card.
    NotPerformed,
    /// Frictionless success.
    Frictionless,
    /// Challenge issued; `completed` holds the outcome (success?) and the resume token once the
    /// customer finished it.
    Challenge {
        client_token: String,
        completed: Option<(bool, String)>,
    },
    /// Challenge finished and the payment resumed with this outcome.
    Done { success: bool },
}

/// What `POST /payments` asked for, validated.
#[derive(Debug, Clone)]
pub(crate) struct NewPayment {
    pub(crate) token: String,
    pub(crate) amount: i64,
    pub(crate) currency: String,
    pub(crate) order_id: String,
    pub(crate) customer_id: Option<String>,
    /// `customer`, holding only the fields the document declares.
    pub(crate) customer: Option<Value>,
    /// `order`, likewise.
    pub(crate) order: Option<Value>,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) authorization_type: AuthorizationType,
    pub(crate) payment_type: Option<String>,
    pub(crate) descriptor: Option<String>,
}

/// A payment.
#[derive(Debug, Clone)]
pub(crate) struct Payment {
    pub(crate) id: String,
    pub(crate) date: OffsetDateTime,
    pub(crate) status: Status,
    pub(crate) request: NewPayment,
    pub(crate) instrument: Instrument,
    pub(crate) captured: i64,
    pub(crate) refunded: i64,
    pub(crate) reason: Option<Reason>,
    pub(crate) three_ds: ThreeDs,
    pub(crate) transactions: Vec<Transaction>,
}

/// A payment rule (state or amount) refused the operation: answered 400 `PaymentError` with
/// this description. \[U\]: the v2.2 document's only error id for these operations' 400 is
/// `PaymentError`; the descriptions are ours (see `docs/processors.md` §3.6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Rejection {
    pub(crate) description: String,
}

fn reject(description: String) -> Rejection {
    Rejection { description }
}

impl Payment {
    /// A new payment, processed as the card dictates (authorized, declined, failed or pending
    /// a 3DS challenge). Auto-capture is applied by the caller.
    pub(crate) fn create(request: NewPayment, instrument: Instrument, now: OffsetDateTime) -> Self {
        let mut payment = Payment {
            id: ids::payment_id(),
            date: now,
            status: Status::Pending,
            request,
            instrument,
            captured: 0,
            refunded: 0,
            reason: None,
            three_ds: ThreeDs::NotPerformed,
            transactions: Vec::new(),
        };
        match payment.instrument.outcome {
            Outcome::Challenge => {
                payment.three_ds = ThreeDs::Challenge {
                    client_token: ids::client_token(),
                    completed: None,
                };
            }
            Outcome::Frictionless => {
                payment.three_ds = ThreeDs::Frictionless;
                payment.settle_sale(Status::Authorized, None, now);
            }
            Outcome::Authorize => payment.settle_sale(Status::Authorized, None, now),
            Outcome::Decline => payment.settle_sale(Status::Declined, Some(ISSUER_DECLINE), now),
            Outcome::Fail => payment.settle_sale(Status::Failed, Some(PROCESSOR_FAILURE), now),
        }
        payment
    }

    /// The processor's answer to the SALE: the payment takes `status` and gets its SALE
    /// transaction.
    fn settle_sale(&mut self, status: Status, reason: Option<Reason>, now: OffsetDateTime) {
        self.status = status;
        self.reason = reason.clone();
        self.transactions.push(Transaction {
            date: now,
            kind: TransactionType::Sale,
            amount: self.request.amount,
            processor_transaction_id: ids::processor_transaction_id(),
            status,
            reason,
        });
    }

    /// Moves the payment (and its SALE transaction) to `status`.
    fn set_status(&mut self, status: Status) {
        self.status = status;
        if let Some(sale) = self
            .transactions
            .iter_mut()
            .find(|t| t.kind == TransactionType::Sale)
        {
            sale.status = status;
        }
    }

    /// The 3DS client token while a challenge is outstanding (`requiredAction`).
    pub(crate) fn pending_challenge(&self) -> Option<&str> {
        match (&self.status, &self.three_ds) {
            (Status::Pending, ThreeDs::Challenge { client_token, .. }) => Some(client_token),
            _ => None,
        }
    }

    /// The customer finished the 3DS challenge: returns the resume token for `/resume`.
    pub(crate) fn complete_challenge(&mut self, success: bool) -> Option<String> {
        if self.status != Status::Pending {
            return None;
        }
        match &mut self.three_ds {
            ThreeDs::Challenge { completed, .. } => {
                let token = uuid::Uuid::new_v4().to_string();
                *completed = Some((success, token.clone()));
                Some(token)
            }
            _ => None,
        }
    }

    /// `POST /payments/{id}/resume`.
    pub(crate) fn resume(&mut self, token: &str, now: OffsetDateTime) -> Result<(), Rejection> {
        let completed = match (&self.status, &self.three_ds) {
            (Status::Pending, ThreeDs::Challenge { completed, .. }) => completed.clone(),
            _ => {
                return Err(reject(format!(
                    "Payment {} is {} and not waiting to be resumed",
                    self.id,
                    self.status.as_str()
                )))
            }
        };
        let success = match completed {
            Some((success, expected)) if expected == token => success,
            _ => {
                return Err(reject(format!(
                    "The resume token is not valid for payment {}",
                    self.id
                )))
            }
        };
        self.three_ds = ThreeDs::Done { success };
        if success {
            self.settle_sale(Status::Authorized, None, now);
        } else {
            self.settle_sale(Status::Declined, Some(AUTHENTICATION_FAILED), now);
        }
        Ok(())
    }

    /// `POST /payments/{id}/adjust-authorization` with the new total `amount`: only on an
    /// ESTIMATED, AUTHORIZED payment, and only upwards \[U: decreases\].
    pub(crate) fn adjust(&mut self, amount: i64) -> Result<(), Rejection> {
        if self.request.authorization_type != AuthorizationType::Estimated {
            return Err(reject(format!(
                "Payment {} was not created with authorizationType ESTIMATED",
                self.id
            )));
        }
        if self.status != Status::Authorized {
            return Err(reject(format!(
                "Payment {} is {}: only AUTHORIZED payments can be adjusted",
                self.id,
                self.status.as_str()
            )));
        }
        if amount <= self.request.amount {
            return Err(reject(format!(
                "The new amount {amount} must be greater than the authorized amount {}",
                self.request.amount
            )));
        }
        self.request.amount = amount;
        if let Some(sale) = self
            .transactions
            .iter_mut()
            .find(|t| t.kind == TransactionType::Sale)
        {
            sale.amount = amount;
        }
        Ok(())
    }

    /// `POST /payments/{id}/capture`: `amount` defaults to what is left; `is_final` (default
    /// true) releases the rest.
    pub(crate) fn capture(&mut self, amount: Option<i64>, is_final: bool) -> Result<(), Rejection> {
        if !matches!(self.status, Status::Authorized | Status::PartiallySettled) {
            return Err(reject(format!(
                "Payment {} is {}: only AUTHORIZED or PARTIALLY_SETTLED payments can be captured",
                self.id,
                self.status.as_str()
            )));
        }
        let remaining = self.request.amount - self.captured;
        let amount = amount.unwrap_or(remaining);
        if amount > remaining {
            return Err(reject(format!(
                "Cannot capture {amount}: only {remaining} is left to capture"
            )));
        }
        self.captured += amount;
        let status = if is_final || self.captured == self.request.amount {
            Status::Settled
        } else {
            Status::PartiallySettled
        };
        self.set_status(status);
        Ok(())
    }

    /// `POST /payments/{id}/cancel`: only PENDING or AUTHORIZED (nothing captured yet).
    pub(crate) fn cancel(&mut self) -> Result<(), Rejection> {
        if !matches!(self.status, Status::Pending | Status::Authorized) {
            return Err(reject(format!(
                "Payment {} is {}: only PENDING or AUTHORIZED payments can be cancelled",
                self.id,
                self.status.as_str()
            )));
        }
        self.set_status(Status::Cancelled);
        Ok(())
    }

    /// `POST /payments/{id}/refund`: `amount` defaults to what is captured and not refunded.
    /// The refund settles at once.
    pub(crate) fn refund(
        &mut self,
        amount: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<(), Rejection> {
        let refundable = self.captured - self.refunded;
        if !matches!(self.status, Status::Settled | Status::PartiallySettled) || refundable <= 0 {
            return Err(reject(format!(
                "Payment {} is {} with nothing left to refund",
                self.id,
                self.status.as_str()
            )));
        }
        let amount = amount.unwrap_or(refundable);
        if amount > refundable {
            return Err(reject(format!(
                "Cannot refund {amount}: only {refundable} is left to refund"
            )));
        }
        self.refunded += amount;
        self.transactions.push(Transaction {
            date: now,
            kind: TransactionType::Refund,
            amount,
            processor_transaction_id: ids::processor_transaction_id(),
            status: Status::Settled,
            reason: None,
        });
        Ok(())
    }
}

/// What `POST /client-session` asked for, validated: every field optional, as in the
/// document; nested objects hold their declared fields only.
#[derive(Debug, Clone, Default)]
pub(crate) struct NewClientSession {
    pub(crate) order_id: Option<String>,
    pub(crate) currency: Option<String>,
    pub(crate) amount: Option<i64>,
    pub(crate) customer_id: Option<String>,
    pub(crate) customer: Option<Value>,
    pub(crate) order: Option<Value>,
    pub(crate) metadata: Option<Map<String, Value>>,
    pub(crate) payment_method: Option<Value>,
}

impl NewClientSession {
    /// The session's amount: `amount` when given, else the line items' (`amount` ×
    /// `quantity`, less discounts) plus fees and shipping \[U: how Primer sums them\];
    /// `None` when neither is given.
    pub(crate) fn total(&self) -> Option<i64> {
        if self.amount.is_some() {
            return self.amount;
        }
        let order = self.order.as_ref()?;
        let items = order["lineItems"].as_array()?;
        let int = |v: &Value| v.as_i64().unwrap_or(0);
        let sum = |values: &mut dyn Iterator<Item = i64>| values.fold(0i64, i64::saturating_add);
        let lines = sum(&mut items.iter().map(|i| {
            let quantity = i.get("quantity").map_or(1, int);
            int(&i["amount"])
                .saturating_mul(quantity)
                .saturating_sub(int(&i["discountAmount"]))
        }));
        let fees = order["fees"]
            .as_array()
            .map_or(0, |f| sum(&mut f.iter().map(|f| int(&f["amount"]))));
        let shipping = int(&order["shipping"]["amount"]);
        Some(sum(&mut [lines, fees, shipping].into_iter()).max(0))
    }
}

/// A client session and its client token.
#[derive(Debug, Clone)]
pub(crate) struct ClientSession {
    pub(crate) request: NewClientSession,
    pub(crate) client_token: String,
    pub(crate) expires: OffsetDateTime,
}

/// Everything the simulator remembers.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) payments: HashMap<String, Payment>,
    /// Payment-method tokens and their cards.
    pub(crate) tokens: HashMap<String, Instrument>,
    /// Client sessions by client token.
    pub(crate) client_sessions: HashMap<String, ClientSession>,
}
