//! The API's request and response bodies, named as the seed documents name them.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The largest amount the API accepts, in minor units (no processor takes more).
pub const MAX_AMOUNT: i64 = 99_999_999_999;

/// `POST /payments`: create and confirm a payment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreatePaymentRequest {
    /// Minor units, 1 to [`MAX_AMOUNT`].
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Which connector processes the payment (`GET /connectors` lists them): one name, or a
    /// list in order of preference.
    pub connector: ConnectorChoice,
    /// `automatic` (default) or `manual`.
    #[serde(default)]
    pub capture_method: Option<String>,
    /// Only `card`.
    #[serde(default)]
    pub payment_method: Option<String>,
    /// Raw card data; or give `payment_token`.
    #[serde(default)]
    pub payment_method_data: Option<PaymentMethodData>,
    /// A processor-issued payment method token (Primer needs one).
    #[serde(default)]
    pub payment_token: Option<String>,
    /// Ask for an estimated authorization that can be incremented.
    #[serde(default)]
    pub request_incremental_authorization: bool,
    /// Ask for an extended authorization window.
    #[serde(default)]
    pub request_extended_authorization: bool,
    /// Free-form JSON object, echoed back.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
    /// Where the customer returns after a redirect (3DS).
    #[serde(default)]
    pub return_url: Option<String>,
    /// Shown to the processor.
    #[serde(default)]
    pub description: Option<String>,
    /// `three_ds` or `no_three_ds` (default: the processor decides).
    #[serde(default)]
    pub authentication_type: Option<String>,
    /// Authenticate with the merchant's own 3DS server before authorizing (needs
    /// `authentication_type: three_ds`, a card and `browser_info`).
    #[serde(default)]
    pub request_external_three_ds_authentication: bool,
    /// Payments are created confirmed; only `true` is accepted.
    #[serde(default)]
    pub confirm: Option<bool>,
    /// `credit` or `debit`, for a card: echoed, not checked against the card.
    #[serde(default)]
    pub payment_method_type: Option<String>,
    /// The merchant's id of the customer (the same as `customer.id`).
    #[serde(default)]
    pub customer_id: Option<String>,
    /// The paying customer.
    #[serde(default)]
    pub customer: Option<CustomerBody>,
    /// The customer's e-mail (deprecated in the mirrored API: use `customer.email`).
    #[serde(default)]
    pub email: Option<String>,
    /// The customer's name (deprecated: use `customer.name`).
    #[serde(default)]
    pub name: Option<String>,
    /// The customer's phone (deprecated: use `customer.phone`).
    #[serde(default)]
    pub phone: Option<String>,
    /// Its country calling code (deprecated: use `customer.phone_country_code`).
    #[serde(default)]
    pub phone_country_code: Option<String>,
    /// The billing contact.
    #[serde(default)]
    pub billing: Option<ContactBody>,
    /// Where the goods go.
    #[serde(default)]
    pub shipping: Option<ContactBody>,
    /// The merchant's own order reference, echoed and sent to the processor as metadata.
    #[serde(default)]
    pub merchant_order_reference_id: Option<String>,
    /// The statement descriptor, where the processor lets it be set.
    #[serde(default)]
    pub statement_descriptor_name: Option<String>,
    /// The statement descriptor's suffix, where the processor lets it be set.
    #[serde(default)]
    pub statement_descriptor_suffix: Option<String>,
    /// The customer's browser or app.
    #[serde(default)]
    pub browser_info: Option<BrowserInfoBody>,
}

/// `connector` of a create request: one connector's name, or a list to choose from in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorChoice(pub Vec<String>);

impl<'de> Deserialize<'de> for ConnectorChoice {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> serde::de::Visitor<'de> for Names {
            type Value = ConnectorChoice;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a connector's name or a list of connectors' names")
            }
            fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<ConnectorChoice, E> {
                Ok(ConnectorChoice(vec![name.to_owned()]))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<ConnectorChoice, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element::<String>()? {
                    names.push(name);
                }
                Ok(ConnectorChoice(names))
            }
        }
        deserializer.deserialize_any(Names)
    }
}

