//! `POST /payments/session_tokens`: what a front end needs to open wallet payment sheets.

use std::sync::Arc;

use paybridge_core::wallet::WalletSession;
use paybridge_core::*;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use super::{Caller, Payments};
use crate::error::ApiError;
use crate::model::SessionTokensBody;
use crate::wallets::MerchantWallets;

const NO_SETTINGS: &str = "this merchant has no wallet settings (a [merchants.wallets] table \
                           with its display name and country)";
const NO_APPLE_IDENTITY: &str = "apple_pay: this merchant has no Apple Pay identity (a \
                                 [merchants.wallets.apple_pay] table with its merchant id, \
                                 domain, certificate and key)";

impl Payments {
    /// `POST /payments/session_tokens`: one entry per wallet asked for, in the order asked.
    /// A wallet that cannot be served gets an entry with an `error` saying why; when none can,
    /// the answer is the first wallet's error, with every wallet's reason in its message.
    pub async fn session_tokens(
        &self,
        caller: &Caller,
        body: SessionTokensBody,
    ) -> Result<Value, ApiError> {
        let wallets = requested_wallets(&body.wallets)?;
        let payment = self.read(caller, &body.payment_id).await?;
        let connector: Arc<dyn Connector> = self.connector(&payment.connector)?.clone();
        let settings = self.wallets.for_merchant(&caller.merchant_id);

        let mut entries: Vec<(Wallet, Result<Value, ApiError>)> = Vec::new();
        let mut asked = Vec::new();
        for wallet in wallets {
            match self.wallet_refusal(&caller.merchant_id, connector.capabilities(), wallet) {
                Some(reason) => entries.push((wallet, Err(ApiError::not_supported(reason)))),
                None => asked.push(wallet),
            }
        }
        if let (Some(settings), false) = (settings, asked.is_empty()) {
            let request = SessionTokenRequest {
                reference: payment.id.clone(),
                amount: payment.amount,
                currency: payment.currency,
                wallets: asked.clone(),
                merchant: settings.merchant.clone(),
            };
            match connector.session_token(&request).await {
                Ok(response) => {
                    for session in response.sessions {
                        let wallet = session.wallet();
                        let entry = present_session(session, settings).await;
                        entries.push((wallet, entry));
                    }
                }
                Err(err) => {
                    let error = ApiError::from_connector(&err);
                    entries.extend(asked.iter().map(|w| (*w, Err(error.clone()))));
                }
            }
        }

        let first_error = entries.iter().find_map(|(_, e)| e.as_ref().err()).cloned();
        let served = entries.iter().filter(|(_, e)| e.is_ok()).count();
        if served == 0 {
            let mut error = first_error.unwrap_or_else(|| ApiError::internal("no wallet asked"));
            error.message = entries
                .iter()
                .filter_map(|(w, e)| e.as_ref().err().map(|e| format!("{w}: {}", e.message)))
                .collect::<Vec<_>>()
                .join("; ");
            return Err(error);
        }
        let tokens: Vec<Value> = entries
            .into_iter()
            .map(|(wallet, entry)| {
                let mut object = match entry {
                    Ok(object) => object,
                    Err(error) => json!({
                        "error": {"type": error.kind, "code": error.code, "message": error.message}
                    }),
                };
                object["wallet_name"] = json!(wallet.name());
                object["connector"] = json!(connector.id());
                object
            })
            .collect();
        Ok(json!({"payment_id": payment.id, "session_token": tokens}))
    }

    /// Why `wallet`'s session cannot be given for a payment on a connector with `caps` of
    /// `merchant_id` (before asking anyone): `None` when it can be asked for.
    pub(super) fn wallet_refusal(
        &self,
        merchant_id: &str,
        caps: &Capabilities,
        wallet: Wallet,
    ) -> Option<String> {
        let served = caps.wallets.get(&wallet).is_some_and(|w| w.session_token);
        let settings = self.wallets.for_merchant(merchant_id);
        if !served {
            Some(self.not_served(&caps.connector, wallet).message)
        } else if settings.is_none() {
            Some(format!("{wallet}: {NO_SETTINGS}"))
        } else if wallet == Wallet::ApplePay && settings.is_some_and(|s| s.apple_pay.is_none()) {
            Some(NO_APPLE_IDENTITY.to_owned())
        } else {
            None
        }
    }

    fn not_served(&self, connector: &str, wallet: Wallet) -> ApiError {
        let able: Vec<&str> = self
            .connectors
            .values()
            .filter(|c| {
                c.capabilities()
                    .wallets
                    .get(&wallet)
                    .is_some_and(|w| w.session_token)
            })
            .map(|c| c.id())
            .collect();
        ApiError::not_supported(format!(
            "connector {connector} gives no {wallet} session; connectors that do: {}",
            if able.is_empty() {
                "none configured".to_owned()
            } else {
                able.join(", ")
            }
        ))
    }
}

/// The wallets named, known and each once.
fn requested_wallets(names: &[String]) -> Result<Vec<Wallet>, ApiError> {
    if names.is_empty() {
        return Err(ApiError::invalid(
            "missing_wallets",
            "wallets must name at least one wallet",
        ));
    }
    let mut wallets = Vec::with_capacity(names.len());
    for name in names {
        let wallet = Wallet::from_name(name).ok_or_else(|| {
            ApiError::invalid(
                "unknown_wallet",
                format!("wallet '{name}' is not one of: apple_pay, google_pay"),
            )
        })?;
        if wallets.contains(&wallet) {
            return Err(ApiError::invalid(
                "duplicate_wallet",
                format!("wallets lists '{name}' twice"),
            ));
        }
        wallets.push(wallet);
    }
    Ok(wallets)
}

/// One wallet's entry: the wallet's own objects (Google's and Apple's field names), passed to
/// their JavaScript APIs unchanged.
async fn present_session(
    session: WalletSession,
    settings: &MerchantWallets,
) -> Result<Value, ApiError> {
    match session {
        WalletSession::GooglePay(request) => Ok(json!({
            "environment": settings.google_pay_environment.name(),
            "payment_data_request": request,
        })),
        WalletSession::ApplePay(request) => {
            let Some(validation) = &settings.apple_pay else {
                return Err(ApiError::not_supported(NO_APPLE_IDENTITY));
            };
            let session = validation
                .merchant_session()
                .await
                .map_err(|e| apple_error(&e))?;
            Ok(json!({
                "session_token_data": session,
                "payment_request_data": request,
            }))
        }
        WalletSession::ClientToken {
            client_token,
            expires_at,
            ..
        } => Ok(json!({
            "client_token": client_token.expose_secret(),
            "expires_at": expires_at,
        })),
        WalletSession::Unavailable { wallet, reason } => {
            Err(ApiError::not_supported(format!("{wallet}: {reason}")))
        }
    }
}

/// Apple's refusal or silence, named as Apple's, not the processor's.
fn apple_error(err: &ConnectorError) -> ApiError {
    let mut error = ApiError::from_connector(err);
    error.code = error.code.replacen("processor_", "apple_pay_", 1);
    error.message = format!("Apple Pay merchant validation: {}", error.message);
    error
}
