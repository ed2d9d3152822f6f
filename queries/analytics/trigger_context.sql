-- name: trigger_context
-- version: 1
-- description: >
--   For each trigger named (every trigger by default), inside its error region
--   (its error radius, at most 10 degrees): every measurement and detection of
--   every observatory before the trigger (found = 'seen before', as
--   cone_search gives them), and every observation pointed there since it or
--   scheduled without a start (found = 'pointed since', as
--   pointings_in_circle gives them). A trigger with neither appears once with
--   empty columns. What an alert's insight asks of a whole batch of triggers
--   in one query: the regions join sky cells on one key (sky_fine_cells and
--   sky_coarse_cells: each trigger copied to the cells its region's bounding
--   box touches, 0.2 degree ones up to a degree, 6 degree ones beyond), then
--   the exact haversine decides; no Cartesian product.
-- owner: analytics
-- params:
--   triggers: {type: varchar, default: '', description: "triggers as observatory:trigger_id, separated by commas, e.g. swift:1234,fermi:5678 (empty: every trigger)"}
--   start_time: {type: timestamp, default: '2000-01-01T00:00:00', description: measurements and detections from (UTC)}
--   sources: {type: observatories, kinds: [triggers], description: observatories whose triggers are asked about (default every one with triggers)}
--   observatories: {type: observatories, kinds: [measurements, detections], description: observatories whose points count as seen before (default every one with measurements or detections)}
--   followers: {type: observatories, kinds: [observations], description: observatories whose pointings count (default every one with observations)}
WITH asked AS (
    SELECT
        t.observatory AS trigger_observatory,
        t.trigger_id,
        t.trigger_name,
        t.trigger_time,
        t.ra,
        t.dec,
        t.err_radius_arcsec,
        least(t.err_radius_arcsec, 36000e0) AS searched_arcsec
    FROM sources.triggers AS t
    WHERE :triggers = ''
       OR contains(split(:triggers, ','), t.observatory || ':' || CAST(t.trigger_id AS varchar))
),
circles AS (
    -- what a trigger is copied to cells by: its region, a hair (1e-6 degree) wider
    SELECT
        a.trigger_observatory,
        a.trigger_id,
        a.trigger_time,
        a.ra,
        a.dec,
        a.searched_arcsec,
        a.searched_arcsec / 3600e0 + 1e-6 AS reach_deg
    FROM asked AS a
),
things AS (
    -- what can be found in a region: points seen before a trigger, pointings since
    SELECT
        'seen before' AS found,
        m.observatory,
        m.observation_id AS observation,
        m.target_name AS name,
        m.instrument,
        m.band,
        CAST(NULL AS varchar) AS obs_type,
        CAST(NULL AS varchar) AS status,
        m.mid_time AS time_utc,
        CAST(NULL AS double) AS exposure_s,
        m.rate,
        m.ra AS point_ra,
        m.dec AS point_dec
    FROM observatories.measurements AS m
    WHERE m.mid_time >= :start_time
    UNION ALL
    SELECT
        'seen before' AS found,
        d.observatory,
        d.observation_id AS observation,
        d.source_name AS name,
        d.instrument,
        d.band,
        CAST(NULL AS varchar) AS obs_type,
        CAST(NULL AS varchar) AS status,
        d.mid_time AS time_utc,
        CAST(NULL AS double) AS exposure_s,
        d.rate,
        d.ra AS point_ra,
        d.dec AS point_dec
    FROM observatories.detections AS d
    WHERE d.mid_time >= :start_time
    UNION ALL
    SELECT
        'pointed since' AS found,
        o.observatory,
        o.observation_id AS observation,
        o.target_name AS name,
        o.instrument,
        CAST(NULL AS varchar) AS band,
        o.obs_type,
        o.status,
        o.start_time AS time_utc,
        o.exposure_s,
        CAST(NULL AS double) AS rate,
        o.ra AS point_ra,
        o.dec AS point_dec
    FROM followers.observations AS o
),
pairs AS (
    -- a region's cells are fine or coarse: each pair is found by one of the two joins
    -- (cells computed in the join, so that the other columns are only read for the pairs
    -- found); points count up to the trigger, pointings from it on (or scheduled)
    SELECT c.*, p.*
    FROM sky_fine_cells(circles, reach_deg) AS c
    JOIN things AS p
      ON sky_cell(p.point_ra, p.point_dec) = c.cell
     AND CASE WHEN p.found = 'seen before' THEN p.time_utc <= c.trigger_time
              ELSE p.time_utc IS NULL OR p.time_utc >= c.trigger_time END
    UNION ALL
    SELECT c.*, p.*
    FROM sky_coarse_cells(circles, reach_deg) AS c
    JOIN things AS p
      ON sky_coarse_cell(p.point_ra, p.point_dec) = c.cell
     AND CASE WHEN p.found = 'seen before' THEN p.time_utc <= c.trigger_time
              ELSE p.time_utc IS NULL OR p.time_utc >= c.trigger_time END
),
haversines AS (
    SELECT
        p.*,
        sky_haversine(p.ra, p.dec, p.point_ra, p.point_dec) AS haversine
    FROM pairs AS p
),
measured AS (
    -- sky_distance_arcsec in two steps, as cone_search and pointings_in_circle compute it
    SELECT
        h.*,
        haversine_arcsec(h.haversine) AS separation_arcsec
    FROM haversines AS h
),
inside AS (
    SELECT
        m.trigger_observatory,
        m.trigger_id,
        m.found,
        m.observatory,
        m.observation,
        m.name,
        m.instrument,
        m.band,
        m.obs_type,
        m.status,
        m.time_utc,
        m.exposure_s,
        m.rate,
        m.separation_arcsec
    FROM measured AS m
    WHERE m.separation_arcsec <= m.searched_arcsec
)
SELECT
    a.trigger_observatory,
    a.trigger_id,
    a.trigger_name,
    a.trigger_time,
    a.ra,
    a.dec,
    a.err_radius_arcsec,
    a.searched_arcsec,
    f.found,
    f.observatory,
    f.observation,
    f.name,
    f.instrument,
    f.band,
    f.obs_type,
    f.status,
    f.time_utc,
    f.exposure_s,
    f.rate,
    round(f.separation_arcsec, 3) AS separation_arcsec
FROM asked AS a
LEFT JOIN inside AS f
  ON f.trigger_observatory = a.trigger_observatory
 AND f.trigger_id = a.trigger_id
ORDER BY a.trigger_time, a.trigger_observatory, a.trigger_id, f.found DESC NULLS LAST,
    f.time_utc NULLS LAST, f.observatory, f.observation, f.instrument, f.band, f.name,
    separation_arcsec
