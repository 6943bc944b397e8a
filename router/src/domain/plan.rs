//! Whether an operation may run now, and with what amounts: [`plan`], pure, for every command.
//! Eligibility is `plan` run for each of them.

use paybridge_core::{
    Capabilities, CardNetwork, Condition, Flow, MinorUnit, PaymentStatus as S, RefundStatus,
};

use super::authentication::before_authorization;
use super::payment::{enum_name, status_name, Payment};
use super::Refusal;

/// An operation a merchant asks for, with what it asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Capture `amount` (all that is capturable when `None`).
    Capture {
        /// Asked for.
        amount: Option<MinorUnit>,
        /// Release the rest after this capture (default: see [`plan`]).
        final_capture: Option<bool>,
    },
    /// Void the authorization.
    Void,
    /// Raise the authorization to `new_total`.
    IncrementAuthorization {
        /// The new total, not the increment.
        new_total: MinorUnit,
    },
    /// Extend the authorization's window.
    ExtendAuthorization,
    /// Undo the capture with a refund of all of it.
    CancelPostCapture,
    /// Refund `amount` (all that is refundable when `None`).
    Refund {
        /// Asked for.
        amount: Option<MinorUnit>,
    },
    /// Finish the authorization after the customer's action.
    CompleteAuthorize,
    /// Ask the processor where the payment stands.
    Sync,
    /// Run the external 3DS authentication of a payment created for one.
    ExternalAuthentication,
}

impl Command {
    /// The operation's name in the API (`eligibility`'s keys).
    pub fn name(&self) -> &'static str {
        match self {
            Command::Capture { .. } => "capture",
            Command::Void => "cancel",
            Command::IncrementAuthorization { .. } => "incremental_authorization",
            Command::ExtendAuthorization => "extend_authorization",
            Command::CancelPostCapture => "cancel_post_capture",
            Command::Refund { .. } => "refund",
            Command::CompleteAuthorize => "complete_authorize",
            Command::Sync => "sync",
            Command::ExternalAuthentication => "external_3ds_authentication",
        }
    }

    /// The processor flow it needs; `None` for external authentication, which runs at the
    /// merchant's 3DS server before any processor has the payment.
    fn flow(&self) -> Option<Flow> {
        Some(match self {
            Command::ExternalAuthentication => return None,
            Command::Capture { .. } => Flow::Capture,
            Command::Void => Flow::Void,
            Command::IncrementAuthorization { .. } => Flow::IncrementalAuthorization,
            Command::ExtendAuthorization => Flow::ExtendAuthorization,
            Command::CancelPostCapture => Flow::CancelPostCapture,
            Command::Refund { .. } => Flow::Refund,
            Command::CompleteAuthorize => Flow::CompleteAuthorize,
            Command::Sync => Flow::PaymentSync,
        })
    }
}

/// What an allowed command will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// Capture `amount`; `final_capture` releases the rest.
    Capture {
        /// Reserved from the capturable amount before the processor is called.
        amount: MinorUnit,
        /// Whether the rest is released.
        final_capture: bool,
    },
    /// Void.
    Void,
    /// Raise from `current` to `new_total`.
    IncrementAuthorization {
        /// Authorized now.
        current: MinorUnit,
        /// Asked for.
        new_total: MinorUnit,
    },
    /// Extend.
    ExtendAuthorization,
    /// Refund all that was received, `amount`.
    CancelPostCapture {
        /// What was captured.
        amount: MinorUnit,
    },
    /// Refund `amount`.
    Refund {
        /// Reserved from the refundable amount before the processor is called.
        amount: MinorUnit,
    },
    /// Complete at the processor.
    CompleteAuthorize,
    /// A webhook already moved the payment on while the customer's action is still recorded:
    /// completing is syncing.
    CompleteBySync,
    /// Sync.
    Sync,
    /// Authenticate with the 3DS server, then authorize with its result (or as the merchant's
    /// policy says).
    Authenticate,
    /// Fetch the challenge's result from the 3DS server, then authorize with it.
    CompleteAuthentication,
    /// Cancel a payment still waiting for its external authentication: no processor has it.
    Abandon,
}

