//! Robustness of every Stripe response parser: arbitrary bytes and mutated real-shaped answers
//! never panic, always come back as `Ok` or a typed [`ConnectorError`], and keep the promises
//! callers rely on (a 2xx we cannot read on a mutating call is `outcome_unknown`, negative
//! amounts are refused, only a 402 card error on authorize or increment is an `Ok` decline, a
//! webhook is only parsed once its signature checks out). The form encoder is checked too:
//! whatever text a merchant sends comes out of a standard form decoder unchanged.
//!
//! Failing inputs are shrunk and printed by proptest; add them to the samples below once fixed.

#![allow(clippy::unwrap_used)]

use std::sync::LazyLock;

use paybridge_core::http::{Exchange, HeaderMap, HeaderValue, HttpResponse, Step};
use paybridge_core::webhook::hmac_sha256;
use paybridge_core::*;
use paybridge_stripe::{Stripe, SIGNATURE_HEADER};
use paybridge_testkit::mutation::{arbitrary_body, edits, mutate, mutated_answer, Sample};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestCaseError;
use serde_json::{json, Value};

const WEBHOOK_SECRET: &str = "whsec_robustness";
/// When every webhook here is signed and received.
const NOW: i64 = 1_712_000_000;

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

static STRIPE: LazyLock<Stripe> = LazyLock::new(|| {
    let mut config = ConnectorConfig::new("http://sim.test/base/".parse().unwrap(), "sk_test_x");
    config.webhook_secrets = WebhookSecrets::new([WEBHOOK_SECRET]);
    Stripe::new(&config).unwrap()
});

