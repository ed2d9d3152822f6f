-- description: >
--   Count-rate (and, where calibrated, flux) points of BAT, XRT and UVOT: the
--   Swift side of every light curve. The largest table.
-- key: [obs_id, instrument, band, mid_time]
-- sorted_by: [hpx, mid_time]
-- as_kind: {observation_id: obs_id}
CREATE TABLE swift.measurements (
    obs_id VARCHAR NOT NULL,
    target_name VARCHAR NOT NULL,
    instrument VARCHAR NOT NULL,         -- 'BAT' | 'XRT' | 'UVOT'
    band VARCHAR NOT NULL,               -- '15-150keV', '0.3-10keV', 'UVW1', 'V', ...
    mid_time TIMESTAMP(6) NOT NULL,      -- UTC, middle of the bin
    exposure_s DOUBLE NOT NULL,
    ra DOUBLE NOT NULL,
    dec DOUBLE NOT NULL,
    err_radius_arcsec DOUBLE NOT NULL,
    hpx BIGINT NOT NULL,
    rate DOUBLE NOT NULL,                -- counts/s
    rate_error DOUBLE NOT NULL,
    flux_erg_cm2_s DOUBLE,               -- energy flux in the band, where calibrated
    flux_error DOUBLE,
    snr DOUBLE,
    frac_exp DOUBLE,                     -- XRT fractional exposure [0, 1]
    corr_fact DOUBLE,                    -- XRT pile-up / bad-column correction factor
    quality VARCHAR NOT NULL             -- 'good' | 'incbad'
)
