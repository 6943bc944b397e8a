//! Robustness of every Checkout.com response parser: arbitrary bytes and mutated real-shaped
//! answers never panic, always come back as `Ok` or a typed [`ConnectorError`], and keep the
//! promises callers rely on (a 2xx we cannot read on a mutating call is `outcome_unknown`,
//! negative balances are refused, a webhook is only parsed once its signature checks out).
//!
//! Failing inputs are shrunk and printed by proptest; add them to the samples below once fixed.

#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;

use paybridge_checkout::{Checkout, SIGNATURE_HEADER};
use paybridge_core::http::{Exchange, HeaderMap, HeaderValue, HttpResponse, Step};
use paybridge_core::webhook::hmac_sha256;
use paybridge_core::*;
use paybridge_testkit::mutation::{arbitrary_body, edits, mutate, mutated_answer, Sample};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};

const WEBHOOK_SECRET: &str = "whsec_robustness";

/// 256 cases per property keeps the whole file at a few seconds in a debug build; set
/// `PROPTEST_CASES` for a longer hunt.
fn config() -> ProptestConfig {
    let default = ProptestConfig::default();
    ProptestConfig {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            default.cases
        } else {
            256
        },
        // Shrunk failures are printed; nothing is written next to the sources.
        failure_persistence: None,
        ..default
    }
}

static CHECKOUT: LazyLock<Checkout> = LazyLock::new(|| {
    let mut config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "sk_sbox_test");
    config
        .extra
        .insert("processing_channel_id".into(), "pc_test".into());
    config.webhook_secrets = WebhookSecrets::new([WEBHOOK_SECRET]);
    Checkout::new(&config).unwrap()
});

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Real-shaped Checkout.com answers (fields as in its API reference, ids made up).

const PAYMENT_APPROVED: Sample = Sample {
    status: 201,
    body: r#"{"id":"pay_mbabizu24mvu3mela5njyhpit4","action_id":"act_mbabizu24mvu3mela5njyhpit4","amount":6540,"currency":"USD","approved":true,"status":"Authorized","auth_code":"770687","response_code":"10000","response_summary":"Approved","expires_on":"2030-01-09T11:15:23Z","3ds":{"downgraded":false,"enrolled":"Y"},"risk":{"flagged":false,"score":12},"balances":{"total_authorized":6540,"total_voided":0,"available_to_void":6540,"total_captured":0,"available_to_capture":6540,"total_refunded":0,"available_to_refund":0},"source":{"type":"card","id":"src_nwd3m4in3hkuddfpjsaevunhdy","expiry_month":6,"expiry_year":2031,"scheme":"Visa","last4":"4242","fingerprint":"F31828E2BDABAE63EB694903825CDD36041CC6ED461440B81415895855502832","bin":"424242","card_type":"CREDIT","issuer_country":"US","avs_check":"S","cvv_check":"Y"},"customer":{"id":"cus_y3oqhf46pyzuxjbcn2giaqnb44","email":"j.smith@example.com"},"processed_on":"2024-03-10T10:11:12Z","reference":"ORD-5023-4E89","processing":{"retrieval_reference_number":"909913440644","acquirer_transaction_id":"440644309099499894406"},"eci":"05","scheme_id":"489341065491658","_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"},"action":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/actions"},"capture":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/captures"},"void":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/voids"}}}"#,
};

const PAYMENT_DECLINED: Sample = Sample {
    status: 201,
    body: r#"{"id":"pay_qkqmwl2wtaxehjeagtvuvumbnq","action_id":"act_qkqmwl2wtaxehjeagtvuvumbnq","amount":6540,"currency":"USD","approved":false,"status":"Declined","response_code":"20051","response_summary":"Insufficient Funds","risk":{"flagged":false},"source":{"type":"card","scheme":"Mastercard","last4":"4444"},"processed_on":"2024-03-10T10:11:12Z","reference":"ORD-5023-4E89","_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_qkqmwl2wtaxehjeagtvuvumbnq"}}}"#,
};

const PAYMENT_PENDING_3DS: Sample = Sample {
    status: 202,
    body: r#"{"id":"pay_rabjugm7oqxuhdpqaoigvbbnny","status":"Pending","reference":"ORD-5023-4E89","customer":{"id":"cus_y3oqhf46pyzuxjbcn2giaqnb44"},"3ds":{"downgraded":false,"enrolled":"Y"},"_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_rabjugm7oqxuhdpqaoigvbbnny"},"redirect":{"href":"https://3ds2-sandbox.ckotech.co/interceptor/3ds_uwcxyyhf3alevdmhkbfscpjbbq"}}}"#,
};

