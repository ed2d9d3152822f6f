-- description: >
--   Every GCN notice the listener took from the stream, one row per Kafka
--   message (its topic, partition and offset), with what it did to its
--   trigger: `new`, `refined` (a better position), `kept` (no better than the
--   row's), `retracted`. A replayed message is recognised by its offset and
--   adds nothing.
-- key: [topic, kafka_partition, kafka_offset]
-- sorted_by: [received_at]
CREATE TABLE alerts.notices (
    topic VARCHAR NOT NULL,
    kafka_partition INTEGER NOT NULL,
    kafka_offset BIGINT NOT NULL,
    received_at TIMESTAMP(6) NOT NULL,   -- UTC, when the listener wrote it
    observatory VARCHAR NOT NULL,
    trigger_id BIGINT NOT NULL,
    notice_kind VARCHAR NOT NULL,        -- 'position' | 'retraction'
    notice_time TIMESTAMP(6),            -- UTC, as the notice says it was issued
    ra DOUBLE,
    dec DOUBLE,
    err_radius_arcsec DOUBLE,            -- 90% radius
    outcome VARCHAR NOT NULL,            -- 'new' | 'refined' | 'kept' | 'retracted'
    payload VARCHAR NOT NULL             -- the message as received (UTF-8)
)
