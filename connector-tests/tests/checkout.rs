//! The conformance suite for Checkout.com: on the simulator always, on the live sandbox when
//! `PAYBRIDGE_CHECKOUT_SECRET_KEY` and `PAYBRIDGE_CHECKOUT_PROCESSING_CHANNEL_ID` are set
//! (`PAYBRIDGE_CHECKOUT_BASE_URL` overrides the host).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkout_conformance() {
    paybridge_connector_tests::conformance("checkout").await;
}