fn m(v: i64) -> MinorUnit {
    MinorUnit::new(v).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Real-shaped Stripe answers (fields as in its 2024-04-10 OpenAPI, ids made up).

const PI_REQUIRES_CAPTURE: Sample = Sample {
    status: 200,
    body: r#"{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"amount_capturable":5000,"amount_details":{"tip":{}},"amount_received":0,"application":null,"application_fee_amount":null,"automatic_payment_methods":null,"canceled_at":null,"cancellation_reason":null,"capture_method":"manual","client_secret":"pi_3P1xYz2eZvKYlo2C1a2b3c4d_secret_Qw3","confirmation_method":"automatic","created":1712000000,"currency":"usd","customer":null,"description":null,"invoice":null,"last_payment_error":null,"latest_charge":{"id":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","object":"charge","amount":5000,"amount_captured":0,"amount_refunded":0,"balance_transaction":null,"billing_details":{"address":{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,"state":null},"email":null,"name":"J Smith","phone":null},"captured":false,"created":1712000001,"currency":"usd","disputed":false,"livemode":false,"metadata":{"reference":"ORD-5023"},"outcome":{"network_status":"approved_by_network","reason":null,"risk_level":"normal","risk_score":32,"seller_message":"Payment complete.","type":"authorized"},"paid":true,"payment_intent":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","payment_method":"pm_1P1xYz2eZvKYlo2Cabc","payment_method_details":{"card":{"amount_authorized":5000,"brand":"visa","capture_before":1712604801,"checks":{"address_line1_check":null,"address_postal_code_check":null,"cvc_check":"pass"},"country":"US","exp_month":6,"exp_year":2031,"extended_authorization":{"status":"enabled"},"fingerprint":"Xt5EWLLDS7FJjR1c","funding":"credit","incremental_authorization":{"status":"available"},"installments":null,"last4":"4242","mandate":null,"multicapture":{"status":"unavailable"},"network":"visa","network_token":{"used":false},"overcapture":{"maximum_amount_capturable":5000,"status":"unavailable"},"three_d_secure":null,"wallet":null},"type":"card"},"refunded":false,"refunds":{"object":"list","data":[],"has_more":false,"total_count":0,"url":"/v1/charges/ch_3P1xYz2eZvKYlo2C1e5f6g7h/refunds"},"status":"succeeded"},"livemode":false,"metadata":{"reference":"ORD-5023"},"next_action":null,"payment_method":"pm_1P1xYz2eZvKYlo2Cabc","payment_method_options":{"card":{"installments":null,"mandate_options":null,"network":null,"request_extended_authorization":"if_available","request_incremental_authorization":"if_available","request_three_d_secure":"automatic"}},"payment_method_types":["card"],"processing":null,"receipt_email":null,"review":null,"setup_future_usage":null,"shipping":null,"statement_descriptor":null,"statement_descriptor_suffix":null,"status":"requires_capture","transfer_data":null,"transfer_group":null}"#,
};

const PI_INCREMENTED: Sample = Sample {
    status: 200,
    body: r#"{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":7500,"amount_capturable":7500,"amount_received":0,"capture_method":"manual","confirmation_method":"automatic","created":1712000000,"currency":"usd","last_payment_error":null,"latest_charge":{"id":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","object":"charge","amount":7500,"amount_captured":0,"amount_refunded":0,"currency":"usd","payment_method_details":{"card":{"brand":"visa","capture_before":1712604801,"exp_month":6,"exp_year":2031,"extended_authorization":{"status":"disabled"},"incremental_authorization":{"status":"available"},"network":"visa"},"type":"card"}},"livemode":false,"metadata":{},"next_action":null,"payment_method_types":["card"],"status":"requires_capture"}"#,
};

const PI_PARTIALLY_CAPTURED: Sample = Sample {
    status: 200,
    body: r#"{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"amount_capturable":0,"amount_received":3000,"capture_method":"manual","confirmation_method":"automatic","created":1712000000,"currency":"usd","last_payment_error":null,"latest_charge":{"id":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","object":"charge","amount":5000,"amount_captured":3000,"amount_refunded":1000,"captured":true,"currency":"usd","payment_method_details":{"card":{"brand":"mastercard","exp_month":6,"exp_year":2031,"network":"mastercard"},"type":"card"},"status":"succeeded"},"livemode":false,"metadata":{},"next_action":null,"payment_method_types":["card"],"status":"succeeded"}"#,
};

const PI_REQUIRES_ACTION: Sample = Sample {
    status: 200,
    body: r#"{"id":"pi_3P1xYz2eZvKYlo2C0r3d5a1z","object":"payment_intent","amount":5000,"amount_capturable":0,"amount_received":0,"capture_method":"automatic","confirmation_method":"automatic","created":1712000000,"currency":"usd","last_payment_error":null,"latest_charge":null,"livemode":false,"metadata":{},"next_action":{"redirect_to_url":{"return_url":"https://shop.test/back","url":"https://hooks.stripe.com/3d_secure_2/hosted?merchant=acct_1&payment_intent=pi_3P1xYz2eZvKYlo2C0r3d5a1z"},"type":"redirect_to_url"},"payment_method":"pm_card_threeDSecure2Required","payment_method_types":["card"],"status":"requires_action"}"#,
};

const PI_CANCELED: Sample = Sample {
    status: 200,
    body: r#"{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"amount_capturable":0,"amount_received":0,"canceled_at":1712001000,"cancellation_reason":"requested_by_customer","capture_method":"manual","confirmation_method":"automatic","created":1712000000,"currency":"usd","last_payment_error":null,"latest_charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","livemode":false,"metadata":{},"next_action":null,"payment_method_types":["card"],"status":"canceled"}"#,
};

const CARD_DECLINED: Sample = Sample {
    status: 402,
    body: r#"{"error":{"charge":"ch_3P1xYz2eZvKYlo2C0d3c1n3d","code":"card_declined","decline_code":"insufficient_funds","doc_url":"https://stripe.com/docs/error-codes/card-declined","message":"Your card has insufficient funds.","payment_intent":{"id":"pi_3P1xYz2eZvKYlo2C0d3c1n3d","object":"payment_intent","amount":5000,"amount_capturable":0,"amount_received":0,"capture_method":"manual","confirmation_method":"automatic","created":1712000000,"currency":"usd","last_payment_error":{"charge":"ch_3P1xYz2eZvKYlo2C0d3c1n3d","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","type":"card_error"},"latest_charge":"ch_3P1xYz2eZvKYlo2C0d3c1n3d","livemode":false,"metadata":{},"next_action":null,"payment_method_types":["card"],"status":"requires_payment_method"},"request_log_url":"https://dashboard.stripe.com/test/logs/req_Nq4m?t=1712000000","type":"card_error"}}"#,
};

/// `POST /v1/payment_methods` 200: the PaymentMethod a raw card becomes.
const PAYMENT_METHOD: Sample = Sample {
    status: 200,
    body: r#"{"id":"pm_1P1xYz2eZvKYlo2Cabc","object":"payment_method","allow_redisplay":"unspecified","billing_details":{"address":{"city":null,"country":null,"line1":null,"line2":null,"postal_code":null,"state":null},"email":null,"name":"J Smith","phone":null},"card":{"brand":"visa","checks":{"address_line1_check":null,"address_postal_code_check":null,"cvc_check":"unchecked"},"country":"US","exp_month":6,"exp_year":2031,"fingerprint":"Xt5EWLLDS7FJjR1c","funding":"credit","generated_from":null,"last4":"4242","networks":{"available":["visa"],"preferred":null},"three_d_secure_usage":{"supported":true},"wallet":null},"created":1712000000,"customer":null,"livemode":false,"metadata":{},"type":"card"}"#,
};

/// Raw card numbers from an account without raw card data access.
const RAW_CARDS_REFUSED: Sample = Sample {
    status: 402,
    body: r#"{"error":{"message":"Sending credit card numbers directly to the Stripe API is generally unsafe. We suggest you use test tokens that map to the test card you are using, see https://stripe.com/docs/testing.","request_log_url":"https://dashboard.stripe.com/test/logs/req_3?t=1712000000","type":"invalid_request_error"}}"#,
};

/// Card data refused when the PaymentMethod is created: no PaymentIntent.
const INCORRECT_NUMBER: Sample = Sample {
    status: 402,
    body: r#"{"error":{"code":"incorrect_number","doc_url":"https://stripe.com/docs/error-codes/incorrect-number","message":"Your card number is incorrect.","param":"card[number]","request_log_url":"https://dashboard.stripe.com/test/logs/req_4?t=1712000000","type":"card_error"}}"#,
};

const REFUND: Sample = Sample {
    status: 200,
    body: r#"{"id":"re_3P1xYz2eZvKYlo2C1r3f4n5d","object":"refund","amount":1000,"balance_transaction":"txn_3P1xYz2eZvKYlo2C1","charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","created":1712002000,"currency":"usd","destination_details":{"card":{"reference_status":"pending","reference_type":"acquirer_reference_number","type":"refund"},"type":"card"},"metadata":{"reference":"RF-1"},"payment_intent":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","reason":"requested_by_customer","receipt_number":null,"source_transfer_reversal":null,"status":"succeeded","transfer_reversal":null}"#,
};

const REFUND_FAILED: Sample = Sample {
    status: 200,
    body: r#"{"id":"re_3P1xYz2eZvKYlo2C1r3f4n5d","object":"refund","amount":1000,"charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","created":1712002000,"currency":"usd","failure_reason":"expired_or_canceled_card","metadata":{},"payment_intent":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","reason":null,"status":"failed"}"#,
};

/// `GET /v1/payment_intents?created[gte]=…`: a newer PaymentIntent, ours, an older one.
const INTENT_LIST: Sample = Sample {
    status: 200,
    body: r#"{"object":"list","url":"/v1/payment_intents","has_more":false,"data":[{"id":"pi_3P1xYz2eZvKYlo2C9n8e7w6r","object":"payment_intent","amount":900,"amount_capturable":900,"amount_received":0,"capture_method":"manual","created":1712000050,"currency":"usd","latest_charge":"ch_3P1xYz2eZvKYlo2C9c8h7g6e","livemode":false,"metadata":{"reference":"ORD-50231"},"status":"requires_capture"},{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"amount_capturable":5000,"amount_received":0,"capture_method":"manual","created":1712000000,"currency":"usd","latest_charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","livemode":false,"metadata":{"reference":"ORD-5023","order":"5023"},"status":"requires_capture"},{"id":"pi_3P1xYz2eZvKYlo2C0o1d2e3r","object":"payment_intent","amount":5000,"amount_capturable":0,"amount_received":0,"capture_method":"manual","created":1711999990,"currency":"usd","latest_charge":null,"livemode":false,"metadata":{},"status":"canceled"}]}"#,
};

/// A page without the PaymentIntent, and more to come.
const INTENT_LIST_MORE: Sample = Sample {
    status: 200,
    body: r#"{"object":"list","url":"/v1/payment_intents","has_more":true,"data":[{"id":"pi_3P1xYz2eZvKYlo2C9n8e7w6r","object":"payment_intent","amount":900,"amount_capturable":900,"amount_received":0,"capture_method":"manual","created":1712000050,"currency":"usd","livemode":false,"metadata":{"reference":"ORD-50231"},"status":"requires_capture"}]}"#,
};

/// `GET /v1/refunds?payment_intent=…`: another refund, then ours.
const REFUND_LIST: Sample = Sample {
    status: 200,
    body: r#"{"object":"list","url":"/v1/refunds","has_more":false,"data":[{"id":"re_3P1xYz2eZvKYlo2C2r3f4n5e","object":"refund","amount":500,"charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","created":1712002100,"currency":"usd","metadata":{"reference":"RF-2"},"payment_intent":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","reason":null,"status":"pending"},{"id":"re_3P1xYz2eZvKYlo2C1r3f4n5d","object":"refund","amount":1000,"balance_transaction":"txn_3P1xYz2eZvKYlo2C1","charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","created":1712002000,"currency":"usd","metadata":{"reference":"RF-1"},"payment_intent":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","reason":"requested_by_customer","status":"succeeded"}]}"#,
};

const VALIDATION_ERROR: Sample = Sample {
    status: 400,
    body: r#"{"error":{"code":"parameter_invalid_integer","doc_url":"https://stripe.com/docs/error-codes/parameter-invalid-integer","message":"Invalid integer: abc","param":"amount","request_log_url":"https://dashboard.stripe.com/test/logs/req_1?t=1712000000","type":"invalid_request_error"}}"#,
};

const UNEXPECTED_STATE: Sample = Sample {
    status: 400,
    body: r#"{"error":{"code":"payment_intent_unexpected_state","doc_url":"https://stripe.com/docs/error-codes/payment-intent-unexpected-state","message":"This PaymentIntent could not be captured because it has a status of canceled. Only a PaymentIntent with one of the following statuses may be captured: requires_capture.","payment_intent":{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"currency":"usd","status":"canceled"},"request_log_url":"https://dashboard.stripe.com/test/logs/req_2?t=1712000000","type":"invalid_request_error"}}"#,
};

const IDEMPOTENCY_ERROR: Sample = Sample {
    status: 400,
    body: r#"{"error":{"message":"Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'k1' if you meant to execute a different request.","type":"idempotency_error"}}"#,
};

const UNAUTHORIZED: Sample = Sample {
    status: 401,
    body: r#"{"error":{"message":"Invalid API Key provided: sk_test_****abcd","type":"invalid_request_error"}}"#,
};

const NOT_FOUND: Sample = Sample {
    status: 404,
    body: r#"{"error":{"code":"resource_missing","doc_url":"https://stripe.com/docs/error-codes/resource-missing","message":"No such payment_intent: 'pi_missing'","param":"intent","type":"invalid_request_error"}}"#,
};

const KEY_IN_USE: Sample = Sample {
    status: 409,
    body: r#"{"error":{"code":"idempotency_key_in_use","message":"There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): k1. Please try again later.","type":"invalid_request_error"}}"#,
};

const RATE_LIMITED: Sample = Sample {
    status: 429,
    body: r#"{"error":{"code":"lock_timeout","message":"This object cannot be accessed right now because another API request or Stripe process is currently accessing it.","type":"invalid_request_error"}}"#,
};

const SERVER_ERROR: Sample = Sample {
    status: 500,
    body: r#"{"error":{"message":"An unknown error occurred","type":"api_error"}}"#,
};

const BAD_GATEWAY: Sample = Sample {
    status: 502,
    body: "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>",
};

const ERRORS: [Sample; 10] = [
    RAW_CARDS_REFUSED,
    VALIDATION_ERROR,
    UNEXPECTED_STATE,
    IDEMPOTENCY_ERROR,
    UNAUTHORIZED,
    NOT_FOUND,
    KEY_IN_USE,
    RATE_LIMITED,
    SERVER_ERROR,
    BAD_GATEWAY,
];

const EVERY_SAMPLE: [Sample; 23] = [
    PAYMENT_METHOD,
    RAW_CARDS_REFUSED,
    INCORRECT_NUMBER,
    INTENT_LIST,
    INTENT_LIST_MORE,
    REFUND_LIST,
    PI_REQUIRES_CAPTURE,
    PI_INCREMENTED,
    PI_PARTIALLY_CAPTURED,
    PI_REQUIRES_ACTION,
    PI_CANCELED,
    CARD_DECLINED,
    REFUND,
    REFUND_FAILED,
    VALIDATION_ERROR,
    UNEXPECTED_STATE,
    IDEMPOTENCY_ERROR,
    UNAUTHORIZED,
    NOT_FOUND,
    KEY_IN_USE,
    RATE_LIMITED,
    SERVER_ERROR,
    BAD_GATEWAY,
];

const WEBHOOKS: [&str; 5] = [
    r#"{"id":"evt_3P1xYz2eZvKYlo2C0w1","object":"event","api_version":"2024-04-10","created":1712000002,"data":{"object":{"id":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","object":"payment_intent","amount":5000,"amount_capturable":5000,"amount_received":0,"capture_method":"manual","currency":"usd","last_payment_error":null,"latest_charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","metadata":{"reference":"ORD-5023"},"status":"requires_capture"}},"livemode":false,"pending_webhooks":1,"request":{"id":"req_Nq4m","idempotency_key":"k1"},"type":"payment_intent.amount_capturable_updated"}"#,
    r#"{"id":"evt_3P1xYz2eZvKYlo2C0w2","object":"event","api_version":"2024-04-10","created":1712000002,"data":{"object":{"id":"pi_3P1xYz2eZvKYlo2C0d3c1n3d","object":"payment_intent","amount":5000,"amount_capturable":0,"amount_received":0,"currency":"usd","last_payment_error":{"code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds.","type":"card_error"},"status":"requires_payment_method"}},"livemode":false,"pending_webhooks":1,"request":{"id":"req_Nq4n","idempotency_key":"k2"},"type":"payment_intent.payment_failed"}"#,
    r#"{"id":"evt_3P1xYz2eZvKYlo2C0w3","object":"event","api_version":"2024-04-10","created":1712000100,"data":{"object":{"id":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","object":"charge","amount":5000,"amount_captured":3000,"amount_refunded":0,"captured":true,"currency":"usd","payment_intent":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","status":"succeeded"},"previous_attributes":{"amount_captured":0,"captured":false}},"livemode":false,"pending_webhooks":1,"request":{"id":"req_Nq4o","idempotency_key":"k3"},"type":"charge.captured"}"#,
    r#"{"id":"evt_3P1xYz2eZvKYlo2C0w4","object":"event","api_version":"2024-04-10","created":1712002100,"data":{"object":{"id":"re_3P1xYz2eZvKYlo2C1r3f4n5d","object":"refund","amount":1000,"charge":"ch_3P1xYz2eZvKYlo2C1e5f6g7h","currency":"usd","failure_reason":"expired_or_canceled_card","payment_intent":"pi_3P1xYz2eZvKYlo2C1a2b3c4d","status":"failed"},"previous_attributes":{"status":"succeeded"}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"charge.refund.updated"}"#,
    r#"{"id":"evt_3P1xYz2eZvKYlo2C0w5","object":"event","api_version":"2024-04-10","created":1712003000,"data":{"object":{"id":"cus_Q1","object":"customer","balance":-500,"currency":"usd","email":"j.smith@example.com"}},"livemode":false,"pending_webhooks":1,"request":{"id":"req_Nq4q","idempotency_key":null},"type":"customer.updated"}"#,
];

// ---------------------------------------------------------------------------------------------
// The flows, each built from a valid request and mapped to one answer type.

/// One flow the translator implements, with the request the tests send through it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Authorize,
    /// Authorize with a raw card, its first step: the PaymentMethod.
    CardPaymentMethod,
    IncrementAuthorization,
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

const EVERY_OP: [Op; 12] = [
    Op::Authorize,
    Op::CardPaymentMethod,
    Op::IncrementAuthorization,
    Op::Capture,
    Op::Void,
    Op::CancelPostCapture,
    Op::Refund,
    Op::SyncPayment,
    Op::SyncRefund,
    Op::FindPayment,
    Op::FindRefund,
    Op::CompleteAuthorize,
];

/// Any flow's answer, so one checker can look at all of them.
#[derive(Debug)]
enum Answer {
    Payment(PaymentResponse),
    Increment(IncrementalAuthorizationResponse),
    Capture(CaptureResponse),
    Void(VoidResponse),
    Refund(RefundResponse),
    CancelPostCapture(CancelPostCaptureResponse),
    Lookup(PaymentLookupResponse),
    RefundLookup(RefundLookupResponse),
}

/// A parse's result: `None` for a request for another call (only lookups may ask for one:
/// their next page).
type Outcome = Result<Option<Answer>, ConnectorError>;

const PAYMENT_ID: &str = "pi_3P1xYz2eZvKYlo2C1a2b3c4d";
const CURRENT_AUTHORIZED: i64 = 5000;
const NEW_TOTAL: i64 = 7500;
const CAPTURE_AMOUNT: i64 = 3000;
const REFUND_AMOUNT: i64 = 1000;
const SYNCED_REFUND: &str = "re_3P1xYz2eZvKYlo2C1r3f4n5d";

impl Op {
    /// The flow's own answers that map to `Ok`.
    fn successes(self) -> &'static [Sample] {
        match self {
            Op::Authorize => &[PI_REQUIRES_CAPTURE, PI_REQUIRES_ACTION, CARD_DECLINED],
            Op::CardPaymentMethod => &[PAYMENT_METHOD],
            Op::IncrementAuthorization => &[PI_INCREMENTED, CARD_DECLINED],
            Op::Capture => &[PI_PARTIALLY_CAPTURED],
            Op::Void => &[PI_CANCELED],
            Op::SyncPayment | Op::CompleteAuthorize => &[
                PI_REQUIRES_CAPTURE,
                PI_PARTIALLY_CAPTURED,
                PI_REQUIRES_ACTION,
                PI_CANCELED,
            ],
            Op::CancelPostCapture | Op::Refund | Op::SyncRefund => &[REFUND, REFUND_FAILED],
            Op::FindPayment => &[INTENT_LIST, INTENT_LIST_MORE],
            Op::FindRefund => &[REFUND_LIST, INTENT_LIST_MORE],
        }
    }

    /// Flows that may read several pages.
    fn pages(self) -> bool {
        matches!(self, Op::FindPayment | Op::FindRefund)
    }

    /// Steps whose success is the next step: the PaymentMethod before the PaymentIntent.
    fn chains(self) -> bool {
        matches!(self, Op::CardPaymentMethod)
    }

    /// Flows where a 402 card error is the issuer's verdict, an `Ok`.
    fn declines(self) -> bool {
        matches!(self, Op::Authorize | Op::IncrementAuthorization)
    }

    fn exchange(self) -> Exchange<Answer> {
        let stripe = &*STRIPE;
        let key = || IdempotencyKey::new("robustness-key").unwrap();
        let built = match self {
            Op::Authorize | Op::CardPaymentMethod => {
                let method = match self {
                    Op::Authorize => {
                        PaymentMethod::Token(PaymentMethodToken::new("pm_card_visa").unwrap())
                    }
                    _ => PaymentMethod::Card(Card {
                        number: CardNumber::new("4242424242424242").unwrap(),
                        expiry: CardExpiry::new(6, 2031).unwrap(),
                        cvc: Some(Cvc::new("100").unwrap()),
                        holder_name: Some("J Smith".into()),
                    }),
                };
                let mut req = AuthorizeRequest::new(m(5000), Currency::USD, method, "ORD-5023");
                req.capture_method = CaptureMethod::Manual;
                req.request_incremental_authorization = true;
                stripe.authorize(&req).map(|e| e.map(Answer::Payment))
            }
            Op::IncrementAuthorization => stripe
                .increment_authorization(&IncrementalAuthorizationRequest {
                    idempotency_key: key(),
                    connector_payment_id: PAYMENT_ID.into(),
                    currency: Currency::USD,
                    current_authorized: m(CURRENT_AUTHORIZED),
                    new_total: m(NEW_TOTAL),
                    reason: None,
                    card_network: Some(CardNetwork::Visa),
                })
                .map(|e| e.map(Answer::Increment)),
            Op::Capture => stripe
                .capture(&CaptureRequest::new(
                    PAYMENT_ID,
                    Currency::USD,
                    Some(m(CAPTURE_AMOUNT)),
                ))
                .map(|e| e.map(Answer::Capture)),
            Op::Void => stripe
                .void(&VoidRequest {
                    idempotency_key: key(),
                    connector_payment_id: PAYMENT_ID.into(),
                    reason: Some("requested_by_customer".into()),
                })
                .map(|e| e.map(Answer::Void)),
            Op::CancelPostCapture => stripe
                .cancel_post_capture(&CancelPostCaptureRequest {
                    reference: None,
                    idempotency_key: key(),
                    connector_payment_id: PAYMENT_ID.into(),
                    currency: Currency::USD,
                    amount_captured: m(CAPTURE_AMOUNT),
                    reason: None,
                })
                .map(|e| e.map(Answer::CancelPostCapture)),
            Op::Refund => stripe
                .refund(&RefundRequest::new(
                    PAYMENT_ID,
                    Currency::USD,
                    Some(m(REFUND_AMOUNT)),
                ))
                .map(|e| e.map(Answer::Refund)),
            Op::SyncPayment => stripe
                .sync_payment(&PaymentSyncRequest {
                    connector_payment_id: PAYMENT_ID.into(),
                    capture_method: CaptureMethod::Manual,
                })
                .map(|e| e.map(Answer::Payment)),
            Op::SyncRefund => stripe
                .sync_refund(&RefundSyncRequest {
                    connector_payment_id: PAYMENT_ID.into(),
                    connector_refund_id: SYNCED_REFUND.into(),
                })
                .map(|e| e.map(Answer::Refund)),
            Op::FindPayment => {
                let mut req = PaymentLookupRequest::new("ORD-5023");
                req.sent_at = time::OffsetDateTime::from_unix_timestamp(NOW).ok();
                stripe.find_payment(&req).map(|e| e.map(Answer::Lookup))
            }
            Op::FindRefund => stripe
                .find_refund(&RefundLookupRequest {
                    connector_payment_id: PAYMENT_ID.into(),
                    reference: "RF-1".into(),
                })
                .map(|e| e.map(Answer::RefundLookup)),
            Op::CompleteAuthorize => stripe
                .complete_authorize(&CompleteAuthorizeRequest {
                    idempotency_key: key(),
                    connector_payment_id: "pi_3P1xYz2eZvKYlo2C0r3d5a1z".into(),
                    capture_method: CaptureMethod::Automatic,
                    redirect_params: Default::default(),
                })
                .map(|e| e.map(Answer::Payment)),
        };
        built.unwrap_or_else(|e| panic!("{self:?}: a valid request was refused: {e}"))
    }

    /// Builds the exchange and feeds it `status` and `body`. Every Stripe flow but the lookups
    /// and a raw card's PaymentMethod step is a single call, so a `Step::Next` is itself a
    /// failure for them. Also says whether the request may move money (mutating, and not
    /// marked as moving none).
    fn parse(self, status: u16, body: impl Into<bytes::Bytes>) -> (bool, Outcome) {
        let exchange = self.exchange();
        let mutating = exchange.request().is_mutating() && !exchange.moves_no_money();
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
        let card_error = is_card_error(&body);
        let (mutating, outcome) = self.parse(status, body);
        self.check(status, card_error, mutating, outcome)
    }

    /// `card_error`: the body's `error.type` is `card_error`, the only 402 that is a verdict.
    fn check(
        self,
        status: u16,
        card_error: bool,
        mutating: bool,
        outcome: Outcome,
    ) -> Result<(), TestCaseError> {
        let success = (200..300).contains(&status);
        if self.chains() {
            // Nothing a PaymentMethod's creation answers leaves money in doubt.
            if let Err(error) = &outcome {
                prop_assert!(!error.outcome_unknown(), "{self:?}: {error:?}");
            }
        }
        match outcome {
            Ok(None) if self.chains() => {
                prop_assert!(success, "{self:?}: HTTP {status} led to the PaymentIntent");
                Ok(())
            }
            Ok(None) if self.pages() => {
                prop_assert!(success, "{self:?}: HTTP {status} asked for another page");
                Ok(())
            }
            Ok(None) => Err(TestCaseError::fail(format!(
                "{self:?} is one call but asked for another"
            ))),
            Ok(Some(answer)) => {
                let decline = status == 402 && self.declines() && card_error;
                prop_assert!(
                    success || decline,
                    "{self:?}: HTTP {status} gave Ok({answer:?})"
                );
                self.check_answer(&answer, decline)
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

    /// Consistency of an `Ok` answer with the request it answers; `decline` for a 402.
    fn check_answer(self, answer: &Answer, decline: bool) -> Result<(), TestCaseError> {
        match (self, answer) {
            (Op::Authorize | Op::SyncPayment | Op::CompleteAuthorize, Answer::Payment(p)) => {
                prop_assert!(!p.connector_payment_id.trim().is_empty());
                if p.status == PaymentStatus::Failed {
                    prop_assert!(p.decline.is_some(), "a failed payment says why: {p:?}");
                }
                if decline {
                    prop_assert_eq!(p.status, PaymentStatus::Failed);
                }
                if p.incremental_authorization_allowed.is_some() {
                    prop_assert_eq!(p.status, PaymentStatus::RequiresCapture);
                }
                prop_assert_eq!(p.currency, Currency::USD);
            }
            (Op::IncrementAuthorization, Answer::Increment(r)) => {
                prop_assert_eq!(r.previously_authorized, m(CURRENT_AUTHORIZED));
                prop_assert_eq!(r.status == AuthorizationStatus::Failure, decline);
                match r.status {
                    AuthorizationStatus::Failure => {
                        prop_assert_eq!(r.authorized, r.previously_authorized);
                        prop_assert!(r.decline.is_some());
                    }
                    _ => prop_assert!(r.decline.is_none()),
                }
            }
            (Op::Capture, Answer::Capture(r)) => {
                prop_assert_eq!(r.amount, Some(m(CAPTURE_AMOUNT)));
                prop_assert!(r.amounts.is_some());
            }
            (Op::Void, Answer::Void(r)) => prop_assert_eq!(&r.connector_void_id, &None),
            (Op::Refund | Op::SyncRefund, Answer::Refund(r)) => {
                prop_assert!(!r.connector_refund_id.trim().is_empty());
                prop_assert_eq!(r.failure_reason.is_some(), r.status == RefundStatus::Failed);
            }
            (Op::CancelPostCapture, Answer::CancelPostCapture(r)) => {
                let expected = CancelPostCaptureResponse::from_refund(r.refund.clone());
                prop_assert_eq!(r, &expected);
            }
            (Op::FindPayment, Answer::Lookup(found)) => {
                if let Some(id) = &found.connector_payment_id {
                    prop_assert!(!id.trim().is_empty());
                }
            }
            (Op::FindRefund, Answer::RefundLookup(found)) => {
                if let Some(r) = &found.refund {
                    prop_assert!(!r.connector_refund_id.trim().is_empty());
                    prop_assert_eq!(r.failure_reason.is_some(), r.status == RefundStatus::Failed);
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

/// Whether `body` is a Stripe error of type `card_error`. Read field by field, other fields
/// skipped, so a number too large for JSON values elsewhere does not hide the type.
fn is_card_error(body: &[u8]) -> bool {
    #[derive(Default, serde::Deserialize)]
    #[serde(default)]
    struct Body {
        error: Error,
    }
    #[derive(Default, serde::Deserialize)]
    #[serde(default)]
    struct Error {
        #[serde(rename = "type")]
        kind: Option<String>,
    }
    serde_json::from_slice::<Body>(body)
        .is_ok_and(|b| b.error.kind.as_deref() == Some("card_error"))
}

// ---------------------------------------------------------------------------------------------
// Mutations of real answers.

/// Strings Stripe uses for its enums, codes and currencies, plus some it never sends.
const KNOWN_STRINGS: &[&str] = &[
    "requires_payment_method",
    "requires_confirmation",
    "requires_action",
    "processing",
    "requires_capture",
    "succeeded",
    "canceled",
    "pending",
    "failed",
    "enabled",
    "disabled",
    "available",
    "unavailable",
    "redirect_to_url",
    "use_stripe_sdk",
    "card_error",
    "invalid_request_error",
    "idempotency_error",
    "card_declined",
    "insufficient_funds",
    "payment_intent_unexpected_state",
    "usd",
    "USD",
    "jpy",
    "isk",
    "mga",
    "xxx",
    "visa",
    "mastercard",
    "amex",
    "pi_3P1xYz2eZvKYlo2C1a2b3c4d",
    "pi_other",
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
    card_payment_method => Op::CardPaymentMethod,
    increment_authorization => Op::IncrementAuthorization,
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
    for op in EVERY_OP {
        for &sample in op.successes() {
            let (_, outcome) = op.parse(sample.status, sample.body);
            // A lookup's page without the object asks for the next one; a raw card's
            // PaymentMethod leads to the PaymentIntent.
            let next = op.chains() || (op.pages() && sample.body.contains(r#""has_more":true"#));
            assert!(
                matches!(outcome, Ok(Some(_))) || (next && matches!(outcome, Ok(None))),
                "{op:?} {sample:?}: {outcome:?}"
            );
        }
        for &sample in &ERRORS {
            let (_, outcome) = op.parse(sample.status, sample.body);
            assert!(outcome.is_err(), "{op:?} {sample:?}: {outcome:?}");
        }
    }
    // Card data refused when the PaymentMethod is created: a rejection, nothing charged.
    let (moves_money, refused) =
        Op::CardPaymentMethod.parse(INCORRECT_NUMBER.status, INCORRECT_NUMBER.body);
    assert!(!moves_money);
    assert!(
        matches!(&refused, Err(e @ ConnectorError::Rejected { kind: RejectionKind::Validation, .. }) if !e.outcome_unknown()),
        "{refused:?}"
    );
    let found = Op::FindPayment
        .parse(INTENT_LIST.status, INTENT_LIST.body)
        .1;
    assert!(
        matches!(&found, Ok(Some(Answer::Lookup(PaymentLookupResponse { connector_payment_id: Some(id) }))) if id == PAYMENT_ID),
        "{found:?}"
    );
    let refund = Op::FindRefund.parse(REFUND_LIST.status, REFUND_LIST.body).1;
    assert!(
        matches!(&refund, Ok(Some(Answer::RefundLookup(RefundLookupResponse { refund: Some(r) }))) if r.connector_refund_id == SYNCED_REFUND),
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
        Op::CardPaymentMethod,
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

/// The PaymentIntent amounts the connector maps, as JSON pointers.
const MAPPED_AMOUNTS: [&str; 4] = [
    "/amount",
    "/amount_capturable",
    "/amount_received",
    "/latest_charge/amount_refunded",
];

proptest! {
    #![proptest_config(config())]

    /// `MinorUnit` cannot be negative, so a negative amount must fail the parse rather than be
    /// clamped, dropped or wrapped.
    #[test]
    fn negative_amounts_are_refused(
        op in select(vec![Op::Authorize, Op::SyncPayment, Op::CompleteAuthorize, Op::IncrementAuthorization, Op::Capture]),
        field in select(MAPPED_AMOUNTS.to_vec()),
        amount in prop_oneof![Just(i64::MIN), Just(-1_i64), i64::MIN..0],
    ) {
        let mut doc: Value = serde_json::from_str(PI_REQUIRES_CAPTURE.body).unwrap();
        *doc.pointer_mut(field).unwrap() = json!(amount);
        let (mutating, outcome) = op.parse(200, doc.to_string());
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

    /// A refund read back never reports an amount other than the one Stripe gave.
    #[test]
    fn refunds_report_the_given_amount_or_refuse_it(amount in any::<i64>()) {
        let mut doc: Value = serde_json::from_str(REFUND.body).unwrap();
        doc["amount"] = json!(amount);
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
// The form encoder.

/// Text a merchant may put in a reference, description, metadata key or value: form syntax,
/// brackets, spaces, non-ASCII, control characters.
fn merchant_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z_]{1,12}",
        "[&=+%\\[\\] #?/a-zA-Z0-9]{1,20}",
        "\\PC{1,16}",
        "[\\x00-\\x1f\\x7f ]{1,8}",
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Whatever the merchant's text, a standard form decoder gets back exactly the pairs meant:
    /// no value leaks into another field and nothing is lost.
    #[test]
    fn form_bodies_decode_to_what_was_meant(
        reference in merchant_text(),
        description in merchant_text(),
        metadata in btree_map("[a-z_]{1,5}|[a-zA-Z0-9 &=+%\\[\\]#]{1,10}", merchant_text(), 0..4),
    ) {
        prop_assume!(!metadata.contains_key("reference"));
        let token = PaymentMethod::Token(PaymentMethodToken::new("pm_card_visa").unwrap());
        let mut req = AuthorizeRequest::new(m(5000), Currency::USD, token, reference.clone());
        req.description = Some(description.clone());
        req.metadata = metadata.clone();
        let exchange = STRIPE.authorize(&req).unwrap();
        let sent = exchange.request().body_text().unwrap();
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(sent.as_bytes()).into_owned().collect();
        let mut expected = vec![
            ("amount".to_owned(), "5000".to_owned()),
            ("currency".into(), "usd".into()),
            ("confirm".into(), "true".into()),
            ("capture_method".into(), "automatic".into()),
            ("payment_method".into(), "pm_card_visa".into()),
            ("payment_method_types[]".into(), "card".into()),
        ];
        // A blank description says nothing and is not sent.
        if !description.trim().is_empty() {
            expected.push(("description".into(), description));
        }
        let mut all = metadata;
        all.insert("reference".into(), reference);
        expected.extend(all.into_iter().map(|(k, v)| (format!("metadata[{k}]"), v)));
        expected.push(("expand[]".into(), "latest_charge".into()));
        prop_assert_eq!(pairs, expected);
    }
}

// ---------------------------------------------------------------------------------------------
// Webhooks.

fn deliver(body: &[u8], header: Option<&str>) -> Result<WebhookEvent, WebhookError> {
    let mut headers = HeaderMap::new();
    if let Some(header) = header {
        headers.insert(SIGNATURE_HEADER, HeaderValue::from_str(header).unwrap());
    }
    STRIPE.verify_webhook(&IncomingWebhook {
        headers: &headers,
        body,
        received_at: time::OffsetDateTime::from_unix_timestamp(NOW).unwrap(),
    })
}

fn sign(body: &[u8]) -> String {
    let t = NOW.to_string();
    let mac = hmac_sha256(WEBHOOK_SECRET.as_bytes(), &[t.as_bytes(), b".", body]);
    format!("t={t},v1={}", SignatureEncoding::Hex.encode(&mac))
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
            let failure = matches!(event.kind, K::AuthorizationFailed | K::RefundFailed);
            prop_assert_eq!(event.decline.is_some(), failure, "{:?}", event);
            prop_assert!(!event.event_id.trim().is_empty());
            Ok(())
        }
        Err(WebhookError::MalformedBody(_)) => Ok(()),
        Err(other) => Err(TestCaseError::fail(format!(
            "a signed body must reach the parser: {other:?}"
        ))),
    }
}

/// `Stripe-Signature` header text: its own syntax mixed with noise.
fn signature_header() -> impl Strategy<Value = String> {
    let element = prop_oneof![
        Just(format!("t={NOW}")),
        "t=[0-9-]{0,20}",
        "v1=[0-9a-f]{0,70}",
        "v0=[0-9a-f]{0,8}",
        "[a-z0-9=, ]{0,12}",
    ];
    vec(element, 0..5).prop_map(|items| items.join(","))
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
        // The original's signature must not vouch for an altered body.
        if body != original.as_bytes() {
            prop_assert_eq!(
                deliver(&body, Some(&sign(original.as_bytes()))),
                Err(WebhookError::InvalidSignature)
            );
        }
    }

    /// Arbitrary signature headers never pass and never panic.
    #[test]
    fn webhook_arbitrary_headers(header in signature_header()) {
        let verdict = deliver(WEBHOOKS[0].as_bytes(), Some(&header));
        prop_assert!(
            matches!(verdict, Err(WebhookError::MalformedSignature(_) | WebhookError::InvalidSignature)),
            "{header:?}: {verdict:?}"
        );
    }

    /// A webhook's amount is the one Stripe sent, or the event is refused when it cannot be an
    /// amount.
    #[test]
    fn webhook_amounts_are_never_invented(amount in any::<i64>()) {
        let mut doc: Value = serde_json::from_str(WEBHOOKS[0]).unwrap();
        doc["data"]["object"]["amount"] = json!(amount);
        let body = doc.to_string().into_bytes();
        match deliver(&body, Some(&sign(&body))) {
            Ok(event) => prop_assert_eq!(event.amount, MinorUnit::new(amount).ok()),
            // A negative amount in a signed event is refused, not dropped.
            Err(WebhookError::MalformedBody(_)) => prop_assert!(amount < 0),
            Err(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
        }
    }
}
