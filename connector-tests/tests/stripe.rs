//! The conformance suite for Stripe: on the simulator always, on Stripe's test mode when
//! `PAYBRIDGE_STRIPE_SECRET_KEY` is set (`PAYBRIDGE_STRIPE_BASE_URL` overrides the host).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stripe_conformance() {
    paybridge_connector_tests::conformance("stripe").await;
}