const PAYMENT_DETAILS: Sample = Sample {
    status: 200,
    body: r#"{"id":"pay_mbabizu24mvu3mela5njyhpit4","requested_on":"2024-03-10T10:11:10Z","source":{"type":"card","scheme":"Visa","last4":"4242"},"amount":6540,"amount_requested":6540,"currency":"USD","payment_type":"Regular","reference":"ORD-5023-4E89","status":"Partially Captured","approved":true,"expires_on":"2030-01-09T11:15:23Z","balances":{"total_authorized":6540,"total_voided":0,"available_to_void":0,"total_captured":3000,"available_to_capture":3540,"total_refunded":0,"available_to_refund":3000},"scheme_id":"489341065491658","_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"},"actions":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/actions"}}}"#,
};

const AUTHORIZATION: Sample = Sample {
    status: 201,
    body: r#"{"action_id":"act_y3oqhf46pyzuxjbcn2giaqnb44","amount":2500,"currency":"USD","approved":true,"status":"Authorized","auth_code":"503198","response_code":"10000","response_summary":"Approved","expires_on":"2030-01-16T11:15:23Z","balances":{"total_authorized":7500,"total_voided":0,"available_to_void":7500,"total_captured":0,"available_to_capture":7500,"total_refunded":0,"available_to_refund":0},"processed_on":"2024-03-10T10:12:00Z","reference":"ORD-5023-4E89","_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"}}}"#,
};

const AUTHORIZATION_DECLINED: Sample = Sample {
    status: 201,
    body: r#"{"action_id":"act_kk2lbi5yw4ceznt4kdhxbeyj5a","amount":2500,"currency":"USD","approved":false,"status":"Declined","response_code":"20005","response_summary":"Declined - Do Not Honour","processed_on":"2024-03-10T10:12:00Z"}"#,
};

const ACCEPTED: Sample = Sample {
    status: 202,
    body: r#"{"action_id":"act_ddgxwrsdlqmuhc4rskwqsroqyy","reference":"ORD-5023-4E89","_links":{"payment":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"}}}"#,
};

const ACTIONS: Sample = Sample {
    status: 200,
    body: r#"[{"id":"act_r2","type":"Refund","processed_on":"2024-03-11T09:00:00Z","amount":1000,"approved":true,"response_code":"10000","response_summary":"Approved","reference":"RF-1"},{"id":"act_c1","type":"Capture","processed_on":"2024-03-10T11:00:00Z","amount":3000,"approved":true,"response_code":"10000","response_summary":"Approved","processing":{"acquirer_reference_number":"24012301234567890123456"}},{"id":"act_mbabizu24mvu3mela5njyhpit4","type":"Authorization","processed_on":"2024-03-10T10:11:12Z","amount":6540,"approved":true,"auth_code":"770687","response_code":"10000","response_summary":"Approved"}]"#,
};

/// `GET /payments?reference=ORD-5023-4E89`: a decoy, the payment, an older one.
const PAYMENT_LIST: Sample = Sample {
    status: 200,
    body: r#"{"limit":100,"skip":0,"total_count":3,"data":[{"id":"pay_decoyzzzzzzzzzzzzzzzzzzzzzz","requested_on":"2024-03-10T10:12:00Z","amount":100,"currency":"USD","reference":"ORD-5023-4E89-2","status":"Authorized","approved":true,"_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_decoyzzzzzzzzzzzzzzzzzzzzzz"},"actions":{"href":"https://api.sandbox.checkout.com/payments/pay_decoyzzzzzzzzzzzzzzzzzzzzzz/actions"}}},{"id":"pay_mbabizu24mvu3mela5njyhpit4","requested_on":"2024-03-10T10:11:12Z","source":{"type":"card","scheme":"Visa","last4":"4242","bin":"424242"},"amount":6540,"currency":"USD","payment_type":"Regular","reference":"ORD-5023-4E89","status":"Captured","approved":true,"balances":{"total_authorized":6540,"total_captured":6540,"available_to_refund":6540},"metadata":{"order":"5023"},"_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4"},"actions":{"href":"https://api.sandbox.checkout.com/payments/pay_mbabizu24mvu3mela5njyhpit4/actions"}}},{"id":"pay_olderzzzzzzzzzzzzzzzzzzzzzz","requested_on":"2024-03-09T10:11:12Z","amount":6540,"currency":"USD","reference":"ORD-5023-4E89","status":"Declined","approved":false,"_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_olderzzzzzzzzzzzzzzzzzzzzzz"},"actions":{"href":"https://api.sandbox.checkout.com/payments/pay_olderzzzzzzzzzzzzzzzzzzzzzz/actions"}}}]}"#,
};