/// The customer of a create request, and of the payment object.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CustomerBody {
    /// The merchant's id of the customer, 1 to 64 characters.
    #[serde(default)]
    pub id: Option<String>,
    /// Full name.
    #[serde(default)]
    pub name: Option<String>,
    /// E-mail address.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone number, without the country code.
    #[serde(default)]
    pub phone: Option<String>,
    /// Country calling code, e.g. `+1`.
    #[serde(default)]
    pub phone_country_code: Option<String>,
}

/// `billing` and `shipping`: an address, a phone and an e-mail.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    /// The address.
    #[serde(default)]
    pub address: Option<AddressBody>,
    /// The phone.
    #[serde(default)]
    pub phone: Option<PhoneBody>,
    /// The e-mail address.
    #[serde(default)]
    pub email: Option<String>,
}

/// A postal address, with the name of the person at it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct AddressBody {
    #[serde(default)]
    pub city: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    #[serde(default)]
    pub country: Option<String>,
    #[serde(default)]
    pub line1: Option<String>,
    #[serde(default)]
    pub line2: Option<String>,
    #[serde(default)]
    pub line3: Option<String>,
    #[serde(default)]
    pub zip: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

/// A phone number and its country calling code.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneBody {
    /// Digits (spaces, dots, dashes and brackets are dropped).
    #[serde(default)]
    pub number: Option<String>,
    /// `+` and 1 to 3 digits.
    #[serde(default)]
    pub country_code: Option<String>,
}

/// What the customer's browser or app said about itself (the seed's names).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct BrowserInfoBody {
    #[serde(default)]
    pub color_depth: Option<u8>,
    #[serde(default)]
    pub java_enabled: Option<bool>,
    #[serde(default)]
    pub java_script_enabled: Option<bool>,
    #[serde(default)]
    pub language: Option<String>,
    #[serde(default)]
    pub screen_height: Option<u32>,
    #[serde(default)]
    pub screen_width: Option<u32>,
    /// Minutes from UTC, as `Date.getTimezoneOffset()` gives them.
    #[serde(default)]
    pub time_zone: Option<i32>,
    /// IPv4 or IPv6.
    #[serde(default)]
    pub ip_address: Option<String>,
    #[serde(default)]
    pub accept_header: Option<String>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub os_type: Option<String>,
    #[serde(default)]
    pub os_version: Option<String>,
    #[serde(default)]
    pub device_model: Option<String>,
    #[serde(default)]
    pub accept_language: Option<String>,
    #[serde(default)]
    pub referer: Option<String>,
}

/// Payment method data of a create request.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodData {
    /// A raw card.
    #[serde(default)]
    pub card: Option<CardData>,
    /// A wallet's payment token.
    #[serde(default)]
    pub wallet: Option<WalletData>,
    /// The card's billing contact (or give `billing` at the top level, not both).
    #[serde(default)]
    pub billing: Option<ContactBody>,
}

/// `payment_method_data.wallet`: exactly one wallet's token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WalletData {
    /// Google Pay's `paymentMethodData`, in snake case.
    #[serde(default)]
    pub google_pay: Option<GooglePayData>,
    /// Apple Pay's `PKPaymentToken`, in snake case.
    #[serde(default)]
    pub apple_pay: Option<ApplePayData>,
}

/// Google Pay's `paymentMethodData`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GooglePayData {
    /// `CARD`.
    #[serde(rename = "type")]
    pub kind: String,
    /// What the sheet showed (`Visa •••• 1111`).
    #[serde(default)]
    pub description: Option<String>,
    /// The card's network and last four digits.
    #[serde(default)]
    pub info: Option<GooglePayInfo>,
    /// The token.
    pub tokenization_data: GooglePayTokenizationData,
}

impl std::fmt::Debug for GooglePayData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GooglePayData").finish_non_exhaustive()
    }
}

/// `paymentMethodData.info`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GooglePayInfo {
    /// `VISA`, `MASTERCARD`, …
    #[serde(default)]
    pub card_network: Option<String>,
    /// The last four digits.
    #[serde(default)]
    pub card_details: Option<String>,
}

/// `paymentMethodData.tokenizationData`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GooglePayTokenizationData {
    /// `PAYMENT_GATEWAY`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The token: the JSON text Google Pay returned.
    pub token: String,
}

