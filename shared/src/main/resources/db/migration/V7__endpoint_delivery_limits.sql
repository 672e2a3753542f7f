-- Per-endpoint delivery limits (tenant isolation): how fast, across all worker replicas, and how many
-- at once, per worker replica, one endpoint is sent deliveries. NULL rate: no limit of its own.
-- The bounds are the api's validation (EndpointsController); the constraints hold any other writer to them.
-- A constant default needs no table rewrite; the checks read the (small) table once.
ALTER TABLE endpoints
    ADD COLUMN rate_limit_per_second integer
        CONSTRAINT endpoints_rate_limit_per_second_check CHECK (rate_limit_per_second BETWEEN 1 AND 10000),
    ADD COLUMN max_in_flight integer NOT NULL DEFAULT 16
        CONSTRAINT endpoints_max_in_flight_check CHECK (max_in_flight BETWEEN 1 AND 1000);
