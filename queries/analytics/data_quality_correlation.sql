-- name: data_quality_correlation
-- version: 5
-- description: >
--   For objects both observatories measured within the correlation window of
--   each other (same object, near-simultaneous), how their quality indicators
--   compare: Swift's bad-column/pile-up flags, fractional exposure and SNR
--   against Chandra's pile-up and streak flags and detection significance.
-- owner: analytics
-- params:
--   window_hours: {type: double, default_from: analytics.correlation_window_hours, above: 0, max: 8760, description: how close in time the two measurements must be (hours)}
--   radius_arcsec: {type: double, default: 5.0, above: 0, max: 720, description: how close on the sky (arcsec)}
WITH swift_points AS (
    SELECT
        m.target_name,
        m.mid_time,
        m.ra,
        m.dec,
        m.snr,
        m.frac_exp,
        m.quality,
        CAST(floor((m.dec + 90) / 0.2e0) AS bigint) AS zone,
        CAST(floor(m.ra / 0.2e0) AS bigint) AS ra_cell
    FROM swift.measurements AS m
    WHERE m.instrument = 'XRT'
),
chandra_points AS (
    SELECT
        d.source_name,
        d.mid_time,
        d.ra,
        d.dec,
        d.significance,
        d.pileup_flag,
        d.streak_src_flag,
        CAST(floor((d.dec + 90) / 0.2e0) AS bigint) + z.dz AS zone,
        mod(CAST(floor(d.ra / 0.2e0) AS bigint) + r.dra + 1800, 1800) AS ra_cell
    FROM chandra.detections AS d
    CROSS JOIN UNNEST(sequence(-1, 1)) AS z(dz)
    CROSS JOIN UNNEST(sequence(
        -ra_cells_reached(d.dec),
        ra_cells_reached(d.dec)
    )) AS r(dra)
),
pairs AS (
    SELECT
        c.source_name,
        s.target_name,
        s.snr,
        s.frac_exp,
        s.quality,
        c.significance,
        c.pileup_flag,
        c.streak_src_flag
    FROM swift_points AS s
    JOIN chandra_points AS c
      ON c.zone = s.zone
     AND c.ra_cell = s.ra_cell
     AND c.mid_time BETWEEN s.mid_time - :window_hours * INTERVAL '1' HOUR
                        AND s.mid_time + :window_hours * INTERVAL '1' HOUR
    WHERE sky_distance_arcsec(s.ra, s.dec, c.ra, c.dec) <= :radius_arcsec
)
SELECT
    source_name AS chandra_source,
    min(target_name) AS swift_target,
    count(*) AS simultaneous_pairs,
    round(avg(CASE WHEN quality = 'good' THEN 1e0 ELSE 0e0 END), 4) AS swift_good_fraction,
    round(avg(CASE WHEN pileup_flag OR streak_src_flag THEN 0e0 ELSE 1e0 END), 4) AS chandra_clean_fraction,
    round(avg(frac_exp), 4) AS swift_mean_frac_exp,
    round(avg(snr), 3) AS swift_mean_snr,
    round(avg(significance), 3) AS chandra_mean_significance,
    -- Trino gives NaN and DuckDB NULL for a constant series: make both NULL.
    CASE WHEN stddev_samp(snr) > 0 AND stddev_samp(significance) > 0
         THEN round(corr(snr, significance), 4) END AS snr_significance_correlation
FROM pairs
GROUP BY source_name
ORDER BY source_name
