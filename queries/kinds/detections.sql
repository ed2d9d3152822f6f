-- description: >
--   Sources found in an observation's image, with rate, flux and detection
--   significance.
-- key: [observation_id, source_name, band]
-- sorted_by: [hpx, mid_time]
CREATE TABLE kinds.detections (
    observation_id VARCHAR NOT NULL,
    source_name VARCHAR NOT NULL,        -- the catalogue's name, e.g. '2CXO J202403.8+335201'
    target_name VARCHAR,                 -- the observation's target, when this source is it
    instrument VARCHAR NOT NULL,
    band VARCHAR NOT NULL,
    mid_time TIMESTAMP(6) NOT NULL,      -- UTC
    ra DOUBLE NOT NULL,
    dec DOUBLE NOT NULL,
    err_radius_arcsec DOUBLE NOT NULL,   -- 90% position error
    hpx BIGINT NOT NULL,
    rate DOUBLE NOT NULL,                -- counts/s
    rate_error DOUBLE NOT NULL,
    flux_erg_cm2_s DOUBLE NOT NULL,
    flux_error DOUBLE NOT NULL,
    significance DOUBLE NOT NULL,        -- detection signal-to-noise
    quality VARCHAR NOT NULL             -- 'good', or 'flagged' (pile-up, streak, ...)
)
