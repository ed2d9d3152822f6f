-- description: >
--   Chandra observations (OCAT-like): instrument, grating, exposure,
--   proposal type and ToO type, status and data mode.
-- key: [obsid]
-- sorted_by: [hpx, start_time]
-- as_kind: {observation_id: CAST(obsid AS varchar)}
CREATE TABLE chandra.observations (
    obsid BIGINT NOT NULL,
    seq_num VARCHAR,
    target_name VARCHAR NOT NULL,
    ra DOUBLE NOT NULL,
    dec DOUBLE NOT NULL,
    hpx BIGINT NOT NULL,
    instrument VARCHAR NOT NULL,         -- 'ACIS-I' | 'ACIS-S' | 'HRC-I' | 'HRC-S'
    grating VARCHAR NOT NULL,            -- 'NONE' | 'HETG' | 'LETG'
    obs_type VARCHAR NOT NULL,           -- 'GO' | 'GTO' | 'TOO' | 'DDT' | 'CAL'
    too_type VARCHAR,                    -- response window for ToOs: '0-4' | '4-15' | '15-30' days
    status VARCHAR NOT NULL,             -- 'archived' | 'observed' | 'scheduled' | 'unobserved' | 'canceled'
    data_mode VARCHAR,                   -- 'FAINT' | 'VFAINT' | 'CC33_GRADED' | ...
    start_time TIMESTAMP(6),             -- UTC; NULL until observed
    exposure_s DOUBLE,                   -- approved or achieved exposure
    dropped_chip_count INTEGER,
    public_date DATE
)
