-- name: bursts_awaiting_followup
-- version: 6
-- description: >
--   What a duty scientist watches: significant triggers from the last hours
--   that no follow-up observatory (in any status, scheduled included) has yet
--   pointed at. The clock is `as_of`, or the newest trigger when `as_of` is
--   later than it (the default), so replayed data reads naturally. Pass
--   `followers` to ask about particular observatories: Swift's own XRT
--   answers most of its BAT triggers within minutes.
-- owner: analytics
-- params:
--   lookback_hours: {type: double, default: 168, above: 0, max: 876000, description: how far back to look (hours)}
--   min_significance: {type: double, default_from: analytics.burst_detection_threshold, min: 0, max: 1, description: minimum trigger significance}
--   as_of: {type: timestamp, default: '2100-01-01T00:00:00', description: the moment to look from (UTC)}
--   sources: {type: observatories, kinds: [triggers], description: observatories whose triggers are watched (default every one with triggers)}
--   followers: {type: observatories, kinds: [observations], description: observatories whose pointings answer a trigger (default every one with observations)}
WITH clock AS (
    SELECT least(:as_of, max(t.trigger_time)) AS now_utc FROM sources.triggers AS t
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
        k.now_utc
    FROM sources.triggers AS t
    CROSS JOIN clock AS k
    WHERE t.significance >= :min_significance
      AND t.trigger_time <= k.now_utc
      AND t.trigger_time > k.now_utc - :lookback_hours * INTERVAL '1' HOUR
),
recent_cells AS (
    -- the recent triggers are few: they are the side copied to neighbouring cells
    SELECT
        r.*,
        sky_zone(r.dec) + z.dz AS zone,
        mod(sky_ra_cell(r.ra) + c.dra + sky_ra_cells(), sky_ra_cells()) AS ra_cell
    FROM recent AS r
    CROSS JOIN UNNEST(sequence(-1, 1)) AS z(dz)
    CROSS JOIN UNNEST(sequence(
        -ra_cells_reached(r.dec),
        ra_cells_reached(r.dec)
    )) AS c(dra)
),
pointings AS (
    SELECT
        o.ra,
        o.dec,
        o.start_time,
        sky_zone(o.dec) AS zone,
        sky_ra_cell(o.ra) AS ra_cell
    FROM followers.observations AS o
),
answered AS (
    SELECT DISTINCT r.observatory, r.trigger_id
    FROM recent_cells AS r
    JOIN pointings AS p
      ON p.zone = r.zone
     AND p.ra_cell = r.ra_cell
     AND (p.start_time IS NULL OR p.start_time >= r.trigger_time)
    WHERE sky_distance_arcsec(r.ra, r.dec, p.ra, p.dec) <= sqrt(power(r.err_radius_arcsec, 2) + 1)
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
