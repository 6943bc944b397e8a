//! Stripe connector (in progress).
