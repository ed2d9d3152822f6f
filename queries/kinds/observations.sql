-- description: >
--   Pointed observations, done or planned: target, position, instrument,
--   start, exposure, proposal type and status.
-- key: [observation_id]
-- sorted_by: [hpx, start_time]
CREATE TABLE kinds.observations (
    observation_id VARCHAR NOT NULL,     -- the observatory's own id, as text
    target_name VARCHAR NOT NULL,        -- as the observatory spells it
    ra DOUBLE NOT NULL,
    dec DOUBLE NOT NULL,
    hpx BIGINT NOT NULL,
    instrument VARCHAR NOT NULL,         -- 'ACIS-S', 'XRT+UVOT', 'FPMA+FPMB', ...
    obs_type VARCHAR NOT NULL,           -- 'GO' | 'GTO' | 'TOO' | 'DDT' | 'CAL'
    status VARCHAR NOT NULL,             -- 'archived' | 'observed' | 'scheduled' | 'unobserved' | 'canceled'
    start_time TIMESTAMP(6),             -- UTC; NULL until scheduled
    exposure_s DOUBLE                    -- planned or achieved exposure
)
