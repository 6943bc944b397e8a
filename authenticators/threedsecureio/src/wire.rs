//! 3dsecure.io's messages as its API reference names them (clearhaus/3DSv2-api-documentation,
//! `source/_static/*.html`): what is sent, and the fields read from what comes back. Answers are
//! read field by field as optional strings, and the mapping says what a missing one means.

use serde::{Deserialize, Serialize};

/// `POST /preauth`.
#[derive(Serialize)]
pub struct PreAuth<'a> {
    #[serde(rename = "acctNumber")]
    pub acct_number: &'a str,
}

/// `POST /postauth`.
#[derive(Serialize)]
pub struct PostAuth<'a> {
    #[serde(rename = "threeDSServerTransID")]
    pub server_trans_id: &'a str,
}

/// `threeDSMethodData`, before its base64url encoding.
#[derive(Serialize)]
pub struct MethodData<'a> {
    #[serde(rename = "threeDSServerTransID")]
    pub server_trans_id: &'a str,
    #[serde(rename = "threeDSMethodNotificationURL")]
    pub notification_url: &'a str,
}

/// The browser challenge's CReq, before its base64url encoding.
#[derive(Serialize)]
pub struct CReq<'a> {
    #[serde(rename = "threeDSServerTransID")]
    pub server_trans_id: &'a str,
    #[serde(rename = "acsTransID")]
    pub acs_trans_id: &'a str,
    #[serde(rename = "messageVersion")]
    pub message_version: &'a str,
    #[serde(rename = "messageType")]
    pub message_type: &'static str,
    #[serde(rename = "challengeWindowSize")]
    pub challenge_window_size: &'static str,
}

/// `POST /auth`: the AReq of a payment (`messageCategory` `01`) from a browser (`deviceChannel`
/// `02`) or an app (`01`). Optional fields, and the other channel's, are left out rather than
/// sent empty.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AReq<'a> {
    pub message_type: &'static str,
    pub message_version: &'a str,
    pub message_category: &'static str,
    pub device_channel: &'static str,
    #[serde(rename = "threeDSServerTransID")]
    pub server_trans_id: &'a str,
    /// Browser only.
    #[serde(rename = "threeDSCompInd", skip_serializing_if = "Option::is_none")]
    pub comp_ind: Option<&'static str>,
    #[serde(rename = "threeDSRequestorAuthenticationInd")]
    pub requestor_authentication_ind: &'static str,
    #[serde(rename = "threeDSRequestorURL")]
    pub requestor_url: &'a str,
    /// Browser only.
    #[serde(rename = "notificationURL", skip_serializing_if = "Option::is_none")]
    pub notification_url: Option<&'a str>,
    pub trans_type: &'static str,
    pub acct_number: &'a str,
    pub card_expiry_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cardholder_name: Option<&'a str>,
    pub purchase_amount: String,
    pub purchase_currency: &'static str,
    pub purchase_exponent: String,
    pub purchase_date: String,
    #[serde(rename = "acquirerBIN")]
    pub acquirer_bin: &'a str,
    #[serde(rename = "acquirerMerchantID")]
    pub acquirer_merchant_id: &'a str,
    /// 2.3.1 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquirer_country_code: Option<&'a str>,
    /// 2.3.1 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquirer_country_code_source: Option<&'static str>,
    pub mcc: &'a str,
    pub merchant_country_code: &'a str,
    pub merchant_name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_accept_header: Option<&'a str>,
    #[serde(rename = "browserIP", skip_serializing_if = "Option::is_none")]
    pub browser_ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_java_enabled: Option<bool>,
    /// 2.2.0 and later.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_javascript_enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_language: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_color_depth: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_screen_height: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_screen_width: Option<String>,
    #[serde(rename = "browserTZ", skip_serializing_if = "Option::is_none")]
    pub browser_tz: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub browser_user_agent: Option<&'a str>,
    /// 2.3.1 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accept_language: Option<Vec<&'a str>>,
    /// App only: the app's installation (UUID).
    #[serde(rename = "sdkAppID", skip_serializing_if = "Option::is_none")]
    pub sdk_app_id: Option<&'a str>,
    /// App only: the JWE the SDK encrypted for the directory server (masked in logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_enc_data: Option<&'a str>,
    /// App only: a JSON object (the JWK), not a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_ephem_pub_key: Option<&'a serde_json::Map<String, serde_json::Value>>,
    /// App only: two digits of minutes, `05` to `99`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_max_timeout: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_reference_number: Option<&'a str>,
    #[serde(rename = "sdkTransID", skip_serializing_if = "Option::is_none")]
    pub sdk_trans_id: Option<&'a str>,
    /// App, 2.3.1 only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk_type: Option<&'static str>,
    /// App, 2.3.1 only (with `sdkType` `01`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_sdk_type: Option<DefaultSdkType>,
    /// App only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_render_options: Option<DeviceRenderOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_addr_city: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_addr_country: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_addr_line1: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_addr_line2: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_addr_line3: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_addr_post_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill_addr_state: Option<&'a str>,
}

