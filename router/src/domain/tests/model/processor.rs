//! The processor of the property test: its own record of one payment, the answers it gives
//! from that record, and the webhooks it sends of every change.

use paybridge_core::{
    IncrementalAuthorizationResponse, PaymentAmounts, VoidResponse, WebhookEventKind as K,
};

use super::super::*;

/// How the processor answers a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reply {
    Approve,
    Decline,
    /// Accepted; decided later (a `Tick`).
    Processing,
    /// Done at the processor, but the answer was lost.
    UnknownActed,
    /// Lost before the processor saw it.
    UnknownLost,
    /// Refused; nothing done.
    Refused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    /// The processor never saw the payment.
    Unknown,
    Pending,
    Action,
    Authorized,
    Declined,
    Voided,
}

#[derive(Debug, Clone)]
pub(super) struct Record<S> {
    pub(super) id: String,
    pub(super) amount: i64,
    pub(super) status: S,
}

/// The processor's record of one payment.
#[derive(Debug)]
pub(super) struct Processor {
    pub(super) state: State,
    pub(super) automatic: bool,
    pub(super) reports_cancelled_post_capture: bool,
    pub(super) authorized: i64,
    pub(super) received: i64,
    pub(super) released: bool,
    pub(super) void_pending: bool,
    /// Captures with whether each is final.
    pub(super) captures: Vec<(Record<CaptureStatus>, bool)>,
    /// Refunds by the processor's id.
    pub(super) refunds: Vec<Record<RefundStatus>>,
    pub(super) increment: Option<i64>,
    pub(super) cancel_refund: Option<String>,
    pub(super) outbox: Vec<WebhookEvent>,
    pub(super) reports: Reports,
}

/// What the processor tells beyond its answers' statuses. Both break the domain's amount rules
/// today (the ignored test), so the running test turns them off: a capture answer's amounts
/// are taken without its authorized total (an increment whose answer was lost leaves
/// `amount` behind), and `Captured`/`CaptureFailed` settle every pending capture, also one a
/// sync already showed never happened.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reports {
    /// The payment's amounts in capture answers.
    pub(super) capture_amounts: bool,
    /// `Captured` and `CaptureFailed` webhooks.
    pub(super) capture_webhooks: bool,
}

const AMOUNT: i64 = 1000;

impl Processor {
    fn pending_captures(&self) -> i64 {
        self.captures
            .iter()
            .filter(|(c, _)| c.status == CaptureStatus::Pending)
            .map(|(c, _)| c.amount)
            .sum()
    }

    fn capturable(&self) -> i64 {
        if self.state != State::Authorized || self.released {
            return 0;
        }
        self.authorized - self.received - self.pending_captures()
    }

    fn refunded(&self, counted: impl Fn(RefundStatus) -> bool) -> i64 {
        self.refunds
            .iter()
            .filter(|r| counted(r.status))
            .map(|r| r.amount)
            .sum()
    }

    fn cancelled_post_capture(&self) -> bool {
        let refund = |id: &String| self.refunds.iter().find(|r| r.id == *id);
        self.cancel_refund
            .as_ref()
            .and_then(refund)
            .is_some_and(|r| r.status == RefundStatus::Succeeded)
    }

    /// What the record says the payment is.
    pub(super) fn truth(&self) -> Option<S> {
        Some(match self.state {
            State::Unknown => return None,
            State::Pending => S::Processing,
            State::Action => S::RequiresCustomerAction,
            State::Declined => S::Failed,
            State::Voided => S::Cancelled,
            State::Authorized if self.cancelled_post_capture() => S::CancelledPostCapture,
            State::Authorized if self.pending_captures() > 0 || self.void_pending => S::Processing,
            State::Authorized if self.received == 0 => S::RequiresCapture,
            State::Authorized if self.received >= self.authorized => S::Succeeded,
            State::Authorized if self.capturable() > 0 => S::PartiallyCapturedAndCapturable,
            State::Authorized => S::PartiallyCaptured,
        })
    }

    pub(super) fn response(&self) -> PaymentResponse {
        let mut status = self.truth().unwrap_or(S::Failed);
        if status == S::CancelledPostCapture && !self.reports_cancelled_post_capture {
            status = if self.received >= self.authorized {
                S::Succeeded
            } else {
                S::PartiallyCaptured
            };
        }
        let mut r = answer(status, self.authorized, self.capturable(), self.received);
        r.amounts.refunded = m(self.refunded(|s| s == RefundStatus::Succeeded));
        if self.state == State::Action {
            r.next_action = Some(redirect());
        }
        if self.state == State::Declined {
            r.decline = Some(decline());
        }
        r
    }

