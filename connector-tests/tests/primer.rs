//! The conformance suite for Primer: on the simulator always, on Primer's sandbox when
//! `PAYBRIDGE_PRIMER_API_KEY` and `PAYBRIDGE_PRIMER_PAYMENT_METHOD_TOKEN` are set
//! (`PAYBRIDGE_PRIMER_BASE_URL` overrides the host).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn primer_conformance() {
    paybridge_connector_tests::conformance("primer").await;
}
