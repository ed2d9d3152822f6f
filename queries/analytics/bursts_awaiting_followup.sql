-- name: bursts_awaiting_followup
-- version: 9
-- description: >
--   What a duty scientist watches: significant triggers from the last hours
--   that no follow-up observatory (in any status, scheduled included) has yet
--   pointed at, as of now (the real clock, UTC); replayed or archival data
--   asks with an explicit `as_of`. Pass
--   `followers` to ask about particular observatories: Swift's own XRT
--   answers most of its BAT triggers within minutes. A pointing answers a
--   trigger inside its error circle, from an arcsecond to a Fermi GBM
--   circle of 10 degrees (sky cells, as burst_followup_sequences).
-- owner: analytics
-- params:
--   lookback_hours: {type: double, default: 168, above: 0, max: 876000, description: how far back to look (hours)}
--   min_significance: {type: double, default_from: analytics.burst_detection_threshold, min: 0, max: 1, description: minimum trigger significance}
--   as_of: {type: timestamp, default: now, description: "the moment to look from (UTC); default: now"}
--   sources: {type: observatories, kinds: [triggers], description: observatories whose triggers are watched (default every one with triggers)}
--   followers: {type: observatories, kinds: [observations], description: observatories whose pointings answer a trigger (default every one with observations)}
WITH clock AS (
    SELECT :as_of AS now_utc
),
recent AS (
    SELECT
        t.observatory,
        t.trigger_id,
        t.trigger_name,
        t.trigger_time,
        t.ra,
        t.dec,
        t.err_radius_arcsec,
        t.significance,
        k.now_utc,
        sqrt(power(t.err_radius_arcsec, 2) + 1) AS match_radius_arcsec,
        sqrt(power(t.err_radius_arcsec, 2) + 1) / 3600e0 + 1e-6 AS reach_deg
    FROM sources.triggers AS t
    CROSS JOIN clock AS k
    WHERE t.significance >= :min_significance
      AND t.trigger_time <= k.now_utc
      AND t.trigger_time > k.now_utc - :lookback_hours * INTERVAL '1' HOUR
),
pointings AS (
    SELECT o.ra AS pointing_ra, o.dec AS pointing_dec, o.start_time
    FROM followers.observations AS o
),
pairs AS (
    -- the recent triggers are few: they are the side copied to cells, fine or coarse
    SELECT r.*, p.*
    FROM sky_fine_cells(recent, reach_deg) AS r
    JOIN pointings AS p
      ON sky_cell(p.pointing_ra, p.pointing_dec) = r.cell
     AND (p.start_time IS NULL OR p.start_time >= r.trigger_time)
    UNION ALL
    SELECT r.*, p.*
    FROM sky_coarse_cells(recent, reach_deg) AS r
    JOIN pointings AS p
      ON sky_coarse_cell(p.pointing_ra, p.pointing_dec) = r.cell
     AND (p.start_time IS NULL OR p.start_time >= r.trigger_time)
),
answered AS (
    SELECT DISTINCT a.observatory, a.trigger_id
    FROM pairs AS a
    WHERE sky_distance_arcsec(a.ra, a.dec, a.pointing_ra, a.pointing_dec) <= a.match_radius_arcsec
)
SELECT
    r.observatory,
    r.trigger_id,
    r.trigger_name,
    r.trigger_time,
    r.significance,
    r.ra,
    r.dec,
    r.err_radius_arcsec,
    round((to_unixtime(r.now_utc) - to_unixtime(r.trigger_time)) / 3600e0, 2) AS hours_since_trigger
FROM recent AS r
LEFT JOIN answered AS a
  ON a.observatory = r.observatory
 AND a.trigger_id = r.trigger_id
WHERE a.trigger_id IS NULL
ORDER BY r.trigger_time DESC, r.observatory, r.trigger_id
