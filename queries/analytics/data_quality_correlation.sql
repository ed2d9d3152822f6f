-- name: data_quality_correlation
-- version: 7
-- description: >
--   For objects two observatories measured within the correlation window of
--   each other (same object, near-simultaneous), how their quality indicators
--   compare: the measuring instrument's quality flags, fractional exposure
--   and SNR (X-ray points, with arcsecond positions: Swift XRT, NuSTAR)
--   against the detecting observatory's quality flags and detection
--   significance (Chandra's pile-up and streak flags).
-- owner: analytics
-- params:
--   window_hours: {type: double, default_from: analytics.correlation_window_hours, above: 0, max: 8760, description: how close in time the two measurements must be (hours)}
--   radius_arcsec: {type: double, default: 5.0, above: 0, max: 720, description: how close on the sky (arcsec)}
--   max_error_arcsec: {type: double, default: 20.0, above: 0, max: 3600, description: measurements with a larger position error are left out (arcsec)}
--   measured: {type: observatories, kinds: [measurements], description: observatories whose X-ray measurements are compared (default every one with measurements)}
--   catalogues: {type: observatories, kinds: [detections], description: observatories whose detections they are compared with (default every one with detections)}
WITH measured_points AS (
    SELECT
        m.observatory,
        m.target_name,
        m.mid_time,
        m.ra,
        m.dec,
        m.snr,
        m.frac_exp,
        m.quality,
        sky_zone(m.dec) AS zone,
        sky_ra_cell(m.ra) AS ra_cell
    FROM measured.measurements AS m
    WHERE m.band LIKE '%keV'
      AND m.err_radius_arcsec <= :max_error_arcsec
),
detected_points AS (
    SELECT
        d.observatory,
        d.source_name,
        d.mid_time,
        d.ra,
        d.dec,
        d.significance,
        d.quality,
        sky_zone(d.dec) + z.dz AS zone,
        mod(sky_ra_cell(d.ra) + r.dra + sky_ra_cells(), sky_ra_cells()) AS ra_cell
    FROM catalogues.detections AS d
    CROSS JOIN UNNEST(sequence(-1, 1)) AS z(dz)
    CROSS JOIN UNNEST(sequence(
        -ra_cells_reached(d.dec),
        ra_cells_reached(d.dec)
    )) AS r(dra)
),
pairs AS (
    SELECT
        c.observatory,
        c.source_name,
        s.observatory AS measured_by,
        s.target_name,
        s.snr,
        s.frac_exp,
        s.quality AS measured_quality,
        c.significance,
        c.quality
    FROM measured_points AS s
    JOIN detected_points AS c
      ON c.zone = s.zone
     AND c.ra_cell = s.ra_cell
     AND c.observatory <> s.observatory
     AND c.mid_time BETWEEN s.mid_time - :window_hours * INTERVAL '1' HOUR
                        AND s.mid_time + :window_hours * INTERVAL '1' HOUR
    WHERE sky_distance_arcsec(s.ra, s.dec, c.ra, c.dec) <= :radius_arcsec
)
SELECT
    observatory,
    source_name,
    measured_by,
    min(target_name) AS measured_target,
    count(*) AS simultaneous_pairs,
    round(avg(CASE WHEN measured_quality = 'good' THEN 1e0 ELSE 0e0 END), 4) AS measured_good_fraction,
    round(avg(CASE WHEN quality = 'good' THEN 1e0 ELSE 0e0 END), 4) AS detected_clean_fraction,
    round(avg(frac_exp), 4) AS measured_mean_frac_exp,
    round(avg(snr), 3) AS measured_mean_snr,
    round(avg(significance), 3) AS detected_mean_significance,
    -- Trino gives NaN and DuckDB NULL for a constant series: make both NULL. A
    -- correlation that rounds to zero from below is -0.0 on Trino and 0 on DuckDB:
    -- adding 0 makes both 0.
    CASE WHEN stddev_samp(snr) > 0 AND stddev_samp(significance) > 0
         THEN round(corr(snr, significance), 4) + 0e0 END AS snr_significance_correlation
FROM pairs
GROUP BY observatory, source_name, measured_by
ORDER BY observatory, source_name, measured_by