/// `deviceRenderOptions` (`devicerenderoptions.html`): what the SDK can show a challenge in.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceRenderOptions {
    pub sdk_interface: &'static str,
    pub sdk_ui_type: Vec<&'static str>,
}

/// `defaultSdkType` (2.3.1, `defaultsdktype_231.html`): the characteristics of a Default-SDK.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DefaultSdkType {
    pub sdk_variant: &'static str,
}

/// The card range data (`messageType` `CRD`) answering `/preauth`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Crd {
    #[serde(rename = "threeDSServerTransID")]
    pub server_trans_id: Option<String>,
    pub scheme: Option<String>,
    pub ds_start_protocol_version: Option<String>,
    pub ds_end_protocol_version: Option<String>,
    pub acs_start_protocol_version: Option<String>,
    pub acs_end_protocol_version: Option<String>,
    /// Since 2024-09-17: every version active at the DS.
    pub ds_protocol_versions: Option<Vec<String>>,
    /// Since 2024-09-17: one entry per version the ACS supports.
    pub acs_protocol_versions: Option<Vec<AcsProtocolVersion>>,
    /// The versions the 3DS server supports (in the changelog's example).
    #[serde(rename = "threeDSServerProtocolVersions")]
    pub server_protocol_versions: Option<Vec<String>>,
    #[serde(rename = "threeDSMethodURL")]
    pub method_url: Option<String>,
}

/// One entry of `acsProtocolVersions`.
#[derive(Deserialize)]
pub struct AcsProtocolVersion {
    pub version: Option<String>,
    #[serde(rename = "threeDSMethodURL")]
    pub method_url: Option<String>,
}

/// The fields read from an ARes (`/auth`) or an RReq (`/postauth`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub message_version: Option<String>,
    pub trans_status: Option<String>,
    pub trans_status_reason: Option<String>,
    pub eci: Option<String>,
    pub authentication_value: Option<String>,
    #[serde(rename = "threeDSServerTransID")]
    pub server_trans_id: Option<String>,
    #[serde(rename = "dsTransID")]
    pub ds_trans_id: Option<String>,
    #[serde(rename = "acsTransID")]
    pub acs_trans_id: Option<String>,
    #[serde(rename = "acsURL")]
    pub acs_url: Option<String>,
    pub acs_challenge_mandated: Option<String>,
    pub cardholder_info: Option<String>,
    /// The ACS's JWS for an app's SDK (ARes).
    pub acs_signed_content: Option<String>,
    /// The ACS's EMVCo reference number (ARes).
    pub acs_reference_number: Option<String>,
    /// The SDK's transaction id, echoed for an app (ARes, RReq).
    #[serde(rename = "sdkTransID")]
    pub sdk_trans_id: Option<String>,
}

/// An error message (`messageType` `Erro`).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Erro {
    pub error_code: Option<String>,
    pub error_component: Option<String>,
    pub error_description: Option<String>,
    pub error_detail: Option<String>,
    #[serde(rename = "threeDSServerTransID")]
    pub server_trans_id: Option<String>,
}
