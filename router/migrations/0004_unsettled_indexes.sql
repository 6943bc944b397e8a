-- Partial indexes of the operations that wait for a processor's verdict: counting them (the
-- unsettled gauge of /metrics) reads only these rows, and a row leaves its index once settled.
CREATE INDEX payments_unsettled ON payments (status) WHERE status = 'processing';
CREATE INDEX captures_unsettled ON captures (status) WHERE status = 'pending';
CREATE INDEX incremental_authorizations_unsettled ON incremental_authorizations (status)
    WHERE status = 'processing';
CREATE INDEX refunds_unsettled ON refunds (status) WHERE status = 'pending';