/// A full first page without the payment: the lookup asks for the next one.
const PAYMENT_LIST_MORE: Sample = Sample {
    status: 200,
    body: r#"{"limit":100,"skip":0,"total_count":250,"data":[{"id":"pay_decoyzzzzzzzzzzzzzzzzzzzzzz","requested_on":"2024-03-10T10:12:00Z","amount":100,"currency":"USD","reference":"ORD-5023-4E89-2","status":"Authorized","approved":true,"_links":{"self":{"href":"https://api.sandbox.checkout.com/payments/pay_decoyzzzzzzzzzzzzzzzzzzzzzz"},"actions":{"href":"https://api.sandbox.checkout.com/payments/pay_decoyzzzzzzzzzzzzzzzzzzzzzz/actions"}}}]}"#,
};

const VALIDATION_ERROR: Sample = Sample {
    status: 422,
    body: r#"{"request_id":"0HL80RJLS76I7","error_type":"request_invalid","error_codes":["payment_source_required","amount_invalid"]}"#,
};

const UNAUTHORIZED: Sample = Sample {
    status: 401,
    body: "",
};

const ACTION_NOT_ALLOWED: Sample = Sample {
    status: 403,
    body: r#"{"request_id":"0HM4LQ2ST1C9N","error_type":"action_not_allowed","error_codes":["capture_not_allowed"]}"#,
};

const NOT_FOUND: Sample = Sample {
    status: 404,
    body: "",
};

const RATE_LIMITED: Sample = Sample {
    status: 429,
    body: r#"{"request_id":"0HM4LQ2ST1C9P","error_type":"too_many_requests","error_codes":["too_many_requests"]}"#,
};

const BAD_GATEWAY: Sample = Sample {
    status: 502,
    body: "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>",
};

const ERRORS: [Sample; 6] = [
    VALIDATION_ERROR,
    UNAUTHORIZED,
    ACTION_NOT_ALLOWED,
    NOT_FOUND,
    RATE_LIMITED,
    BAD_GATEWAY,
];

const EVERY_SAMPLE: [Sample; 16] = [
    PAYMENT_LIST,
    PAYMENT_LIST_MORE,
    PAYMENT_APPROVED,
    PAYMENT_DECLINED,
    PAYMENT_PENDING_3DS,
    PAYMENT_DETAILS,
    AUTHORIZATION,
    AUTHORIZATION_DECLINED,
    ACCEPTED,
    ACTIONS,
    VALIDATION_ERROR,
    UNAUTHORIZED,
    ACTION_NOT_ALLOWED,
    NOT_FOUND,
    RATE_LIMITED,
    BAD_GATEWAY,
];

const WEBHOOKS: [&str; 4] = [
    r#"{"id":"evt_az5sblvku4ge3dwpztvyizgcau","type":"payment_captured","version":"1.0.0","created_on":"2024-03-10T11:00:01Z","data":{"id":"pay_mbabizu24mvu3mela5njyhpit4","action_id":"act_c1","amount":3000,"currency":"USD","processed_on":"2024-03-10T11:00:00Z","reference":"ORD-5023-4E89","response_code":"10000","response_summary":"Approved","balances":{"total_authorized":6540,"total_voided":0,"available_to_void":0,"total_captured":3000,"available_to_capture":3540,"total_refunded":0,"available_to_refund":3000},"metadata":{"order":"5023"}},"_links":{"self":{"href":"https://api.sandbox.checkout.com/workflows/events/evt_az5sblvku4ge3dwpztvyizgcau"}}}"#,
    r#"{"id":"evt_3nqmhrcvjmhuzoymtinvuqm7ra","type":"payment_declined","version":"1.0.0","created_on":"2024-03-10T10:11:13Z","data":{"id":"pay_qkqmwl2wtaxehjeagtvuvumbnq","action_id":"act_qkqmwl2wtaxehjeagtvuvumbnq","amount":6540,"currency":"USD","response_code":"20051","response_summary":"Insufficient Funds","source":{"type":"card","scheme":"Mastercard"}}}"#,
    r#"{"id":"evt_dli6ty4yt4le3fkfqu2rjv3jhi","type":"payment_refunded","version":"1.0.0","created_on":"2024-03-11T09:00:01Z","data":{"id":"pay_mbabizu24mvu3mela5njyhpit4","action_id":"act_r2","amount":1000,"currency":"USD","response_code":"10000"}}"#,
    r#"{"id":"evt_lb2ql3dxhyjuxnnghuacv2w3wq","type":"dispute_evidence_required","version":"1.0.0","created_on":"2024-03-20T09:00:01Z","data":{"id":"dsp_rbhwd2qrg13uhrp2newf","amount":6540,"currency":"USD","reason_code":"10.4"}}"#,
];

// ---------------------------------------------------------------------------------------------
// The flows, each built from a valid request and mapped to one answer type.

