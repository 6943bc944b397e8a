"""Hooks of scripts/api-fuzz.sh: what a JSON Schema cannot say about valid data.

- A card number's last digit is a Luhn check digit; the document gives its pattern and says
  so, and this hook makes the generated numbers' last digit the right one.
- Metadata keys: the document's `propertyNames` (1 to 40 characters, no control characters)
  is not honoured by the generators, so keys outside it are dropped before sending.
- The customer's older top-level fields (`customer_id`, `email`, `name`, `phone`,
  `phone_country_code`) must equal their `customer` fields where both are given, which a
  schema cannot say: the top-level value is set to the nested one.
- A wallet token is signed and encrypted by the wallet; its JSON text (Google Pay) or its
  base64 (Apple Pay) cannot be generated from a schema. Generated tokens are replaced with the
  simulators' test tokens (`paybridge_sandbox::wallet_tokens`), so the request reaches the
  connector.
- External 3DS (`request_external_three_ds_authentication: true`) needs `authentication_type:
  three_ds`, a card, and a browser's four required fields when `browser_info` is given. The
  document says so in words; as schema rules beside the others, the generators fail on the
  whole create request. The flag is cleared on generated requests that do not meet them.
- `payment_method` names the kind of `payment_method_data` (`card` or `wallet`); for the same
  reason it is set to the kind of the data generated.
"""

import base64
import json

import schemathesis


def _with_check_digit(digits: str) -> str:
    payload = digits[:-1]
    total = 0
    for position, char in enumerate(reversed(payload)):
        value = int(char)
        if position % 2 == 0:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return payload + str((10 - total % 10) % 10)


def _documented_key(key) -> bool:
    return (
        isinstance(key, str)
        and 1 <= len(key) <= 40
        and not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in key)
    )


_CUSTOMER_FIELDS = {
    "customer_id": "id",
    "email": "email",
    "name": "name",
    "phone": "phone",
    "phone_country_code": "phone_country_code",
}


def _align_customer(body: dict) -> None:
    customer = body.get("customer")
    if not isinstance(customer, dict):
        return
    for top, nested in _CUSTOMER_FIELDS.items():
        if body.get(top) is not None and customer.get(nested) is not None:
            body[top] = customer[nested]


_GOOGLE_PAY_TOKEN = json.dumps({
    "protocolVersion": "ECv2",
    "signature": "MEQCIH6Q4OwQ0jAceFEkGF0JID6s",
    "intermediateSigningKey": {
        "signedKey": json.dumps({"keyValue": "MFkwEwYHKoZIzj0CAQYI", "keyExpiration": "4102444800000"}),
        "signatures": ["MEYCIQCO2EIi48s8VTH"],
    },
    "signedMessage": json.dumps({
        "encryptedMessage": base64.b64encode(json.dumps({
            "paymentMethod": "CARD",
            "paymentMethodDetails": {"pan": "4242424242424242", "expirationMonth": 12,
                                     "expirationYear": 2030, "authMethod": "PAN_ONLY"},
        }).encode()).decode(),
        "ephemeralPublicKey": "BOdoXP1aiNp", "tag": "BKeGnf2bv",
    }),
})

_APPLE_PAY_DATA = {
    "version": "EC_v1",
    "data": base64.b64encode(json.dumps({
        "applicationPrimaryAccountNumber": "4242424242424242",
        "applicationExpirationDate": "301231", "paymentDataType": "3DSecure",
        "paymentData": {"onlinePaymentCryptogram": "AgAAAAAAAIR8CQrXcIhbQAAAAAA=", "eciIndicator": "7"},
    }).encode()).decode(),
    "signature": "MIAGCSqGSIb3DQEHAqCAMIACAQExDzAN",
    "header": {"ephemeralPublicKey": "MFkwEwYHKoZIzj0CAQYI", "publicKeyHash": "tqYV+tmG9aMh",
               "transactionId": "3cee89679130a4b2"},
}


_BROWSER_FIELDS = ("accept_header", "user_agent", "language", "java_script_enabled")


def _external_3ds_consistent(body: dict) -> None:
    if body.get("request_external_three_ds_authentication") is not True:
        return
    data = body.get("payment_method_data")
    browser = body.get("browser_info")
    consistent = (
        body.get("authentication_type") == "three_ds"
        and isinstance(data, dict)
        and isinstance(data.get("card"), dict)
        and (browser is None or all(browser.get(f) is not None for f in _BROWSER_FIELDS))
    )
    if not consistent:
        body["request_external_three_ds_authentication"] = False


def _align_payment_method(body: dict) -> None:
    data = body.get("payment_method_data")
    if not isinstance(data, dict) or body.get("payment_method") is None:
        return
    for kind in ("card", "wallet"):
        if isinstance(data.get(kind), dict):
            body["payment_method"] = kind
            return


def _test_wallet_tokens(data) -> None:
    wallet = data.get("wallet") if isinstance(data, dict) else None
    if not isinstance(wallet, dict):
        return
    google = wallet.get("google_pay")
    tokenization = google.get("tokenization_data") if isinstance(google, dict) else None
    if isinstance(tokenization, dict) and isinstance(tokenization.get("token"), str):
        tokenization["token"] = _GOOGLE_PAY_TOKEN
    apple = wallet.get("apple_pay")
    if isinstance(apple, dict) and "payment_data" in apple:
        apple["payment_data"] = json.loads(json.dumps(_APPLE_PAY_DATA))


@schemathesis.hook
def before_call(context, case, kwargs):
    # Every phase's requests pass here (map_body does not see the coverage phase's).
    body = case.body
    if not isinstance(body, dict):
        return
    _align_customer(body)
    _external_3ds_consistent(body)
    _align_payment_method(body)
    metadata = body.get("metadata")
    if isinstance(metadata, dict):
        for key in [k for k in metadata if not _documented_key(k)]:
            del metadata[key]
    data = body.get("payment_method_data")
    _test_wallet_tokens(data)
    card = data.get("card") if isinstance(data, dict) else None
    number = card.get("card_number") if isinstance(card, dict) else None
    if isinstance(number, str) and number.isascii() and number.isdigit() and len(number) >= 2:
        card["card_number"] = _with_check_digit(number)
