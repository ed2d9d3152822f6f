-- description: >
--   Swift/BAT gamma-ray burst triggers, one row per trigger. Positions are
--   BAT's 90% error circle (median 1.7 arcmin), refined positions live in
--   swift.measurements (XRT, UVOT).
-- key: [trigger_id]
-- sorted_by: [hpx, trigger_time]
-- as_kind: {trigger_name: grb_name}
CREATE TABLE swift.bursts (
    trigger_id BIGINT NOT NULL,          -- BAT trigger number (target_id = zero-padded 8 digits)
    grb_name VARCHAR NOT NULL,           -- e.g. 'GRB 150615A'; the date is in the name
    trigger_time TIMESTAMP(6) NOT NULL,  -- UTC
    ra DOUBLE NOT NULL,                  -- ICRS degrees [0, 360)
    dec DOUBLE NOT NULL,                 -- ICRS degrees [-90, 90]
    err_radius_arcsec DOUBLE NOT NULL,   -- BAT 90% error radius
    hpx BIGINT NOT NULL,                 -- nested HEALPix index, order 14
    t90_seconds DOUBLE,                  -- duration holding 90% of the fluence
    fluence_erg_cm2 DOUBLE,              -- 15-150 keV fluence
    peak_flux_ph_cm2_s DOUBLE,           -- 15-150 keV 1 s peak photon flux
    photon_index DOUBLE,
    image_snr DOUBLE,                    -- BAT image signal-to-noise ratio
    pcode DOUBLE,                        -- partial coding fraction [0, 1]
    trigger_method VARCHAR,              -- 'rate' | 'image' | 'ground'
    significance DOUBLE NOT NULL,        -- [0, 1]: 1 - exp(-image_snr / 4); see docs/data.md
    xrt_detected BOOLEAN,
    redshift DOUBLE
)
