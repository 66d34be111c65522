-- V5: the HTTP gateway's tables, shared by every gateway instance.
--
-- gateway_requests: one row per idempotency key (the Idempotency-Key header, else the eventId of
-- a single event), scoped by the API key's name. A request claims its key with
-- INSERT ... ON CONFLICT DO NOTHING before it produces, and records its answer after Kafka
-- committed; a repeat within the window gets the recorded answer, a different body (hash) 422,
-- a claim younger than the Kafka timeout 409. Expired rows are deleted by the gateway.
CREATE TABLE gateway_requests (
    api_key     TEXT        NOT NULL,
    idem_key    TEXT        NOT NULL,
    body_hash   TEXT        NOT NULL,
    state       TEXT        NOT NULL,
    status      INTEGER,
    response    TEXT,
    claimed_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (api_key, idem_key)
);

COMMENT ON COLUMN gateway_requests.state IS 'PENDING while a request produces, DONE once answered.';
COMMENT ON COLUMN gateway_requests.body_hash IS 'SHA-256 of the request body, hex.';
COMMENT ON COLUMN gateway_requests.response IS 'The JSON answer given, replayed to a repeat.';

CREATE INDEX gateway_requests_expires_at_idx ON gateway_requests (expires_at);

-- gateway_events: the eventIds the gateway enqueued, so that GET /v1/events/{eventId} answers
-- "accepted, no delivery yet" (200, notifications: []) rather than "unknown" (404).
CREATE TABLE gateway_events (
    event_id    TEXT        NOT NULL PRIMARY KEY,
    accepted_at TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE INDEX gateway_events_expires_at_idx ON gateway_events (expires_at);

-- gateway_devices: the devices registered through the gateway, so that DELETE /v1/users/{userId}
-- writes a tombstone for each of them. Devices produced to device-tokens by other means are not
-- in it.
CREATE TABLE gateway_devices (
    user_id       TEXT        NOT NULL,
    token         TEXT        NOT NULL,
    registered_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, token)
);
