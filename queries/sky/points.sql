-- description: >
--   The sky index: every measurement and detection of every observatory, in one
--   table sorted by position, so that a cone search or a light curve reads one
--   table whatever the number of observatories. Declared when the stack sets
--   database.sky_index; the loader adds the rows of each load of a point kind
--   in the same commit (docs/data.md, "The sky index").
-- key: [observatory, kind, observation, name, instrument, band, time_utc]
-- sorted_by: [hpx, time_utc]
-- from_kinds:
--   measurements: {observation: observation_id, name: target_name, time_utc: mid_time}
--   detections: {observation: observation_id, name: source_name, time_utc: mid_time, exposure_s: CAST(NULL AS double)}
CREATE TABLE sky.points (
    observatory VARCHAR NOT NULL,        -- whose point it is
    kind VARCHAR NOT NULL,               -- the kind of the table it comes from
    observation VARCHAR NOT NULL,
    name VARCHAR NOT NULL,               -- the target (measurements) or catalogue source (detections)
    instrument VARCHAR NOT NULL,
    band VARCHAR NOT NULL,
    time_utc TIMESTAMP(6) NOT NULL,      -- UTC, middle of the bin or exposure
    exposure_s DOUBLE,                   -- a measurement's bin exposure
    ra DOUBLE NOT NULL,
    dec DOUBLE NOT NULL,
    err_radius_arcsec DOUBLE NOT NULL,
    hpx BIGINT NOT NULL,
    rate DOUBLE NOT NULL,
    rate_error DOUBLE NOT NULL,
    flux_erg_cm2_s DOUBLE,
    flux_error DOUBLE,
    quality VARCHAR NOT NULL
)
