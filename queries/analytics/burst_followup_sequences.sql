-- name: burst_followup_sequences
-- version: 7
-- description: >
--   Each significant trigger with the observations that followed it within
--   the window and inside its error circle (combined with a pointing's ~1
--   arcsec), with delay and separation; triggers with no follow-up appear once
--   with empty follow-up columns. Triggers come from every observatory with a
--   trigger table (`sources`), follow-ups from every one with observations
--   (`followers`, Swift's own XRT included). Matching joins sky cells on one
--   key (each trigger, the smaller side, copied only to the cells its
--   circle's bounding box touches), the time window as a range condition,
--   then the exact haversine: no Cartesian product.
-- owner: analytics
-- params:
--   window_hours: {type: double, default_from: analytics.followup_window_hours, above: 0, max: 8760, description: follow-up window after the trigger (hours)}
--   min_significance: {type: double, default_from: analytics.burst_detection_threshold, min: 0, max: 1, description: "minimum trigger significance, 0 to 1"}
--   sources: {type: observatories, kinds: [triggers], description: observatories whose triggers are followed (default every one with triggers)}
--   followers: {type: observatories, kinds: [observations], description: observatories whose pointings count as follow-ups (default every one with observations)}
WITH triggered AS (
    SELECT
        t.observatory,
        t.trigger_id,
        t.trigger_name,
        t.trigger_time,
        t.ra,
        t.dec,
        t.err_radius_arcsec,
        t.significance,
        sqrt(power(t.err_radius_arcsec, 2) + 1) AS match_radius_arcsec
    FROM sources.triggers AS t
    WHERE t.significance >= :min_significance
),
trigger_boxes AS (
    -- the circle's bounding box in cells, a hair (1e-6 degree) wider than the circle
    SELECT
        t.observatory,
        t.trigger_id,
        t.trigger_time,
        t.ra,
        t.dec,
        t.match_radius_arcsec,
        sky_zone(t.dec - t.match_radius_arcsec / 3600e0 - 1e-6) AS zone_lo,
        sky_zone(t.dec + t.match_radius_arcsec / 3600e0 + 1e-6) AS zone_hi,
        sky_ra_cell(t.ra - ra_reach_deg(t.dec, t.match_radius_arcsec / 3600e0 + 1e-6)) AS ra_lo,
        sky_ra_cell(t.ra + ra_reach_deg(t.dec, t.match_radius_arcsec / 3600e0 + 1e-6)) AS ra_hi
    FROM triggered AS t
),
trigger_cells AS (
    SELECT
        t.observatory,
        t.trigger_id,
        t.trigger_time,
        t.ra,
        t.dec,
        t.match_radius_arcsec,
        sky_cell_key(z.zone, r.ra_cell) AS cell
    FROM trigger_boxes AS t
    CROSS JOIN UNNEST(sequence(t.zone_lo, t.zone_hi)) AS z(zone)
    CROSS JOIN UNNEST(sequence(t.ra_lo, least(t.ra_hi, t.ra_lo + sky_ra_cells() - 1))) AS r(ra_cell)
),
pointings AS (
    SELECT
        o.observatory,
        o.observation_id,
        o.target_name,
        o.instrument,
        o.obs_type,
        o.start_time,
        o.exposure_s,
        o.ra,
        o.dec,
        sky_cell(o.ra, o.dec) AS cell
    FROM followers.observations AS o
    WHERE o.start_time IS NOT NULL
),
pairs AS (
    SELECT
        t.observatory AS trigger_observatory,
        t.trigger_id,
        p.observatory,
        p.observation_id,
        p.target_name,
        p.instrument,
        p.obs_type,
        p.start_time,
        p.exposure_s,
        sky_distance_arcsec(t.ra, t.dec, p.ra, p.dec) AS separation_arcsec,
        t.match_radius_arcsec
    FROM trigger_cells AS t
    JOIN pointings AS p
      ON p.cell = t.cell
     AND p.start_time >= t.trigger_time
     AND p.start_time <= t.trigger_time + :window_hours * INTERVAL '1' HOUR
)
SELECT
    t.observatory AS trigger_observatory,
    t.trigger_id,
    t.trigger_name,
    t.trigger_time,
    t.significance,
    t.err_radius_arcsec,
    f.observatory AS followup_observatory,
    f.observation_id,
    f.target_name AS followup_target,
    f.instrument,
    f.obs_type,
    f.start_time AS followup_start,
    f.exposure_s,
    round((to_unixtime(f.start_time) - to_unixtime(t.trigger_time)) / 3600e0, 3) AS delay_hours,
    round(f.separation_arcsec, 3) AS separation_arcsec
FROM triggered AS t
LEFT JOIN pairs AS f
  ON f.trigger_observatory = t.observatory
 AND f.trigger_id = t.trigger_id
 AND f.separation_arcsec <= f.match_radius_arcsec
ORDER BY t.trigger_time, t.observatory, t.trigger_id, f.start_time, f.observatory, f.observation_id
