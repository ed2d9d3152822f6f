-- description: >
--   X-ray sources detected in Chandra observations, with fluxes and the
--   Chandra Source Catalog quality flags.
-- key: [obsid, source_number]
-- sorted_by: [hpx, mid_time]
-- as_kind:
--   observation_id: CAST(obsid AS varchar)
--   instrument: "'CXO'"
--   quality: "CASE WHEN pileup_flag OR streak_src_flag THEN 'flagged' ELSE 'good' END"
CREATE TABLE chandra.detections (
    obsid BIGINT NOT NULL,
    source_number INTEGER NOT NULL,
    source_name VARCHAR NOT NULL,        -- e.g. '2CXO J202403.8+335201'
    target_name VARCHAR,                 -- the observation's target, when this is it
    mid_time TIMESTAMP(6) NOT NULL,      -- UTC
    ra DOUBLE NOT NULL,
    dec DOUBLE NOT NULL,
    err_radius_arcsec DOUBLE NOT NULL,   -- 90% position error (about 1 arcsec)
    hpx BIGINT NOT NULL,
    band VARCHAR NOT NULL,               -- 'broad' (0.5-7 keV ACIS, 0.1-10 keV HRC), 'hard', ...
    rate DOUBLE NOT NULL,                -- counts/s
    rate_error DOUBLE NOT NULL,
    flux_erg_cm2_s DOUBLE NOT NULL,
    flux_error DOUBLE NOT NULL,
    significance DOUBLE NOT NULL,        -- detection signal-to-noise
    pileup_flag BOOLEAN NOT NULL,
    extent_flag BOOLEAN NOT NULL,
    var_flag BOOLEAN NOT NULL,
    streak_src_flag BOOLEAN NOT NULL
)
