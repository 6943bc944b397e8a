//! Test wallet tokens the simulators can read.
//!
//! A real wallet token is encrypted for the processor's keys (Google's ECv2 message for the
//! gateway, Apple's `EC_v1` data for the payment processing certificate). The simulators hold
//! no such keys, so their test tokens keep every field of the real shape and put the card in
//! clear where the ciphertext goes: base64 of the JSON the processor would get after
//! decrypting, with the real decrypted field names (Google's `paymentMethodDetails`, Apple's
//! `applicationPrimaryAccountNumber`). The card number then chooses the outcome, as it does for
//! plain cards in each simulator.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

/// What a simulator reads out of a test wallet token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalletCard {
    /// The card (or device account) number.
    pub number: String,
    /// Expiry month, 1–12.
    pub exp_month: u8,
    /// Expiry year, four digits.
    pub exp_year: u16,
    /// `true` for a device token with a cryptogram (`CRYPTOGRAM_3DS`, Apple's `3DSecure`),
    /// `false` for a card on file (`PAN_ONLY`).
    pub cryptogram: bool,
}

/// A Google Pay ECv2 token (the `tokenizationData.token` text) for `number`, as gateway
/// `checkoutltd` would get it.
pub fn google_pay_token(number: &str) -> String {
    let decrypted = json!({
        "gatewayMerchantId": "pk_sbox_test",
        "messageExpiration": "4102444800000",
        "messageId": "AH2EjtcMnJqrB5pRzjQ4lEXAMPLE",
        "paymentMethod": "CARD",
        "paymentMethodDetails": {
            "pan": number,
            "expirationMonth": 12,
            "expirationYear": 2030,
            "authMethod": "PAN_ONLY"
        }
    });
    let signed_message = json!({
        "encryptedMessage": STANDARD.encode(decrypted.to_string()),
        "ephemeralPublicKey": "BOdoXP1aiNp+6uPKFsX5t3EXAMPLEphemeralKey+AAAAAAAAAAAAAAAAAAAAA=",
        "tag": "BKeGnf2bvEXAMPLEtag0xvE0cRw7RFFkmhLTNz9Kf9U="
    });
    json!({
        "protocolVersion": "ECv2",
        "signature": "MEQCIH6Q4OwQ0jAceFEkGF0JID6sJNXxOEi4r+mA7biRxqBQAiAondqoUpU/bdsrAOpZIsrHQS9nwiiNwOrr24RyPeHA0Q==",
        "intermediateSigningKey": {
            "signedKey": "{\"keyValue\":\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/1+3HBVSbdv+j7NaArdgMyoSAM43yRydzqdg1TxodSzA96Dj4Mc1EiKroxxunavVIvdxGnJeFViTzFvzFRxyCw==\",\"keyExpiration\":\"4102444800000\"}",
            "signatures": ["MEYCIQCO2EIi48s8VTH+ilMEpoXLFfkxAwHjfPSCVED/QDSHmQIhALLJmrUlNAY8hDQRV/y1iKZGsWpeNmIP+z+tCQHQxP0v"]
        },
        "signedMessage": signed_message.to_string()
    })
    .to_string()
}

