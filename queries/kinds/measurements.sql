-- description: >
--   Light-curve points: a rate (and, where calibrated, a flux) per instrument,
--   band and time bin, at the position of the object measured.
-- key: [observation_id, instrument, band, mid_time]
-- sorted_by: [hpx, mid_time]
CREATE TABLE kinds.measurements (
    observation_id VARCHAR NOT NULL,
    target_name VARCHAR NOT NULL,
    instrument VARCHAR NOT NULL,
    band VARCHAR NOT NULL,               -- '0.3-10keV', '3-79keV', 'UVW1', ...
    mid_time TIMESTAMP(6) NOT NULL,      -- UTC, middle of the bin
    exposure_s DOUBLE NOT NULL,
    ra DOUBLE NOT NULL,
    dec DOUBLE NOT NULL,
    err_radius_arcsec DOUBLE NOT NULL,   -- 90% position error
    hpx BIGINT NOT NULL,
    rate DOUBLE NOT NULL,                -- counts/s
    rate_error DOUBLE NOT NULL,
    flux_erg_cm2_s DOUBLE,               -- energy flux in the band, where calibrated
    flux_error DOUBLE,
    snr DOUBLE,                          -- signal-to-noise of the bin
    frac_exp DOUBLE,                     -- fraction of the bin exposed [0, 1]
    quality VARCHAR NOT NULL             -- 'good', or why not: 'incbad', 'flagged', ...
)