/// One flow the translator implements, with the request the tests send through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Authorize,
    IncrementAuthorization,
    ExtendAuthorization,
    Capture,
    Void,
    CancelPostCapture,
    Refund,
    SyncPayment,
    SyncRefund,
    FindPayment,
    FindRefund,
    CompleteAuthorize,
}

/// Any flow's answer, so one checker can look at all of them.
#[derive(Debug)]
enum Answer {
    Payment(PaymentResponse),
    Increment(IncrementalAuthorizationResponse),
    Extend(ExtendAuthorizationResponse),
    Capture(CaptureResponse),
    Void(VoidResponse),
    Refund(RefundResponse),
    CancelPostCapture(CancelPostCaptureResponse),
    Lookup(PaymentLookupResponse),
    RefundLookup(RefundLookupResponse),
}

/// A parse's result: `None` for a request for another call (only a payment lookup may ask
/// for one: its next page).
type Outcome = Result<Option<Answer>, ConnectorError>;

const CURRENT_AUTHORIZED: i64 = 5000;
const NEW_TOTAL: i64 = 7500;
const CAPTURE_AMOUNT: i64 = 3000;
const REFUND_AMOUNT: i64 = 1000;
const SYNCED_REFUND: &str = "act_r2";

impl Op {
    /// The flow's own 2xx answers.
    fn successes(self) -> &'static [Sample] {
        match self {
            // The 202 of a 3DS payment carries no amount or currency: only `POST /payments`
            // answers it, and the request's currency fills in.
            Op::Authorize => &[PAYMENT_APPROVED, PAYMENT_DECLINED, PAYMENT_PENDING_3DS],
            Op::SyncPayment | Op::CompleteAuthorize => {
                &[PAYMENT_DETAILS, PAYMENT_APPROVED, PAYMENT_DECLINED]
            }
            Op::IncrementAuthorization | Op::ExtendAuthorization => {
                &[AUTHORIZATION, AUTHORIZATION_DECLINED]
            }
            Op::Capture | Op::Void | Op::CancelPostCapture | Op::Refund => &[ACCEPTED],
            Op::SyncRefund | Op::FindRefund => &[ACTIONS],
            Op::FindPayment => &[PAYMENT_LIST, PAYMENT_LIST_MORE],
        }
    }

    fn exchange(self) -> Exchange<Answer> {
        let checkout = &*CHECKOUT;
        let key = || IdempotencyKey::new("robustness-key").unwrap();
        let built = match self {
            Op::Authorize => {
                let card = PaymentMethod::Card(Card {
                    number: CardNumber::new("4242424242424242").unwrap(),
                    expiry: CardExpiry::new(6, 2031).unwrap(),
                    cvc: Some(Cvc::new("100").unwrap()),
                    holder_name: Some("J Smith".into()),
                });
                let mut req = AuthorizeRequest::new(m(6540), Currency::USD, card, "ORD-5023-4E89");
                req.capture_method = CaptureMethod::Manual;
                req.request_incremental_authorization = true;
                checkout.authorize(&req).map(|e| e.map(Answer::Payment))
            }
            Op::IncrementAuthorization => checkout
                .increment_authorization(&IncrementalAuthorizationRequest {
                    idempotency_key: key(),
                    connector_payment_id: "pay_mbabizu24mvu3mela5njyhpit4".into(),
                    currency: Currency::USD,
                    current_authorized: m(CURRENT_AUTHORIZED),
                    new_total: m(NEW_TOTAL),
                    reason: None,
                    card_network: Some(CardNetwork::Visa),
                })
                .map(|e| e.map(Answer::Increment)),
            Op::ExtendAuthorization => checkout
                .extend_authorization(&ExtendAuthorizationRequest {
                    idempotency_key: key(),
                    connector_payment_id: "pay_mbabizu24mvu3mela5njyhpit4".into(),
                    currency: Currency::USD,
                    card_network: Some(CardNetwork::Mastercard),
                })
                .map(|e| e.map(Answer::Extend)),
            Op::Capture => {
                let mut req = CaptureRequest::new(
                    "pay_mbabizu24mvu3mela5njyhpit4",
                    Currency::USD,
                    Some(m(CAPTURE_AMOUNT)),
                );
                req.final_capture = false;
                checkout.capture(&req).map(|e| e.map(Answer::Capture))
            }
            Op::Void => checkout
                .void(&VoidRequest {
                    idempotency_key: key(),
                    connector_payment_id: "pay_mbabizu24mvu3mela5njyhpit4".into(),
                    reason: None,
                })
                .map(|e| e.map(Answer::Void)),
            Op::CancelPostCapture => checkout
                .cancel_post_capture(&CancelPostCaptureRequest {
                    reference: None,
                    idempotency_key: key(),
                    connector_payment_id: "pay_mbabizu24mvu3mela5njyhpit4".into(),
                    currency: Currency::USD,
                    amount_captured: m(CAPTURE_AMOUNT),
                    reason: None,
                })
                .map(|e| e.map(Answer::CancelPostCapture)),
            Op::Refund => checkout
                .refund(&RefundRequest::new(
                    "pay_mbabizu24mvu3mela5njyhpit4",
                    Currency::USD,
                    Some(m(REFUND_AMOUNT)),
                ))
                .map(|e| e.map(Answer::Refund)),
            Op::SyncPayment => checkout
                .sync_payment(&PaymentSyncRequest {
                    connector_payment_id: "pay_mbabizu24mvu3mela5njyhpit4".into(),
                    capture_method: CaptureMethod::Manual,
                })
                .map(|e| e.map(Answer::Payment)),
            Op::SyncRefund => checkout
                .sync_refund(&RefundSyncRequest {
                    connector_payment_id: "pay_mbabizu24mvu3mela5njyhpit4".into(),
                    connector_refund_id: SYNCED_REFUND.into(),
                })
                .map(|e| e.map(Answer::Refund)),
            Op::FindPayment => checkout
                .find_payment(&PaymentLookupRequest::new("ORD-5023-4E89"))
                .map(|e| e.map(Answer::Lookup)),
            Op::FindRefund => checkout
                .find_refund(&RefundLookupRequest {
                    connector_payment_id: "pay_mbabizu24mvu3mela5njyhpit4".into(),
                    reference: "RF-1".into(),
                })
                .map(|e| e.map(Answer::RefundLookup)),
            Op::CompleteAuthorize => checkout
                .complete_authorize(&CompleteAuthorizeRequest {
                    idempotency_key: key(),
                    connector_payment_id: "pay_rabjugm7oqxuhdpqaoigvbbnny".into(),
                    capture_method: CaptureMethod::Automatic,
                    redirect_params: Default::default(),
                })
                .map(|e| e.map(Answer::Payment)),
        };
        built.unwrap_or_else(|e| panic!("{self:?}: a valid request was refused: {e}"))
    }

    /// Builds the exchange and feeds it `status` and `body`. Every Checkout flow but the
    /// payment lookup is a single call, so a `Step::Next` is itself a failure for them. Also
    /// says whether the request was mutating.
    fn parse(self, status: u16, body: impl Into<bytes::Bytes>) -> (bool, Outcome) {
        let exchange = self.exchange();
        let mutating = exchange.request().is_mutating();
        let outcome = exchange
            .parse(HttpResponse::new(status, body))
            .map(|step| match step {
                Step::Done(answer) => Some(answer),
                Step::Next(_) => None,
            });
        (mutating, outcome)
    }

    /// Parses and checks what must hold whatever the processor answered.
    fn parse_and_check(self, status: u16, body: Vec<u8>) -> Result<(), TestCaseError> {
        let (mutating, outcome) = self.parse(status, body);
        self.check(status, mutating, outcome)
    }

    fn check(self, status: u16, mutating: bool, outcome: Outcome) -> Result<(), TestCaseError> {
        let success = (200..300).contains(&status);
        match outcome {
            Ok(None) if self == Op::FindPayment => {
                prop_assert!(success, "{self:?}: HTTP {status} asked for another page");
                Ok(())
            }
            Ok(None) => Err(TestCaseError::fail(format!(
                "{self:?} is one call but asked for another"
            ))),
            Ok(Some(answer)) => {
                prop_assert!(success, "{self:?}: HTTP {status} gave Ok({answer:?})");
                self.check_answer(&answer)
            }
            Err(error) if success => {
                // The processor acted (2xx) but we could not read what it did.
                prop_assert!(
                    matches!(error, ConnectorError::InvalidResponse { http_status, .. } if http_status == status),
                    "{self:?}: HTTP {status} gave {error:?}"
                );
                if mutating {
                    prop_assert!(
                        error.outcome_unknown(),
                        "{self:?}: unreadable {status} must leave the outcome unknown: {error:?}"
                    );
                }
                Ok(())
            }
            Err(error) if (300..400).contains(&status) => {
                // Redirects are never followed: nothing was processed at this URL.
                prop_assert!(
                    matches!(error, ConnectorError::InvalidResponse { http_status, .. } if http_status == status),
                    "{self:?}: HTTP {status} gave {error:?}"
                );
                prop_assert!(!error.outcome_unknown(), "{self:?}: {error:?}");
                Ok(())
            }
            Err(error) => {
                // An error status is always a typed rejection, whatever its body.
                prop_assert_eq!(error.http_status(), Some(status), "{:?}", error);
                prop_assert!(
                    !matches!(error, ConnectorError::InvalidResponse { .. }),
                    "{self:?}: an error body must never fail as unparsable: {error:?}"
                );
                if mutating && (500..600).contains(&status) {
                    prop_assert!(error.outcome_unknown(), "{self:?}: {error:?}");
                }
                if (400..500).contains(&status) {
                    prop_assert!(!error.outcome_unknown(), "{self:?}: {error:?}");
                }
                Ok(())
            }
        }
    }

    /// Consistency of a successful answer with the request it answers.
    fn check_answer(self, answer: &Answer) -> Result<(), TestCaseError> {
        match (self, answer) {
            (Op::Authorize | Op::SyncPayment | Op::CompleteAuthorize, Answer::Payment(p)) => {
                if p.status == PaymentStatus::Failed {
                    prop_assert!(p.decline.is_some(), "a failed payment says why: {p:?}");
                }
                if p.incremental_authorization_allowed.is_some() {
                    prop_assert_eq!(p.status, PaymentStatus::RequiresCapture);
                }
            }
            (Op::IncrementAuthorization, Answer::Increment(r)) => {
                prop_assert_eq!(r.previously_authorized, m(CURRENT_AUTHORIZED));
                match r.status {
                    AuthorizationStatus::Failure => {
                        prop_assert_eq!(r.authorized, r.previously_authorized);
                        prop_assert!(r.decline.is_some());
                    }
                    _ => prop_assert!(r.decline.is_none()),
                }
            }
            (Op::ExtendAuthorization, Answer::Extend(r)) => {
                let applied = r.status == AuthorizationStatus::Success;
                prop_assert_eq!(r.extended_authorization_applied, applied);
                prop_assert_eq!(r.decline.is_some(), !applied);
            }
            (Op::Capture, Answer::Capture(r)) => {
                prop_assert_eq!(r.status, PaymentStatus::Processing);
                prop_assert_eq!(r.amount, Some(m(CAPTURE_AMOUNT)));
            }
            (Op::Void, Answer::Void(r)) => prop_assert_eq!(r.status, PaymentStatus::Processing),
            (Op::Refund, Answer::Refund(r)) => {
                prop_assert_eq!(r.status, RefundStatus::Pending);
                prop_assert_eq!(r.amount, Some(m(REFUND_AMOUNT)));
            }
            (Op::CancelPostCapture, Answer::CancelPostCapture(r)) => {
                prop_assert_eq!(r.status, PaymentStatus::Processing);
                prop_assert_eq!(r.refund.amount, Some(m(CAPTURE_AMOUNT)));
            }
            (Op::SyncRefund, Answer::Refund(r)) => {
                // Whatever the list holds, the answer is about the refund we asked for.
                prop_assert_eq!(r.connector_refund_id.as_str(), SYNCED_REFUND);
            }
            (Op::FindPayment, Answer::Lookup(found)) => {
                if let Some(id) = &found.connector_payment_id {
                    prop_assert!(!id.trim().is_empty());
                }
            }
            (Op::FindRefund, Answer::RefundLookup(found)) => {
                if let Some(r) = &found.refund {
                    prop_assert!(!r.connector_refund_id.trim().is_empty());
                    if r.failure_reason.is_some() {
                        prop_assert_eq!(r.status, RefundStatus::Failed);
                    }
                }
            }
            (op, answer) => {
                return Err(TestCaseError::fail(format!(
                    "{op:?} answered with {answer:?}"
                )))
            }
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Mutations of real answers.

/// Strings Checkout uses for its enums, codes and currencies, plus some it never sends.
const KNOWN_STRINGS: &[&str] = &[
    "Authorized",
    "Captured",
    "Declined",
    "Pending",
    "Partially Captured",
    "Partially Refunded",
    "Refunded",
    "Voided",
    "Canceled",
    "Card Verified",
    "Paid",
    "Expired",
    "Retry Scheduled",
    "10000",
    "10010",
    "20051",
    "200N7",
    "30041",
    "40101",
    "USD",
    "usd",
    "JPY",
    "XXX",
    "US",
    "Visa",
    "Mastercard",
    "American Express",
    "Refund",
    "Capture",
    "Authorization",
    "2030-01-09T11:15:23Z",
    "2030-13-45T99:99:99Z",
    "9999-12-31T23:59:60+23:59",
    "",
];

/// A mutated answer for `op`: mostly one of its own successes, else an error or another
/// flow's answer.
fn mutated_response(op: Op) -> impl Strategy<Value = (u16, Vec<u8>)> {
    let samples = prop_oneof![
        3 => select(op.successes()),
        1 => select(ERRORS.to_vec()),
        1 => select(EVERY_SAMPLE.to_vec()),
    ];
    mutated_answer(samples, KNOWN_STRINGS)
}

macro_rules! flow_properties {
    ($($name:ident => $op:expr),+ $(,)?) => {$(
        mod $name {
            use super::*;

            proptest! {
                #![proptest_config(config())]

                #[test]
                fn arbitrary_bytes(status in 100_u16..600, body in arbitrary_body()) {
                    $op.parse_and_check(status, body)?;
                }

                #[test]
                fn mutated_answers((status, body) in mutated_response($op)) {
                    $op.parse_and_check(status, body)?;
                }
            }
        }
    )+};
}

flow_properties! {
    authorize => Op::Authorize,
    increment_authorization => Op::IncrementAuthorization,
    extend_authorization => Op::ExtendAuthorization,
    capture => Op::Capture,
    void => Op::Void,
    cancel_post_capture => Op::CancelPostCapture,
    refund => Op::Refund,
    sync_payment => Op::SyncPayment,
    sync_refund => Op::SyncRefund,
    find_payment => Op::FindPayment,
    find_refund => Op::FindRefund,
    complete_authorize => Op::CompleteAuthorize,
}

#[test]
fn unmutated_samples_parse_as_expected() {
    // Guards the generators: if the samples stopped parsing, the mutation properties would
    // only ever exercise error paths.
    for op in [
        Op::Authorize,
        Op::IncrementAuthorization,
        Op::ExtendAuthorization,
        Op::Capture,
        Op::Void,
        Op::CancelPostCapture,
        Op::Refund,
        Op::SyncPayment,
        Op::SyncRefund,
        Op::FindPayment,
        Op::FindRefund,
        Op::CompleteAuthorize,
    ] {
        for &sample in op.successes().iter().chain(&ERRORS) {
            let (_, outcome) = op.parse(sample.status, sample.body);
            // A payment lookup's page without the payment asks for the next one.
            let ok = matches!(outcome, Ok(Some(_)))
                || (op == Op::FindPayment && matches!(outcome, Ok(None)));
            assert_eq!(ok, sample.status < 300, "{op:?} {sample:?}: {outcome:?}");
        }
    }
    let found = |sample: Sample| Op::FindPayment.parse(sample.status, sample.body).1;
    assert!(
        matches!(found(PAYMENT_LIST), Ok(Some(Answer::Lookup(PaymentLookupResponse { connector_payment_id: Some(ref id) }))) if id == "pay_mbabizu24mvu3mela5njyhpit4"),
        "{:?}",
        found(PAYMENT_LIST)
    );
    let refund = Op::FindRefund.parse(ACTIONS.status, ACTIONS.body).1;
    assert!(
        matches!(refund, Ok(Some(Answer::RefundLookup(RefundLookupResponse { refund: Some(ref r) }))) if r.connector_refund_id == "act_r2"),
        "{refund:?}"
    );
}

#[test]
fn mutations_reach_the_mapping_code() {
    // Guards the mutation strategy: were every mutated body unreadable, the properties above
    // would never exercise the mapping to unified types.
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    for op in [
        Op::Authorize,
        Op::IncrementAuthorization,
        Op::Capture,
        Op::SyncRefund,
        Op::FindPayment,
        Op::FindRefund,
    ] {
        let strategy = mutated_response(op);
        let (mut ok, mut unreadable) = (0, 0);
        for _ in 0..200 {
            let (status, body) = strategy.new_tree(&mut runner).unwrap().current();
            match op.parse(status, body).1 {
                Ok(_) => ok += 1,
                Err(ConnectorError::InvalidResponse { .. }) => unreadable += 1,
                Err(_) => {}
            }
        }
        assert!(ok >= 20, "{op:?}: only {ok} of 200 mutated answers parsed");
        assert!(
            unreadable >= 20,
            "{op:?}: only {unreadable} of 200 were unreadable"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Amounts.

/// The balance fields the connector maps to unified amounts.
const MAPPED_BALANCES: [&str; 4] = [
    "total_authorized",
    "available_to_capture",
    "total_captured",
    "total_refunded",
];

proptest! {
    #![proptest_config(config())]

    /// `MinorUnit` cannot be negative, so a negative balance must fail the parse rather than be
    /// clamped, dropped or wrapped.
    #[test]
    fn negative_balances_are_refused(
        op in select(vec![Op::Authorize, Op::SyncPayment, Op::CompleteAuthorize, Op::IncrementAuthorization]),
        field in select(MAPPED_BALANCES.to_vec()),
        amount in prop_oneof![Just(i64::MIN), Just(-1_i64), i64::MIN..0],
    ) {
        let sample = if op == Op::IncrementAuthorization { AUTHORIZATION } else { PAYMENT_APPROVED };
        let mut doc: Value = serde_json::from_str(sample.body).unwrap();
        doc["balances"][field] = json!(amount);
        let (mutating, outcome) = op.parse(sample.status, doc.to_string());
        let error = match outcome {
            Err(error) => error,
            Ok(answer) => {
                return Err(TestCaseError::fail(format!("{op:?}: {field} = {amount} gave {answer:?}")))
            }
        };
        prop_assert!(matches!(error, ConnectorError::InvalidResponse { .. }), "{:?}", error);
        if mutating {
            prop_assert!(error.outcome_unknown(), "{:?}", error);
        }
    }

    /// A refund read back never reports an amount other than the one Checkout gave.
    #[test]
    fn refund_sync_reports_the_listed_amount_or_refuses_it(amount in any::<i64>()) {
        let mut doc: Value = serde_json::from_str(ACTIONS.body).unwrap();
        doc[0]["amount"] = json!(amount);
        match Op::SyncRefund.parse(200, doc.to_string()) {
            (_, Ok(Some(Answer::Refund(refund)))) => {
                prop_assert_eq!(refund.amount, MinorUnit::new(amount).ok());
            }
            (_, Err(ConnectorError::InvalidResponse { .. })) => prop_assert!(amount < 0),
            (_, other) => return Err(TestCaseError::fail(format!("{other:?}"))),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Webhooks.

fn deliver(body: &[u8], signature: Option<&str>) -> Result<WebhookEvent, WebhookError> {
    let mut headers = HeaderMap::new();
    if let Some(signature) = signature {
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(signature).unwrap());
    }
    CHECKOUT.verify_webhook(&IncomingWebhook {
        headers: &headers,
        body,
        received_at: time::OffsetDateTime::UNIX_EPOCH,
    })
}

fn sign(body: &[u8]) -> String {
    SignatureEncoding::Hex.encode(&hmac_sha256(WEBHOOK_SECRET.as_bytes(), &[body]))
}

fn mutated_webhook() -> impl Strategy<Value = (&'static str, Vec<u8>)> {
    (select(WEBHOOKS.to_vec()), edits(KNOWN_STRINGS))
        .prop_map(|(original, (values, bytes))| (original, mutate(original, &values, &bytes)))
}

/// What may come of a correctly signed delivery: the body is parsed, so only a mapped event or
/// `MalformedBody`.
fn check_signed(outcome: Result<WebhookEvent, WebhookError>) -> Result<(), TestCaseError> {
    match outcome {
        Ok(event) => {
            use WebhookEventKind as K;
            let failure = matches!(
                event.kind,
                K::AuthorizationFailed
                    | K::AuthorizationIncrementDeclined
                    | K::CaptureFailed
                    | K::VoidFailed
                    | K::RefundFailed
            );
            prop_assert_eq!(event.decline.is_some(), failure, "{:?}", event);
            Ok(())
        }
        Err(WebhookError::MalformedBody(_)) => Ok(()),
        Err(other) => Err(TestCaseError::fail(format!(
            "a signed body must reach the parser: {other:?}"
        ))),
    }
}

#[test]
fn webhook_samples_verify() {
    // Guards the generators, as for the flows: the unmutated events map.
    for body in WEBHOOKS {
        let event = deliver(body.as_bytes(), Some(&sign(body.as_bytes())));
        assert!(event.is_ok(), "{body}: {event:?}");
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn webhook_arbitrary_bytes(body in arbitrary_body()) {
        check_signed(deliver(&body, Some(&sign(&body))))?;
        prop_assert_eq!(
            deliver(&body, None),
            Err(WebhookError::MissingSignature(SIGNATURE_HEADER))
        );
    }

    #[test]
    fn webhook_mutated_events((original, body) in mutated_webhook()) {
        check_signed(deliver(&body, Some(&sign(&body))))?;
        prop_assert_eq!(
            deliver(&body, None),
            Err(WebhookError::MissingSignature(SIGNATURE_HEADER))
        );
        // The original's signature must not vouch for an altered body.
        if body != original.as_bytes() {
            prop_assert_eq!(
                deliver(&body, Some(&sign(original.as_bytes()))),
                Err(WebhookError::InvalidSignature)
            );
        }
    }

    /// A webhook's amount is the one Checkout sent, or absent when it cannot be an amount.
    #[test]
    fn webhook_amounts_are_never_invented(amount in any::<i64>()) {
        let mut doc: Value = serde_json::from_str(WEBHOOKS[0]).unwrap();
        doc["data"]["amount"] = json!(amount);
        let body = doc.to_string().into_bytes();
        match deliver(&body, Some(&sign(&body))) {
            Ok(event) => prop_assert_eq!(event.amount, MinorUnit::new(amount).ok()),
            // A negative amount in a signed event is refused, not dropped.
            Err(WebhookError::MalformedBody(_)) => prop_assert!(amount < 0),
            Err(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
        }
    }
}