/// Whether `command` may run on `payment` now with a connector of `caps`, and what it does.
pub fn plan(payment: &Payment, command: &Command, caps: &Capabilities) -> Result<Plan, Refusal> {
    // Before authorization no processor has the payment: these need no processor flow.
    if let Some(auth) = &payment.authentication {
        let before = before_authorization(payment);
        match command {
            Command::ExternalAuthentication if before && auth.awaits_authentication() => {
                return Ok(Plan::Authenticate)
            }
            Command::CompleteAuthorize if before && auth.awaits_challenge() => {
                return Ok(Plan::CompleteAuthentication)
            }
            Command::CompleteAuthorize if before => return Err(Refusal::AuthenticationNotRun),
            Command::Void if before => return Ok(Plan::Abandon),
            _ => {}
        }
    }
    if let Some(flow) = command.flow().filter(|flow| !caps.supports(*flow)) {
        return Err(Refusal::Unsupported {
            connector: caps.connector.clone(),
            flow,
        });
    }
    match *command {
        Command::Capture {
            amount,
            final_capture,
        } => plan_capture(payment, caps, amount, final_capture),
        Command::Void => {
            in_status(
                payment,
                command,
                &[
                    S::RequiresCapture,
                    S::PartiallyAuthorizedAndRequiresCapture,
                    S::RequiresCustomerAction,
                ],
            )?;
            if payment.has_live_capture() {
                return Err(Refusal::HasCaptures);
            }
            Ok(Plan::Void)
        }
        Command::IncrementAuthorization { new_total } => plan_increment(payment, caps, new_total),
        Command::ExtendAuthorization => plan_extend(payment, caps),
        Command::CancelPostCapture => {
            in_status(payment, command, &[S::Succeeded, S::PartiallyCaptured])?;
            if payment
                .refunds
                .iter()
                .any(|r| r.status != RefundStatus::Failed)
            {
                return Err(Refusal::HasRefunds);
            }
            if payment.amount_received.is_zero() {
                return Err(Refusal::NothingCaptured);
            }
            Ok(Plan::CancelPostCapture {
                amount: payment.amount_received,
            })
        }
        Command::Refund { amount } => {
            in_status(
                payment,
                command,
                &[
                    S::Succeeded,
                    S::PartiallyCaptured,
                    S::PartiallyCapturedAndCapturable,
                ],
            )?;
            let refundable = payment.refundable();
            if refundable.is_zero() {
                return Err(Refusal::NothingToRefund);
            }
            match amount {
                Some(asked) if asked > refundable => {
                    Err(Refusal::AmountExceedsRefundable { asked, refundable })
                }
                asked => Ok(Plan::Refund {
                    amount: asked.unwrap_or(refundable),
                }),
            }
        }
        Command::CompleteAuthorize => {
            if settled_by_webhook(payment) {
                return Ok(Plan::CompleteBySync);
            }
            in_status(payment, command, &[S::RequiresCustomerAction])?;
            Ok(Plan::CompleteAuthorize)
        }
        Command::Sync => {
            if payment.connector_transaction_id.is_none() {
                return Err(Refusal::NoConnectorTransaction);
            }
            Ok(Plan::Sync)
        }
        Command::ExternalAuthentication => Err(match &payment.authentication {
            None => Refusal::NoExternalAuthentication,
            Some(_) => Refusal::AuthenticationDone,
        }),
    }
}

fn in_status(payment: &Payment, command: &Command, allowed: &'static [S]) -> Result<(), Refusal> {
    if allowed.contains(&payment.status) {
        Ok(())
    } else {
        Err(Refusal::WrongStatus {
            operation: command.name(),
            status: payment.status,
            allowed,
        })
    }
}

