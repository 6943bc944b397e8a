//! A property test: random operations, answers, syncs and webhooks, checked against a small
//! honest model of the processor. The processor keeps its own record (authorized, captured,
//! refunded); its answers, syncs and webhooks tell the truth of that record, and operations
//! reach `begin`/`apply` only when `plan` allowed them, in the driver's order.

use paybridge_core::CancelPostCaptureResponse;
use proptest::prelude::*;
use proptest::test_runner::Config;

mod processor;

use processor::{Processor, Reply, Reports, State};

use super::*;

#[derive(Debug, Clone)]
enum Step {
    /// Capture a percentage of the capturable amount (all of it when `None`).
    Capture {
        percent: Option<u8>,
        final_capture: Option<bool>,
        reply: Reply,
        amounts: bool,
    },
    Void(Reply),
    Increment {
        by: i64,
        reply: Reply,
    },
    CancelPostCapture(Reply),
    /// Refund a percentage of the refundable amount (all of it when `None`).
    Refund {
        percent: Option<u8>,
        reply: Reply,
    },
    Complete(Reply),
    Sync,
    /// The processor decides the oldest thing it left pending.
    Tick {
        approve: bool,
    },
    /// Delivers one of the processor's webhooks, any of them; `again` keeps it for a repeat.
    Deliver {
        pick: usize,
        again: bool,
    },
}

#[derive(Debug, Clone)]
struct Scenario {
    automatic: bool,
    three_ds: bool,
    /// Whether a sync of a payment cancelled post capture reads so (else "succeeded").
    reports_cancelled_post_capture: bool,
    authorize: Reply,
    steps: Vec<Step>,
}

/// The router's side: the payment and what the driver does with it.
struct Driver {
    p: Payment,
    caps: Capabilities,
    processor: Processor,
    ids: u32,
}

impl Driver {
    fn new_id(&mut self) -> String {
        self.ids += 1;
        format!("op_{}", self.ids)
    }

    fn authorize(&mut self, reply: Reply, three_ds: bool) {
        let pr = &mut self.processor;
        let result = match reply {
            Reply::Refused => Err(refused()),
            Reply::UnknownLost => Err(unknown()),
            Reply::Processing => {
                pr.state = State::Pending;
                Ok(pr.response())
            }
            _ if three_ds && reply != Reply::Decline => {
                pr.state = State::Action;
                if reply == Reply::UnknownActed {
                    Err(unknown())
                } else {
                    Ok(pr.response())
                }
            }
            Reply::UnknownActed => {
                pr.authorize(true);
                Err(unknown())
            }
            _ => {
                pr.authorize(reply == Reply::Approve);
                Ok(pr.response())
            }
        };
        apply(&mut self.p, Outcome::Authorized(Answer::of(&result)), NOW);
    }

    /// `sync`: the payment, then its pending refunds the processor named.
    fn sync(&mut self) {
        if plan(&self.p, &Command::Sync, &self.caps).is_err() {
            return;
        }
        apply(
            &mut self.p,
            Outcome::Synced(&self.processor.response()),
            NOW,
        );
        let pending: Vec<String> = self
            .p
            .refunds
            .iter()
            .filter(|r| r.status == RefundStatus::Pending)
            .map(|r| r.id.clone())
            .collect();
        for id in pending {
            self.sync_refund(&id);
        }
    }

    fn sync_refund(&mut self, id: &str) {
        let named = self
            .p
            .refund(id)
            .and_then(|r| r.connector_refund_id.clone());
        if let Some(response) = named.and_then(|c| self.processor.refund_state(&c)) {
            let outcome = Outcome::RefundSynced {
                refund_id: id,
                response: &response,
            };
            apply(&mut self.p, outcome, NOW);
        }
    }

    /// `settle`: one sync after an answer that only accepted the operation.
    fn settle(&mut self) {
        if self.p.status == S::Processing {
            self.sync();
        }
    }

