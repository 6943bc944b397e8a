-- The refund that undoes a payment's capture (cancel post capture): the payment's status
-- follows that refund's, whatever the processor's payment status reads.
ALTER TABLE payments ADD COLUMN cancel_post_capture_refund TEXT;