/// Apple Pay's `PKPaymentToken`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplePayData {
    /// `paymentData`: the object, or the base64 of its JSON.
    pub payment_data: Value,
    /// `paymentMethod`.
    #[serde(default)]
    pub payment_method: Option<ApplePayMethod>,
    /// `transactionIdentifier`.
    #[serde(default)]
    pub transaction_identifier: Option<String>,
}

impl std::fmt::Debug for ApplePayData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApplePayData").finish_non_exhaustive()
    }
}

/// `PKPaymentToken.paymentMethod`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplePayMethod {
    /// `Visa 0224`.
    #[serde(default)]
    pub display_name: Option<String>,
    /// `Visa`, `MasterCard`, …
    #[serde(default)]
    pub network: Option<String>,
    /// `debit`, `credit`, `prepaid`, `store`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// A raw card. Never stored; only its network and last four digits are kept.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CardData {
    /// The PAN.
    pub card_number: String,
    /// `1`–`12`.
    pub card_exp_month: String,
    /// Four digits (two are read as 20xx).
    pub card_exp_year: String,
    /// The CVC.
    #[serde(default)]
    pub card_cvc: Option<String>,
    /// The name on the card.
    #[serde(default)]
    pub card_holder_name: Option<String>,
}

impl std::fmt::Debug for CardData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CardData(***)")
    }
}

/// `POST /payments/{id}/capture`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaptureBody {
    /// Minor units; the whole capturable amount when absent.
    #[serde(default)]
    pub amount_to_capture: Option<i64>,
    /// Release the rest of the authorization after this capture (default: true unless the
    /// connector supports multiple captures and the amount is partial).
    #[serde(default)]
    pub final_capture: Option<bool>,
}

/// `POST /payments/{id}/cancel`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why, stored on the payment.
    #[serde(default)]
    pub cancellation_reason: Option<String>,
}

/// `POST /payments/{id}/incremental_authorization`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IncrementalAuthorizationBody {
    /// The new total to authorize, not the increment.
    pub amount: i64,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A payment's `external_authentication_details`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExternalAuthenticationDetails {
    /// `frictionless` or `challenge`, once the 3DS server said.
    pub authentication_flow: Option<String>,
    /// The ECI.
    pub electronic_commerce_indicator: Option<String>,
    /// `started`, `pending`, `success` or `failed`.
    pub status: String,
    /// The directory server's transaction id.
    pub ds_transaction_id: Option<String>,
    /// The 3DS protocol version.
    pub version: Option<String>,
    /// Why it failed.
    pub error_code: Option<String>,
    /// Its message.
    pub error_message: Option<String>,
    /// The 3DS server (authentication connector).
    pub authentication_connector: String,
    /// The last `transStatus`.
    pub trans_status: Option<String>,
    /// The 3DS server's transaction id.
    pub three_ds_server_trans_id: Option<String>,
}

/// `POST /payments/{id}/3ds/authentication`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalAuthenticationBody {
    /// `BRW` (default) or `APP`.
    #[serde(default)]
    pub device_channel: Option<String>,
    /// Whether the 3DS Method completed: `Y`, `N` or `U` (default: `U` without a 3DS Method,
    /// `N` with one); browser only.
    #[serde(default)]
    pub threeds_method_comp_ind: Option<String>,
    /// For `APP`: what the app's 3DS SDK gave.
    #[serde(default)]
    pub sdk_information: Option<SdkInformationBody>,
}

/// What an app's EMV 3DS SDK gives for an app authentication.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SdkInformationBody {
    /// `sdkAppID` (UUID).
    pub sdk_app_id: String,
    /// `sdkEncData`: the device data the SDK encrypted for the directory server (a JWE).
    pub sdk_enc_data: String,
    /// `sdkEphemPubKey`: the SDK's ephemeral public key (a JWK object).
    pub sdk_ephem_pub_key: Map<String, Value>,
    /// `sdkTransID` (UUID).
    pub sdk_trans_id: String,
    /// `sdkReferenceNumber`.
    pub sdk_reference_number: String,
    /// `sdkMaxTimeout`, minutes (5 to 99).
    pub sdk_max_timeout: u8,
    /// `01` native, `02` HTML, `03` both (default).
    #[serde(default)]
    pub sdk_interface: Option<String>,
    /// The challenge screens the SDK shows, `01` to `05` (default: all).
    #[serde(default)]
    pub sdk_ui_types: Option<Vec<String>>,
}