    /// Runs `step`; whether the payment heard from the processor's record (a sync or webhook).
    fn run(&mut self, step: &Step) -> bool {
        match *step {
            Step::Capture {
                percent,
                final_capture,
                reply,
                amounts,
            } => {
                let capturable = self.p.amount_capturable.get();
                let amount = percent.map(|pc| m((capturable * i64::from(pc) / 100).max(1)));
                let command = Command::Capture {
                    amount,
                    final_capture,
                };
                let Ok(plan) = plan(&self.p, &command, &self.caps) else {
                    return false;
                };
                let Plan::Capture {
                    amount,
                    final_capture,
                } = plan
                else {
                    unreachable!("capture planned as {plan:?}")
                };
                let id = self.new_id();
                begin(&mut self.p, &plan, &id, None, Value::Null, NOW);
                let result =
                    self.processor
                        .capture(&id, amount.get(), final_capture, reply, amounts);
                let outcome = Outcome::Captured {
                    capture_id: &id,
                    final_capture,
                    answer: Answer::of(&result),
                };
                apply(&mut self.p, outcome, NOW);
                if matches!(&result, Ok(r) if r.status == S::Processing) {
                    self.settle();
                }
                false
            }
            Step::Void(reply) => {
                let Ok(plan) = plan(&self.p, &Command::Void, &self.caps) else {
                    return false;
                };
                let result = self.processor.void(reply);
                if matches!(Answer::of(&result), Answer::Refused(_)) {
                    return false;
                }
                begin(&mut self.p, &plan, "", None, Value::Null, NOW);
                apply(&mut self.p, Outcome::Voided(Answer::of(&result)), NOW);
                if matches!(&result, Ok(r) if r.status == S::Processing) {
                    self.settle();
                }
                false
            }
            Step::Increment { by, reply } => {
                let new_total = m(self.p.amount.get() + by);
                let command = Command::IncrementAuthorization { new_total };
                let Ok(plan) = plan(&self.p, &command, &self.caps) else {
                    return false;
                };
                let id = self.new_id();
                begin(&mut self.p, &plan, &id, None, Value::Null, NOW);
                let result = self.processor.increment(new_total.get(), reply);
                let outcome = Outcome::Incremented {
                    authorization_id: &id,
                    answer: Answer::of(&result),
                };
                apply(&mut self.p, outcome, NOW);
                false
            }
            Step::CancelPostCapture(reply) => {
                let Ok(plan) = plan(&self.p, &Command::CancelPostCapture, &self.caps) else {
                    return false;
                };
                let Plan::CancelPostCapture { amount } = plan else {
                    unreachable!("cancel post capture planned as {plan:?}")
                };
                let id = self.new_id();
                begin(&mut self.p, &plan, &id, None, Value::Null, NOW);
                let result = self
                    .processor
                    .refund(&id, amount.get(), true, reply)
                    .map(CancelPostCaptureResponse::from_refund);
                let outcome = Outcome::CancelledPostCapture {
                    refund_id: &id,
                    answer: Answer::of(&result),
                };
                apply(&mut self.p, outcome, NOW);
                if matches!(&result, Ok(r) if r.refund.status == RefundStatus::Pending) {
                    self.sync_refund(&id);
                }
                false
            }
            Step::Refund { percent, reply } => {
                let refundable = self.p.refundable().get();
                let amount = percent.map(|pc| m((refundable * i64::from(pc) / 100).max(1)));
                let Ok(plan) = plan(&self.p, &Command::Refund { amount }, &self.caps) else {
                    return false;
                };
                let Plan::Refund { amount } = plan else {
                    unreachable!("refund planned as {plan:?}")
                };
                let id = self.new_id();
                begin(&mut self.p, &plan, &id, None, Value::Null, NOW);
                let result = self.processor.refund(&id, amount.get(), false, reply);
                let outcome = Outcome::Refunded {
                    refund_id: &id,
                    answer: Answer::of(&result),
                };
                apply(&mut self.p, outcome, NOW);
                if matches!(&result, Ok(r) if r.status == RefundStatus::Pending) {
                    self.sync_refund(&id);
                }
                false
            }
            Step::Complete(reply) => match plan(&self.p, &Command::CompleteAuthorize, &self.caps) {
                Ok(Plan::CompleteBySync) => {
                    self.sync();
                    true
                }
                Ok(_) => {
                    let result = self.processor.complete(reply);
                    if !matches!(Answer::of(&result), Answer::Refused(_)) {
                        apply(&mut self.p, Outcome::Completed(Answer::of(&result)), NOW);
                    }
                    false
                }
                Err(_) => false,
            },
            Step::Sync => {
                self.sync();
                true
            }
            Step::Tick { approve } => {
                self.processor.tick(approve);
                false
            }
            Step::Deliver { pick, again } => {
                let outbox = &mut self.processor.outbox;
                if outbox.is_empty() || self.p.connector_transaction_id.is_none() {
                    return false;
                }
                let index = pick % outbox.len();
                let event = if again {
                    outbox[index].clone()
                } else {
                    outbox.remove(index)
                };
                // Not the driver's event-id check: the domain claims repeats are harmless.
                apply(&mut self.p, Outcome::Webhook(&event), NOW);
                true
            }
        }
    }
}

