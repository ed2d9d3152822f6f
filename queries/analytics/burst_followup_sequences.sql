-- name: burst_followup_sequences
-- version: 6
-- description: >
--   Each significant Swift burst with the Chandra observations that followed
--   it within the window and inside its error circle (combined with
--   Chandra's ~1 arcsec pointing), with delay and separation; bursts with no
--   follow-up appear once with empty Chandra columns. Matching joins 0.2
--   degree sky cells on one key (each burst, the smaller side, copied only to
--   the cells its circle's bounding box touches), the time window as a range
--   condition, then the exact haversine: no Cartesian product.
-- owner: analytics
-- params:
--   window_hours: {type: double, default_from: analytics.followup_window_hours, above: 0, max: 8760, description: follow-up window after the trigger (hours)}
--   min_significance: {type: double, default_from: analytics.burst_detection_threshold, min: 0, max: 1, description: "minimum burst significance, 0 to 1"}
WITH bursts AS (
    SELECT
        b.trigger_id,
        b.grb_name,
        b.trigger_time,
        b.ra,
        b.dec,
        b.err_radius_arcsec,
        b.significance,
        sqrt(power(b.err_radius_arcsec, 2) + 1) AS match_radius_arcsec
    FROM swift.bursts AS b
    WHERE b.significance >= :min_significance
),
burst_boxes AS (
    -- the circle's bounding box in cells, a hair (1e-6 degree) wider than the circle
    SELECT
        b.trigger_id,
        b.trigger_time,
        b.ra,
        b.dec,
        b.match_radius_arcsec,
        CAST(floor((b.dec - b.match_radius_arcsec / 3600e0 - 1e-6 + 90) / 0.2e0) AS bigint) AS zone_lo,
        CAST(floor((b.dec + b.match_radius_arcsec / 3600e0 + 1e-6 + 90) / 0.2e0) AS bigint) AS zone_hi,
        CAST(floor(
            (b.ra - ra_reach_deg(b.dec, b.match_radius_arcsec / 3600e0 + 1e-6)) / 0.2e0
        ) AS bigint) AS ra_lo,
        CAST(floor(
            (b.ra + ra_reach_deg(b.dec, b.match_radius_arcsec / 3600e0 + 1e-6)) / 0.2e0
        ) AS bigint) AS ra_hi
    FROM bursts AS b
),
burst_cells AS (
    SELECT
        b.trigger_id,
        b.trigger_time,
        b.ra,
        b.dec,
        b.match_radius_arcsec,
        z.zone * 1800 + mod(r.ra_cell + 1800, 1800) AS cell
    FROM burst_boxes AS b
    CROSS JOIN UNNEST(sequence(b.zone_lo, b.zone_hi)) AS z(zone)
    -- at most the 1800 cells of the whole circle of RA, each once
    CROSS JOIN UNNEST(sequence(b.ra_lo, least(b.ra_hi, b.ra_lo + 1799))) AS r(ra_cell)
),
pointings AS (
    SELECT
        c.obsid,
        c.target_name,
        c.instrument,
        c.grating,
        c.obs_type,
        c.start_time,
        c.exposure_s,
        c.ra,
        c.dec,
        CAST(floor((c.dec + 90) / 0.2e0) AS bigint) * 1800 + CAST(floor(c.ra / 0.2e0) AS bigint) AS cell
    FROM chandra.observations AS c
    WHERE c.start_time IS NOT NULL
),
pairs AS (
    SELECT
        b.trigger_id,
        p.obsid,
        p.target_name,
        p.instrument,
        p.grating,
        p.obs_type,
        p.start_time,
        p.exposure_s,
        sky_distance_arcsec(b.ra, b.dec, p.ra, p.dec) AS separation_arcsec,
        b.match_radius_arcsec
    FROM burst_cells AS b
    JOIN pointings AS p
      ON p.cell = b.cell
     AND p.start_time >= b.trigger_time
     AND p.start_time <= b.trigger_time + :window_hours * INTERVAL '1' HOUR
)
SELECT
    b.trigger_id,
    b.grb_name,
    b.trigger_time,
    b.significance,
    b.err_radius_arcsec,
    f.obsid,
    f.target_name AS chandra_target,
    f.instrument,
    f.grating,
    f.obs_type,
    f.start_time AS followup_start,
    f.exposure_s,
    round((to_unixtime(f.start_time) - to_unixtime(b.trigger_time)) / 3600e0, 3) AS delay_hours,
    round(f.separation_arcsec, 3) AS separation_arcsec
FROM bursts AS b
LEFT JOIN pairs AS f
  ON f.trigger_id = b.trigger_id
 AND f.separation_arcsec <= f.match_radius_arcsec
ORDER BY b.trigger_time, b.trigger_id, f.start_time, f.obsid