/// The answer of `POST /payments/{id}/3ds/authentication`: the ARes's fields and the
/// payment's status after it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ExternalAuthenticationResponse {
    /// The payment.
    pub payment_id: String,
    /// Its status now: `requires_customer_action` while a challenge waits, else the
    /// authorization's (or `failed`).
    pub status: String,
    /// `Y`, `A`, `N`, `U`, `R`, `C`, `D` or `I`; `null` when the 3DS server did not answer.
    pub trans_status: Option<String>,
    /// `transStatusReason`.
    pub trans_status_reason: Option<String>,
    /// For `C`: where to POST the CReq.
    pub acs_url: Option<String>,
    /// For `C`: the CReq (base64url), posted as `creq`.
    pub challenge_request: Option<String>,
    /// The 3DS server's transaction id.
    pub three_ds_server_trans_id: Option<String>,
    /// The ACS's transaction id.
    pub acs_trans_id: Option<String>,
    /// The directory server's transaction id.
    pub ds_trans_id: Option<String>,
    /// The protocol version.
    pub message_version: Option<String>,
    /// The ECI.
    pub electronic_commerce_indicator: Option<String>,
    /// For an app: the ACS's signed content, which the app's 3DS SDK runs a challenge with.
    pub acs_signed_content: Option<String>,
    /// For an app: the ACS's reference number, which the SDK needs for a challenge.
    pub acs_reference_number: Option<String>,
    /// Text the issuer gives the cardholder.
    pub cardholder_info: Option<String>,
    /// Why authentication failed or could not run.
    pub error_code: Option<String>,
    /// Its message.
    pub error_message: Option<String>,
}

/// `POST /payments/{id}/extend_authorization` and `/complete_authorize` take no fields but
/// redirect parameters.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompleteAuthorizeBody {
    /// Parameters the customer's browser came back with.
    #[serde(default)]
    pub redirect_params: Option<Map<String, Value>>,
}

/// `POST /payments/{id}/extend_authorization`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

/// `PUT /payments/{id}/update_metadata`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateMetadataBody {
    /// Keys to set; merged into the existing metadata (a `null` value removes a key).
    pub metadata: Map<String, Value>,
}

/// `POST /payments/session_tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionTokensBody {
    /// The payment the wallets will pay.
    pub payment_id: String,
    /// `apple_pay`, `google_pay`.
    pub wallets: Vec<String>,
}

/// `POST /refunds`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRefundBody {
    /// The captured payment.
    pub payment_id: String,
    /// Minor units; the whole refundable amount when absent.
    #[serde(default)]
    pub amount: Option<i64>,
    /// Why.
    #[serde(default)]
    pub reason: Option<String>,
    /// Free-form JSON object.
    #[serde(default)]
    pub metadata: Option<Map<String, Value>>,
}

