-- description: >
--   Transient detections as their instrument issues them (Swift BAT, Fermi
--   GBM, SVOM ECLAIRs, Einstein Probe WXT): one row per trigger, with the
--   position's error circle, which ranges from an arcminute (BAT) to about
--   10 degrees (GBM).
-- key: [trigger_id]
-- sorted_by: [hpx, trigger_time]
CREATE TABLE kinds.triggers (
    trigger_id BIGINT NOT NULL,          -- the instrument's trigger number, unique per observatory
    trigger_name VARCHAR NOT NULL,       -- as issued: 'GRB 150615A', 'EP240315a', 'bn230307656'
    trigger_time TIMESTAMP(6) NOT NULL,  -- UTC
    ra DOUBLE NOT NULL,                  -- ICRS degrees [0, 360)
    dec DOUBLE NOT NULL,                 -- ICRS degrees [-90, 90]
    err_radius_arcsec DOUBLE NOT NULL,   -- 90% error radius, up to 36000 (10 degrees)
    hpx BIGINT NOT NULL,                 -- nested HEALPix index, order 14
    significance DOUBLE NOT NULL         -- [0, 1], comparable across instruments (docs/data.md)
)