fn plan_capture(
    payment: &Payment,
    caps: &Capabilities,
    amount: Option<MinorUnit>,
    final_capture: Option<bool>,
) -> Result<Plan, Refusal> {
    in_status(
        payment,
        &Command::Capture {
            amount,
            final_capture,
        },
        &[
            S::RequiresCapture,
            S::PartiallyCapturedAndCapturable,
            S::PartiallyAuthorizedAndRequiresCapture,
        ],
    )?;
    let capturable = payment.amount_capturable;
    if capturable.is_zero() {
        return Err(Refusal::NothingToCapture);
    }
    let amount = match amount {
        Some(asked) if asked > capturable => {
            return Err(Refusal::AmountExceedsCapturable { asked, capturable })
        }
        asked => asked.unwrap_or(capturable),
    };
    let multiple = caps
        .conditions(Flow::Capture)
        .contains(&Condition::Multiple);
    let final_capture = final_capture.unwrap_or(amount == capturable || !multiple);
    if !final_capture && !multiple {
        return Err(Refusal::SingleCaptureOnly {
            connector: caps.connector.clone(),
        });
    }
    Ok(Plan::Capture {
        amount,
        final_capture,
    })
}

fn plan_increment(
    payment: &Payment,
    caps: &Capabilities,
    new_total: MinorUnit,
) -> Result<Plan, Refusal> {
    in_status(
        payment,
        &Command::IncrementAuthorization { new_total },
        &[S::RequiresCapture],
    )?;
    if payment.has_live_capture() {
        return Err(Refusal::IncrementAfterCapture);
    }
    if !payment.request_incremental_authorization {
        return Err(Refusal::IncrementNotRequested);
    }
    if payment.incremental_authorization_allowed == Some(false) {
        return Err(Refusal::IncrementRefusedByProcessor);
    }
    if payment
        .increments
        .iter()
        .any(|i| i.status == paybridge_core::AuthorizationStatus::Processing)
    {
        return Err(Refusal::IncrementProcessing);
    }
    let limit = caps
        .conditions(Flow::IncrementalAuthorization)
        .iter()
        .find_map(|c| match c {
            Condition::MaxAttempts { count } => Some(*count),
            _ => None,
        });
    if let Some(limit) = limit {
        if payment.increments.len() >= limit as usize {
            return Err(Refusal::IncrementLimit {
                connector: caps.connector.clone(),
                limit,
            });
        }
    }
    if new_total <= payment.amount {
        return Err(Refusal::AmountNotAboveAuthorized {
            asked: new_total,
            current: payment.amount,
        });
    }
    Ok(Plan::IncrementAuthorization {
        current: payment.amount,
        new_total,
    })
}

fn plan_extend(payment: &Payment, caps: &Capabilities) -> Result<Plan, Refusal> {
    let conditions = caps.conditions(Flow::ExtendAuthorization);
    if conditions.contains(&Condition::AtAuthorizationOnly) {
        return Err(Refusal::ExtendOnlyAtCreation {
            connector: caps.connector.clone(),
        });
    }
    in_status(
        payment,
        &Command::ExtendAuthorization,
        &[S::RequiresCapture],
    )?;
    let networks = conditions.iter().find_map(|c| match c {
        Condition::CardNetworks { networks } => Some(networks),
        _ => None,
    });
    if let Some(networks) = networks {
        let network = payment.card_network;
        if !network.is_some_and(|n| networks.contains(&n)) {
            return Err(Refusal::ExtendCardNetworks {
                connector: caps.connector.clone(),
                networks: networks.clone(),
            });
        }
    }
    let estimated =
        payment.request_incremental_authorization || payment.request_extended_authorization;
    if conditions.contains(&Condition::RequiresEstimatedAuthorization) && !estimated {
        return Err(Refusal::ExtendNeedsEstimated {
            connector: caps.connector.clone(),
        });
    }
    Ok(Plan::ExtendAuthorization)
}

/// The customer's action is still recorded but a webhook already moved the payment on (it can
/// arrive before the customer's browser returns).
fn settled_by_webhook(payment: &Payment) -> bool {
    payment.next_action.is_some() && payment.status != S::RequiresCustomerAction
}

/// The statuses `allowed`, for messages: `a or b`.
pub(crate) fn status_list(allowed: &[S]) -> String {
    allowed
        .iter()
        .map(|s| status_name(*s))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Card networks, for messages.
pub(crate) fn network_list(networks: &[CardNetwork]) -> String {
    networks
        .iter()
        .map(enum_name)
        .collect::<Vec<_>>()
        .join(", ")
}