/// The payment object (the seed's payment response, the fields this router knows).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PaymentObject {
    /// `pay_` and 26 characters.
    pub payment_id: String,
    /// The owner.
    pub merchant_id: String,
    /// Unified status.
    pub status: String,
    /// The amount asked for (after incremental authorizations: the new total).
    pub amount: i64,
    /// `amount` (no surcharges or taxes in this router).
    pub net_amount: i64,
    /// What can still be captured.
    pub amount_capturable: i64,
    /// What has been captured.
    pub amount_received: i64,
    /// The connector's id.
    pub connector: String,
    /// ISO 4217.
    pub currency: String,
    /// `automatic` or `manual`.
    pub capture_method: String,
    /// `card`.
    pub payment_method: String,
    /// The card's network and last four digits, when a card was given.
    pub payment_method_data: Option<Value>,
    /// Creation time, RFC 3339.
    pub created: String,
    /// Last change, RFC 3339.
    pub updated: String,
    /// The merchant's metadata.
    pub metadata: Value,
    /// Given at creation.
    pub description: Option<String>,
    /// Given at creation.
    pub return_url: Option<String>,
    /// The processor's payment id.
    pub connector_transaction_id: Option<String>,
    /// The processor's code for the last failure.
    pub error_code: Option<String>,
    /// The processor's message for the last failure.
    pub error_message: Option<String>,
    /// The unified decline code.
    pub unified_code: Option<String>,
    /// Its message.
    pub unified_message: Option<String>,
    /// What the customer must do next.
    pub next_action: Option<Value>,
    /// Given when cancelled.
    pub cancellation_reason: Option<String>,
    /// Asked for at creation.
    pub request_incremental_authorization: bool,
    /// Whether the processor allows incrementing this authorization.
    pub incremental_authorization_allowed: Option<bool>,
    /// Successful authorizations, the first included.
    pub authorization_count: i64,
    /// Every incremental authorization attempt.
    pub incremental_authorizations: Vec<IncrementalAuthorizationObject>,
    /// Whether an extension is in force.
    pub extended_authorization_applied: Option<bool>,
    /// When it was last applied.
    pub extended_authorization_last_applied_at: Option<String>,
    /// Asked for at creation.
    pub request_extended_authorization: bool,
    /// Capture before this time or the authorization lapses.
    pub capture_before: Option<String>,
    /// When the authorization expires.
    pub expires_on: Option<String>,
    /// Refunds of this payment.
    pub refunds: Vec<RefundObject>,
    /// Captures of this payment.
    pub captures: Vec<CaptureObject>,
    /// Authorization attempts.
    pub attempts: Vec<AttemptObject>,
    /// `attempts.len()`.
    pub attempt_count: i64,
    /// The secret a front end uses for this payment: in the answer to the create only (the
    /// router keeps its SHA-256), `null` everywhere else.
    pub client_secret: Option<String>,
    /// The merchant's id of the customer.
    pub customer_id: Option<String>,
    /// The customer.
    pub customer: Option<CustomerBody>,
    /// The customer's e-mail (the mirrored API's older field; `customer.email`).
    pub email: Option<String>,
    /// The customer's name (`customer.name`).
    pub name: Option<String>,
    /// The customer's phone (`customer.phone`).
    pub phone: Option<String>,
    /// The billing contact.
    pub billing: Option<ContactBody>,
    /// The shipping contact.
    pub shipping: Option<ContactBody>,
    /// The merchant's order reference.
    pub merchant_order_reference_id: Option<String>,
    /// The reference the processor knows the payment by (the router sends the payment id).
    pub reference_id: Option<String>,
    /// Given at creation.
    pub statement_descriptor_name: Option<String>,
    /// Given at creation.
    pub statement_descriptor_suffix: Option<String>,
    /// `three_ds` or `no_three_ds`, as given at creation.
    pub authentication_type: Option<String>,
    /// `credit` or `debit`, as given at creation.
    pub payment_method_type: Option<String>,
    /// Given at creation.
    pub browser_info: Option<BrowserInfoBody>,
    /// The card network's id of the authorization, when the processor gave it.
    pub network_transaction_id: Option<String>,
    /// The external 3DS authentication, when the payment asked for one.
    pub external_authentication_details: Option<ExternalAuthenticationDetails>,
    /// Whether external 3DS authentication was asked for (`null` when it was not).
    pub external_3ds_authentication_attempted: Option<bool>,
    /// The issuer's decline code, when the processor passed it on.
    pub issuer_error_code: Option<String>,
    /// The issuer's message for it (no processor here passes one on).
    pub issuer_error_message: Option<String>,
}

/// One incremental authorization.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct IncrementalAuthorizationObject {
    /// `auth_…`.
    pub authorization_id: String,
    /// The new total asked for.
    pub amount: i64,
    /// `success`, `failure` or `processing`.
    pub status: String,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// The total before this attempt.
    pub previously_authorized_amount: i64,
    /// When it was asked for.
    pub created_at: String,
}

/// One capture.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct CaptureObject {
    /// `cap_…`.
    pub capture_id: String,
    /// `charged`, `pending` or `failed`.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// The connector.
    pub connector: String,
    /// The processor's id of the capture, when it gives one.
    pub connector_capture_id: Option<String>,
    /// 1 for the first capture.
    pub capture_sequence: i64,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// Why it failed, as the processor said.
    pub error_reason: Option<String>,
    /// When it was asked for.
    pub created_at: String,
    /// The attempt whose authorization it captures.
    pub authorized_attempt_id: Option<String>,
    /// The reference the processor knows the capture by (the router sends the capture id).
    pub reference_id: Option<String>,
}

