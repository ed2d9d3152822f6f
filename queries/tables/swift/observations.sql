-- description: >
--   Swift pointed observations (one row per obs_id = target_id + segment),
--   with the exposure each instrument collected.
-- key: [obs_id]
-- sorted_by: [hpx, start_time]
-- as_kind:
--   observation_id: obs_id
--   instrument: "'XRT+UVOT'"
--   obs_type: "CASE WHEN trigger_id IS NULL THEN 'GO' ELSE 'TOO' END"
--   status: "'archived'"
--   exposure_s: xrt_exposure_s
CREATE TABLE swift.observations (
    obs_id VARCHAR NOT NULL,             -- 11 digits: target_id (8) + segment (3)
    target_id VARCHAR NOT NULL,          -- 8 digits; a GRB's is its trigger number
    segment INTEGER NOT NULL,
    target_name VARCHAR NOT NULL,
    start_time TIMESTAMP(6) NOT NULL,    -- UTC
    end_time TIMESTAMP(6) NOT NULL,      -- UTC
    ra DOUBLE NOT NULL,
    dec DOUBLE NOT NULL,
    hpx BIGINT NOT NULL,
    roll_deg DOUBLE,
    xrt_exposure_s DOUBLE NOT NULL,
    uvot_exposure_s DOUBLE NOT NULL,
    bat_exposure_s DOUBLE NOT NULL,
    xrt_mode VARCHAR,                    -- 'PC' | 'WT' | 'Auto'
    uvot_mode VARCHAR,
    trigger_id BIGINT                    -- the burst that prompted it, if any
)
