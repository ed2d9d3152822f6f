-- name: bursts_awaiting_followup
-- version: 5
-- description: >
--   What a duty scientist watches: significant Swift bursts from the last
--   hours that no Chandra observation (in any status, scheduled included) has
--   yet been pointed at. The clock is `as_of`, or the newest trigger when
--   `as_of` is later than it (the default), so replayed data reads naturally.
-- owner: analytics
-- params:
--   lookback_hours: {type: double, default: 168, above: 0, max: 876000, description: how far back to look (hours)}
--   min_significance: {type: double, default_from: analytics.burst_detection_threshold, min: 0, max: 1, description: minimum burst significance}
--   as_of: {type: timestamp, default: '2100-01-01T00:00:00', description: the moment to look from (UTC)}
WITH clock AS (
    SELECT least(:as_of, max(trigger_time)) AS now_utc FROM swift.bursts
),
recent AS (
    SELECT
        b.trigger_id,
        b.grb_name,
        b.trigger_time,
        b.ra,
        b.dec,
        b.err_radius_arcsec,
        b.significance,
        k.now_utc
    FROM swift.bursts AS b
    CROSS JOIN clock AS k
    WHERE b.significance >= :min_significance
      AND b.trigger_time <= k.now_utc
      AND b.trigger_time > k.now_utc - :lookback_hours * INTERVAL '1' HOUR
),
recent_cells AS (
    -- the recent bursts are few: they are the side copied to neighbouring cells
    SELECT
        r.*,
        CAST(floor((r.dec + 90) / 0.2e0) AS bigint) + z.dz AS zone,
        mod(CAST(floor(r.ra / 0.2e0) AS bigint) + c.dra + 1800, 1800) AS ra_cell
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
        CAST(floor((o.dec + 90) / 0.2e0) AS bigint) AS zone,
        CAST(floor(o.ra / 0.2e0) AS bigint) AS ra_cell
    FROM chandra.observations AS o
),
answered AS (
    SELECT DISTINCT r.trigger_id
    FROM recent_cells AS r
    JOIN pointings AS p
      ON p.zone = r.zone
     AND p.ra_cell = r.ra_cell
     AND (p.start_time IS NULL OR p.start_time >= r.trigger_time)
    WHERE sky_distance_arcsec(r.ra, r.dec, p.ra, p.dec) <= sqrt(power(r.err_radius_arcsec, 2) + 1)
)
SELECT
    r.trigger_id,
    r.grb_name,
    r.trigger_time,
    r.significance,
    r.ra,
    r.dec,
    r.err_radius_arcsec,
    round((to_unixtime(r.now_utc) - to_unixtime(r.trigger_time)) / 3600e0, 2) AS hours_since_trigger
FROM recent AS r
WHERE r.trigger_id NOT IN (SELECT a.trigger_id FROM answered AS a)
ORDER BY r.trigger_time DESC, r.trigger_id
