-- name: burst_followup_sequences
-- version: 9
-- description: >
--   Each significant trigger with the observations that followed it within
--   the window and inside its error circle (combined with a pointing's ~1
--   arcsec), with delay and separation; triggers with no follow-up appear once
--   with empty follow-up columns. Triggers come from every observatory with a
--   trigger table (`sources`), follow-ups from every one with observations
--   (`followers`, Swift's own XRT included). Matching joins sky cells on one
--   key (each trigger, the smaller side, copied only to the cells its
--   circle's bounding box touches: 0.2 degree cells, or 6 degree ones for
--   circles wider than a degree such as Fermi GBM's), the time window as a
--   range condition, then the exact haversine: no Cartesian product.
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
circles AS (
    -- what a trigger is copied to cells by: the circle, a hair (1e-6 degree) wider
    SELECT
        t.observatory,
        t.trigger_id,
        t.trigger_time,
        t.ra,
        t.dec,
        t.match_radius_arcsec,
        t.match_radius_arcsec / 3600e0 + 1e-6 AS reach_deg
    FROM triggered AS t
),
pointings AS (
    SELECT
        o.observatory AS followup_observatory,
        o.observation_id,
        o.target_name AS followup_target,
        o.instrument,
        o.obs_type,
        o.start_time AS followup_start,
        o.exposure_s,
        o.ra AS pointing_ra,
        o.dec AS pointing_dec
    FROM followers.observations AS o
    WHERE o.start_time IS NOT NULL
),
pairs AS (
    -- a circle's cells are fine or coarse: each pair is found by one of the two joins
    -- (cells computed in the join, so that the pointings' other columns are only
    -- read for the pairs found)
    SELECT c.*, p.*
    FROM sky_fine_cells(circles, reach_deg) AS c
    JOIN pointings AS p
      ON sky_cell(p.pointing_ra, p.pointing_dec) = c.cell
     AND p.followup_start >= c.trigger_time
     AND p.followup_start <= c.trigger_time + :window_hours * INTERVAL '1' HOUR
    UNION ALL
    SELECT c.*, p.*
    FROM sky_coarse_cells(circles, reach_deg) AS c
    JOIN pointings AS p
      ON sky_coarse_cell(p.pointing_ra, p.pointing_dec) = c.cell
     AND p.followup_start >= c.trigger_time
     AND p.followup_start <= c.trigger_time + :window_hours * INTERVAL '1' HOUR
),
followups AS (
    SELECT
        f.*,
        sky_distance_arcsec(f.ra, f.dec, f.pointing_ra, f.pointing_dec) AS separation_arcsec
    FROM pairs AS f
)
SELECT
    t.observatory AS trigger_observatory,
    t.trigger_id,
    t.trigger_name,
    t.trigger_time,
    t.significance,
    t.err_radius_arcsec,
    f.followup_observatory,
    f.observation_id,
    f.followup_target,
    f.instrument,
    f.obs_type,
    f.followup_start,
    f.exposure_s,
    round((to_unixtime(f.followup_start) - to_unixtime(t.trigger_time)) / 3600e0, 3) AS delay_hours,
    round(f.separation_arcsec, 3) AS separation_arcsec
FROM triggered AS t
LEFT JOIN followups AS f
  ON f.observatory = t.observatory
 AND f.trigger_id = t.trigger_id
 AND f.separation_arcsec <= f.match_radius_arcsec
ORDER BY t.trigger_time, t.observatory, t.trigger_id, f.followup_start, f.followup_observatory, f.observation_id
