-- description: >
--   Messages the listener could not apply, with why (not a notice it reads,
--   a value out of range, an observatory with no trigger table in the
--   stack): kept with their topic, partition and offset; the stream goes on.
-- key: [topic, kafka_partition, kafka_offset]
-- sorted_by: [received_at]
CREATE TABLE alerts.quarantine (
    topic VARCHAR NOT NULL,
    kafka_partition INTEGER NOT NULL,
    kafka_offset BIGINT NOT NULL,
    received_at TIMESTAMP(6) NOT NULL,
    reason VARCHAR NOT NULL,
    payload VARCHAR NOT NULL             -- as received; bytes that are not UTF-8 as \x escapes
)
