//! Checkout.com connector (in progress).