/// An Apple Pay `paymentData` object for `number` (`EC_v1`, with a cryptogram).
pub fn apple_pay_payment_data(number: &str) -> Value {
    let decrypted = json!({
        "applicationPrimaryAccountNumber": number,
        "applicationExpirationDate": "301231",
        "currencyCode": "840",
        "transactionAmount": 0,
        "deviceManufacturerIdentifier": "040010030273",
        "paymentDataType": "3DSecure",
        "paymentData": {"onlinePaymentCryptogram": "AgAAAAAAAIR8CQrXcIhbQAAAAAA=", "eciIndicator": "7"}
    });
    json!({
        "version": "EC_v1",
        "data": STANDARD.encode(decrypted.to_string()),
        "signature": "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0BBwEAAKCAMIID5jCCA4ugAwIBAgIIaGD2mdnMpw8wCgYIKoZIzj0EAwIwejEuMCwGA1UEAwwlQXBwbGUgQXBwbGljYXRpb24gSW50ZWdyYXRpb24gQ0EgLSBHMw==",
        "header": {
            "ephemeralPublicKey": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEX1ievoT8DRB8T5zGkhHZHeDr0oBmYEgsDSxyT0MD0IZ2Mpfjz2LdWq6LUwSH9EmxdPEzMunsZKWMyOr3K/zlsw==",
            "publicKeyHash": "tqYV+tmG9aMh+l/K6cicUnPqkb1gUiLjSTM9gEz6Nl0=",
            "transactionId": "3cee89679130a4b2617c76118a1c62fd400cd45b49dc0916d5b951b560cd17b4"
        }
    })
}

/// A Google Pay token for gateway `stripe`: Stripe's token object, whose `id` the Stripe
/// simulator knows (`tok_visa`, `tok_chargeDeclined`, … or one it issued).
pub fn stripe_google_pay_token(token_id: &str) -> String {
    json!({
        "id": token_id,
        "object": "token",
        "card": {"object": "card", "brand": "Visa", "last4": "4242", "exp_month": 12, "exp_year": 2030, "tokenization_method": "android_pay"},
        "created": 1_700_000_000,
        "livemode": false,
        "type": "card",
        "used": false
    })
    .to_string()
}

/// The card in a test Google Pay token's `signedMessage` (the JSON text), if it is one.
pub fn read_google_pay(signed_message: &str) -> Option<WalletCard> {
    let message: Value = serde_json::from_str(signed_message).ok()?;
    let decrypted = decode_json(message.get("encryptedMessage")?.as_str()?)?;
    let details = decrypted.get("paymentMethodDetails")?;
    Some(WalletCard {
        number: details.get("pan")?.as_str()?.to_owned(),
        exp_month: u8::try_from(details.get("expirationMonth")?.as_u64()?).ok()?,
        exp_year: u16::try_from(details.get("expirationYear")?.as_u64()?).ok()?,
        cryptogram: details.get("authMethod").and_then(Value::as_str) == Some("CRYPTOGRAM_3DS"),
    })
}

/// The card in a test Apple Pay token's `data` (base64), if it is one.
pub fn read_apple_pay(data: &str) -> Option<WalletCard> {
    let decrypted = decode_json(data)?;
    let expiry = decrypted.get("applicationExpirationDate")?.as_str()?;
    if expiry.len() != 6 || !expiry.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(WalletCard {
        number: decrypted
            .get("applicationPrimaryAccountNumber")?
            .as_str()?
            .to_owned(),
        exp_year: 2000 + expiry[0..2].parse::<u16>().ok()?,
        exp_month: expiry[2..4].parse().ok()?,
        cryptogram: decrypted.get("paymentDataType").and_then(Value::as_str) == Some("3DSecure"),
    })
}

fn decode_json(b64: &str) -> Option<Value> {
    serde_json::from_slice(&STANDARD.decode(b64).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_tokens_read_back_their_card() {
        let google: Value =
            serde_json::from_str(&google_pay_token("4242424242424242")).expect("json");
        let card = read_google_pay(google["signedMessage"].as_str().expect("text")).expect("card");
        assert_eq!(
            (card.number.as_str(), card.exp_month, card.exp_year),
            ("4242424242424242", 12, 2030)
        );
        let apple = apple_pay_payment_data("5555555555554444");
        let card = read_apple_pay(apple["data"].as_str().expect("data")).expect("card");
        assert_eq!(
            (
                card.number.as_str(),
                card.exp_month,
                card.exp_year,
                card.cryptogram
            ),
            ("5555555555554444", 12, 2030, true)
        );
        assert_eq!(read_apple_pay("bm90IGpzb24="), None);
    }
}