    fn amounts(&self) -> PaymentAmounts {
        self.response().amounts
    }

    fn emit(&mut self, kind: K, action: Option<&str>, amount: Option<i64>) {
        if !self.reports.capture_webhooks && matches!(kind, K::Captured | K::CaptureFailed) {
            return;
        }
        let mut e = event(kind);
        e.event_id = format!("evt_{}", self.outbox.len() + 1);
        e.connector_action_id = action.map(str::to_owned);
        e.amount = amount.map(m);
        if kind == K::Authorized {
            e.payment_status = Some(S::RequiresCapture);
        }
        if matches!(kind, K::AuthorizationFailed | K::RefundFailed) {
            e.decline = Some(decline());
        }
        self.outbox.push(e);
    }

    pub(super) fn authorize(&mut self, approve: bool) {
        if !approve {
            self.state = State::Declined;
            self.emit(K::AuthorizationFailed, None, None);
            return;
        }
        self.state = State::Authorized;
        self.authorized = AMOUNT;
        self.emit(K::Authorized, None, None);
        if self.automatic {
            self.received = AMOUNT;
            self.emit(K::Captured, None, Some(AMOUNT));
        }
    }

    fn settle_capture(&mut self, index: usize, approve: bool) {
        let (capture, final_capture) = &mut self.captures[index];
        let (amount, id) = (capture.amount, format!("cp_{}", capture.id));
        if approve {
            capture.status = CaptureStatus::Charged;
            self.received += amount;
            self.released |= *final_capture;
            self.emit(K::Captured, Some(&id), Some(amount));
        } else {
            capture.status = CaptureStatus::Failed;
            self.emit(K::CaptureFailed, Some(&id), Some(amount));
        }
    }

    fn settle_increment(&mut self, new_total: i64, approve: bool) {
        self.increment = None;
        if approve {
            self.authorized = new_total;
            self.emit(K::AuthorizationIncremented, None, Some(new_total));
        } else {
            self.emit(K::AuthorizationIncrementDeclined, None, Some(new_total));
        }
    }

    fn settle_refund(&mut self, index: usize, approve: bool) {
        let refund = &mut self.refunds[index];
        refund.status = if approve {
            RefundStatus::Succeeded
        } else {
            RefundStatus::Failed
        };
        let (id, amount) = (refund.id.clone(), refund.amount);
        let kind = if approve {
            K::Refunded
        } else {
            K::RefundFailed
        };
        self.emit(kind, Some(&id), Some(amount));
    }

    /// Decides the oldest pending thing.
    pub(super) fn tick(&mut self, approve: bool) {
        let capture = self
            .captures
            .iter()
            .position(|(c, _)| c.status == CaptureStatus::Pending);
        let refund = self
            .refunds
            .iter()
            .position(|r| r.status == RefundStatus::Pending);
        if matches!(self.state, State::Pending | State::Action) {
            self.authorize(approve);
        } else if let Some(index) = capture {
            self.settle_capture(index, approve);
        } else if self.void_pending {
            self.void_pending = false;
            if approve {
                self.state = State::Voided;
                self.emit(K::Voided, None, None);
            } else {
                self.emit(K::VoidFailed, None, None);
            }
        } else if let Some(new_total) = self.increment {
            self.settle_increment(new_total, approve);
        } else if let Some(index) = refund {
            self.settle_refund(index, approve);
        }
    }

    pub(super) fn capture(
        &mut self,
        id: &str,
        amount: i64,
        final_capture: bool,
        reply: Reply,
        amounts: bool,
    ) -> Result<CaptureResponse, ConnectorError> {
        if reply == Reply::Refused || amount > self.capturable() || self.void_pending {
            return Err(refused());
        }
        if reply == Reply::UnknownLost {
            return Err(unknown());
        }
        let record = Record {
            id: id.to_owned(),
            amount,
            status: CaptureStatus::Pending,
        };
        self.captures.push((record, final_capture));
        let index = self.captures.len() - 1;
        match reply {
            Reply::Approve | Reply::UnknownActed => self.settle_capture(index, true),
            Reply::Decline => self.settle_capture(index, false),
            _ => {}
        }
        if reply == Reply::UnknownActed {
            return Err(unknown());
        }
        let mut r = capture_answer(self.truth().unwrap_or(S::Failed));
        if reply == Reply::Decline {
            r.status = S::Failed;
        }
        let amounts = amounts && self.reports.capture_amounts && reply != Reply::Decline;
        r.amounts = amounts.then(|| self.amounts());
        Ok(r)
    }