/// The payment's amounts and children, short enough to read in a failure.
fn summary(p: &Payment) -> String {
    let captures: Vec<_> = p
        .captures
        .iter()
        .map(|c| (c.amount.get(), c.status))
        .collect();
    let refunds: Vec<_> = p
        .refunds
        .iter()
        .map(|r| (r.amount.get(), r.status))
        .collect();
    let increments: Vec<_> = p
        .increments
        .iter()
        .map(|i| (i.new_total.get(), i.status))
        .collect();
    format!(
        "{:?} amount {} capturable {} received {}; captures {captures:?} refunds {refunds:?} \
         increments {increments:?}",
        p.status, p.amount, p.amount_capturable, p.amount_received
    )
}

const ENDED: [S; 3] = [S::Cancelled, S::CancelledPostCapture, S::Failed];

/// The rules that hold after every step.
fn check(d: &Driver, before: S, heard_from_processor: bool) -> Result<(), TestCaseError> {
    let p = &d.p;
    prop_assert!(
        p.amount_received <= p.amount,
        "received above the amount: {}",
        summary(p)
    );
    // Holds at the processor by construction (capturable = authorized - received - pending),
    // and the router reserves a capture's amount before calling it.
    prop_assert!(
        p.amount_capturable.get() + p.amount_received.get() <= p.amount.get(),
        "capturable and received above the amount: {}",
        summary(p)
    );
    let refunds: i64 = p
        .refunds
        .iter()
        .filter(|r| r.status != RefundStatus::Failed)
        .map(|r| r.amount.get())
        .sum();
    prop_assert!(
        refunds <= p.amount_received.get(),
        "refunds above what was received: {}",
        summary(p)
    );
    if ENDED.contains(&before) && p.status != before {
        let truth = d.processor.truth();
        prop_assert!(
            heard_from_processor && truth != Some(before),
            "left {before:?} for {:?} while the processor's record reads {truth:?}: {}",
            p.status,
            summary(p)
        );
    }
    Ok(())
}

fn run(scenario: &Scenario, reports: Reports) -> Result<(), TestCaseError> {
    let mut p = created();
    if scenario.automatic {
        p.capture_method = CaptureMethod::Automatic;
    }
    let mut d = Driver {
        p,
        caps: caps(),
        processor: Processor {
            state: State::Unknown,
            automatic: scenario.automatic,
            reports_cancelled_post_capture: scenario.reports_cancelled_post_capture,
            authorized: 0,
            received: 0,
            released: false,
            void_pending: false,
            captures: Vec::new(),
            refunds: Vec::new(),
            increment: None,
            cancel_refund: None,
            outbox: Vec::new(),
            reports,
        },
        ids: 0,
    };
    d.authorize(scenario.authorize, scenario.three_ds);
    check(&d, S::Processing, false)?;
    for step in &scenario.steps {
        let before = d.p.status;
        let heard = d.run(step);
        check(&d, before, heard)?;
    }
    Ok(())
}

fn reply() -> impl Strategy<Value = Reply> {
    prop_oneof![
        4 => Just(Reply::Approve),
        1 => Just(Reply::Decline),
        2 => Just(Reply::Processing),
        1 => Just(Reply::UnknownActed),
        1 => Just(Reply::UnknownLost),
        1 => Just(Reply::Refused),
    ]
}

fn percent() -> impl Strategy<Value = Option<u8>> {
    proptest::option::of(1..=100u8)
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (percent(), proptest::option::of(any::<bool>()), reply(), any::<bool>()).prop_map(
            |(percent, final_capture, reply, amounts)| Step::Capture {
                percent,
                final_capture,
                reply,
                amounts
            }
        ),
        1 => reply().prop_map(Step::Void),
        2 => (1..=1000i64, reply()).prop_map(|(by, reply)| Step::Increment { by, reply }),
        1 => reply().prop_map(Step::CancelPostCapture),
        2 => (percent(), reply()).prop_map(|(percent, reply)| Step::Refund { percent, reply }),
        1 => reply().prop_map(Step::Complete),
        2 => Just(Step::Sync),
        3 => proptest::bool::weighted(0.7).prop_map(|approve| Step::Tick { approve }),
        4 => (0..8usize, any::<bool>()).prop_map(|(pick, again)| Step::Deliver { pick, again }),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        reply(),
        proptest::collection::vec(step(), 0..30),
    )
        .prop_map(
            |(automatic, three_ds, reports_cancelled_post_capture, authorize, steps)| Scenario {
                automatic,
                three_ds,
                reports_cancelled_post_capture,
                authorize,
                steps,
            },
        )
}

proptest! {
    #![proptest_config(Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn amounts_and_ended_states_hold_whatever_the_processor_answers(s in scenario()) {
        let reports = Reports { capture_amounts: false, capture_webhooks: false };
        run(&s, reports)?;
    }

    #[test]
    fn amounts_and_ended_states_hold_with_capture_amounts_and_webhooks(s in scenario()) {
        let reports = Reports { capture_amounts: true, capture_webhooks: true };
        run(&s, reports)?;
    }
}