/// One authorization attempt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AttemptObject {
    /// `att_…`.
    pub attempt_id: String,
    /// `started`, `pending`, `authorized`, `charged`, `authentication_pending`, `failure`.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// The connector.
    pub connector: String,
    /// The processor's payment id.
    pub connector_transaction_id: Option<String>,
    /// `automatic` or `manual`.
    pub capture_method: String,
    /// `card`.
    pub payment_method: String,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// The unified decline code.
    pub unified_code: Option<String>,
    /// Its message.
    pub unified_message: Option<String>,
    /// When it started.
    pub created_at: String,
    /// Last change.
    pub modified_at: String,
    /// `three_ds` or `no_three_ds`, as given at creation.
    pub authentication_type: Option<String>,
    /// `credit` or `debit`, as given at creation.
    pub payment_method_type: Option<String>,
}

/// The refund object.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RefundObject {
    /// `ref_…`.
    pub refund_id: String,
    /// The refunded payment.
    pub payment_id: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217.
    pub currency: String,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Why.
    pub reason: Option<String>,
    /// The merchant's metadata.
    pub metadata: Value,
    /// The processor's refund id.
    pub connector_refund_id: Option<String>,
    /// The processor's code on failure.
    pub error_code: Option<String>,
    /// The processor's message on failure.
    pub error_message: Option<String>,
    /// The unified code on failure.
    pub unified_code: Option<String>,
    /// Its message.
    pub unified_message: Option<String>,
    /// The connector.
    pub connector: String,
    /// When it was asked for.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// The issuer's decline code (no processor here gives one for refunds).
    pub issuer_error_code: Option<String>,
    /// The issuer's message.
    pub issuer_error_message: Option<String>,
}

/// `GET /payments/{id}/eligibility`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Eligibility {
    /// The payment.
    pub payment_id: String,
    /// Its status.
    pub status: String,
    /// The connector.
    pub connector: String,
    /// Every operation, allowed or not, with the reason when not.
    pub operations: std::collections::BTreeMap<String, OperationEligibility>,
    /// Each wallet: whether `POST /payments/session_tokens` can give its sheet's data for this
    /// payment, and why not.
    pub wallets: std::collections::BTreeMap<String, OperationEligibility>,
}

/// Whether one operation is allowed now.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct OperationEligibility {
    /// Allowed now.
    pub eligible: bool,
    /// Why not, when not.
    pub reason: Option<String>,
    /// The most that can be asked for (capture, refund), when it applies.
    pub max_amount: Option<i64>,
}

/// An event sent (or to be sent) to the merchant's webhook endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventObject {
    /// `evt_…`: the same on every delivery; de-duplicate on it.
    pub event_id: String,
    /// `payment_succeeded`, `refund_failed`, …
    pub event_type: String,
    /// `payment` or `refund`.
    pub object_type: String,
    /// The payment's or refund's id.
    pub object_id: String,
    /// The payment it is about (a refund's payment).
    pub payment_id: String,
    /// When the change happened.
    pub created: String,
    /// `pending`, `delivered` or `failed` (every attempt failed).
    pub delivery_status: String,
    /// Attempts made.
    pub delivery_attempts: i64,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<String>,
    /// When the endpoint accepted it.
    pub delivered_at: Option<String>,
}

/// One event with what was sent and every attempt: `GET /events/{event_id}`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventDetail {
    /// The event.
    #[serde(flatten)]
    pub event: EventObject,
    /// The body every delivery sends (the object as the API returned it at the change).
    pub body: Value,
    /// The attempts, oldest first.
    pub deliveries: Vec<DeliveryObject>,
}

/// One delivery attempt.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DeliveryObject {
    /// 1 for the first.
    pub attempt: i64,
    /// When it was sent.
    pub attempted_at: String,
    /// Milliseconds until the answer (or the failure).
    pub latency_ms: i64,
    /// The endpoint's HTTP status, when it answered.
    pub status_code: Option<i64>,
    /// The first 256 bytes of its answer.
    pub response_excerpt: Option<String>,
    /// Why no answer came, when none did.
    pub error: Option<String>,
}

/// `GET /events`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventList {
    /// Newest first.
    pub events: Vec<EventObject>,
}