    pub(super) fn void(&mut self, reply: Reply) -> Result<VoidResponse, ConnectorError> {
        let voidable = match self.state {
            State::Authorized => self.received == 0 && self.pending_captures() == 0,
            State::Action | State::Pending => true,
            _ => false,
        };
        if reply == Reply::Refused || !voidable || self.void_pending {
            return Err(refused());
        }
        match reply {
            Reply::UnknownLost => return Err(unknown()),
            Reply::Approve | Reply::UnknownActed => {
                self.state = State::Voided;
                self.emit(K::Voided, None, None);
            }
            Reply::Processing => self.void_pending = true,
            _ => {}
        }
        if reply == Reply::UnknownActed {
            return Err(unknown());
        }
        Ok(VoidResponse {
            connector_void_id: None,
            status: self.truth().unwrap_or(S::Failed),
            raw_status: "raw".into(),
        })
    }

    pub(super) fn increment(
        &mut self,
        new_total: i64,
        reply: Reply,
    ) -> Result<IncrementalAuthorizationResponse, ConnectorError> {
        let allowed = self.state == State::Authorized
            && self.received == 0
            && self.pending_captures() == 0
            && self.increment.is_none()
            && !self.void_pending;
        if reply == Reply::Refused || !allowed {
            return Err(refused());
        }
        let before = self.authorized;
        let status = match reply {
            Reply::UnknownLost => return Err(unknown()),
            Reply::Approve | Reply::UnknownActed => {
                self.settle_increment(new_total, true);
                AuthorizationStatus::Success
            }
            Reply::Decline => {
                self.settle_increment(new_total, false);
                AuthorizationStatus::Failure
            }
            _ => {
                self.increment = Some(new_total);
                AuthorizationStatus::Processing
            }
        };
        if reply == Reply::UnknownActed {
            return Err(unknown());
        }
        Ok(IncrementalAuthorizationResponse {
            connector_authorization_id: None,
            status,
            authorized: m(self.authorized),
            previously_authorized: m(before),
            expires_at: None,
            decline: (status == AuthorizationStatus::Failure).then(decline),
            raw_status: "raw".into(),
        })
    }

    /// A refund of `amount` the router names `reference`; `cancel` for cancel post capture.
    pub(super) fn refund(
        &mut self,
        reference: &str,
        amount: i64,
        cancel: bool,
        reply: Reply,
    ) -> Result<RefundResponse, ConnectorError> {
        let refundable = self.received - self.refunded(|s| s != RefundStatus::Failed);
        let allowed = self.state == State::Authorized
            && amount > 0
            && amount <= refundable
            && !(cancel && self.pending_captures() > 0);
        if reply == Reply::Refused || !allowed {
            return Err(refused());
        }
        if reply == Reply::UnknownLost {
            return Err(unknown());
        }
        let id = format!("re_{reference}");
        self.refunds.push(Record {
            id: id.clone(),
            amount,
            status: RefundStatus::Pending,
        });
        let index = self.refunds.len() - 1;
        match reply {
            Reply::Approve | Reply::UnknownActed => self.settle_refund(index, true),
            Reply::Decline => self.settle_refund(index, false),
            _ => self.emit(K::RefundPending, Some(&id), Some(amount)),
        }
        if cancel && reply != Reply::Decline {
            self.cancel_refund = Some(id.clone());
        }
        if reply == Reply::UnknownActed {
            return Err(unknown());
        }
        Ok(self.refund_state(&id).expect("just made"))
    }

    pub(super) fn refund_state(&self, id: &str) -> Option<RefundResponse> {
        let refund = self.refunds.iter().find(|r| r.id == id)?;
        Some(RefundResponse {
            connector_refund_id: id.to_owned(),
            amount: Some(m(refund.amount)),
            ..refund_answer(refund.status)
        })
    }

    pub(super) fn complete(&mut self, reply: Reply) -> Result<PaymentResponse, ConnectorError> {
        if reply == Reply::Refused || self.state == State::Unknown {
            return Err(refused());
        }
        if self.state == State::Action {
            match reply {
                Reply::Approve | Reply::UnknownActed => self.authorize(true),
                Reply::Decline => self.authorize(false),
                // The customer has not finished.
                Reply::Processing => return Ok(answer(S::RequiresCustomerAction, 0, 0, 0)),
                _ => {}
            }
        }
        if matches!(reply, Reply::UnknownActed | Reply::UnknownLost) {
            return Err(unknown());
        }
        Ok(self.response())
    }
}
