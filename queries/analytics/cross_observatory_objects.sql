-- name: cross_observatory_objects
-- version: 10
-- description: >
--   Objects more than one observatory observed: each catalogue source of a
--   detections table matched to the targets other observatories measured
--   (positions from points with arcsecond errors: a coded-mask instrument's
--   arcminutes, Swift BAT's, place no object), within the combined error
--   radius, with every name each observatory uses for the object (V404 Cygni
--   is V404CYG, V404_CYG, V404 CYG and SWIFT J2025.5+3340 at Swift).
--   Matching joins sky cells on one key (each source copied only to the cells
--   its largest possible match circle touches), then the exact haversine.
--   Positions are the mean direction of each object's points (right across
--   RA 0/360). Where the stack keeps the sky index, the pairs come from
--   sky.matches instead (queries/sky/matches.fill.sql: the same pairs, kept
--   after each load) while its counts equal the tables' and the parameters keep
--   every match inside the radius it was kept within; else from the points.
-- owner: analytics
-- params:
--   match_factor: {type: double, default: 1.0, min: 0, max: 100, description: multiple of the combined 90% error radius}
--   min_radius_arcsec: {type: double, default: 2.0, min: 0, max: 3600, description: floor of the match radius (arcsec)}
--   max_error_arcsec: {type: double, default: 20.0, above: 0, max: 3600, description: points with a larger position error place no target (arcsec)}
--   catalogues: {type: observatories, kinds: [detections], description: observatories whose detected sources are matched (default every one with detections)}
--   measured: {type: observatories, kinds: [measurements], description: observatories whose measured targets are matched to them (default every one with measurements)}
WITH live AS (
    -- the points each chosen table holds now, as sky.matches counts them
    SELECT 'measurements' AS kind, m.observatory, count(*) AS points
    FROM measured.measurements AS m
    GROUP BY m.observatory
    UNION ALL
    SELECT 'detections' AS kind, d.observatory, count(*) AS points
    FROM catalogues.detections AS d
    GROUP BY d.observatory
),
kept AS (
    -- one row when sky.matches answers: counted from the same points, targets placed as
    -- :max_error_arcsec asks, and no match radius beyond the radius its pairs were kept within
    SELECT 1 AS kept
    FROM live AS l
    LEFT JOIN sky.matches AS c
      ON c.kind = l.kind
     AND c.observatory = l.observatory
    HAVING count(*) > 0
       AND count(*) = count_if(c.points = l.points AND c.max_error_arcsec = :max_error_arcsec)
       AND greatest(
               :min_radius_arcsec,
               :match_factor * sqrt(
                   power(coalesce(max(CASE WHEN l.kind = 'detections' THEN c.err_arcsec END), 0e0), 2)
                   + power(coalesce(max(CASE WHEN l.kind = 'measurements' THEN c.err_arcsec END), 0e0), 2)
               )
           ) <= min(c.within_arcsec)
),
computed AS (
    -- one row when it does not: the pairs are computed from the points
    SELECT 1 AS computed
    WHERE NOT EXISTS (SELECT 1 FROM kept)
),
targets AS (
    SELECT
        m.observatory,
        m.target_name,
        sky_mean_ra(m.ra, m.dec) AS ra,
        sky_mean_dec(m.ra, m.dec) AS dec,
        min(m.err_radius_arcsec) AS err_arcsec,
        count(*) AS points
    FROM measured.measurements AS m
    CROSS JOIN computed
    WHERE m.err_radius_arcsec <= :max_error_arcsec
    GROUP BY m.observatory, m.target_name
),
target_cells AS (
    SELECT
        t.*,
        sky_cell(t.ra, t.dec) AS cell
    FROM targets AS t
),
target_error AS (
    -- no target's error exceeds its largest point error: a bound for every match radius
    SELECT max(m.err_radius_arcsec) AS max_err_arcsec
    FROM measured.measurements AS m
    CROSS JOIN computed
    WHERE m.err_radius_arcsec <= :max_error_arcsec
),
sources AS (
    SELECT
        d.observatory,
        d.source_name,
        sky_mean_ra(d.ra, d.dec) AS ra,
        sky_mean_dec(d.ra, d.dec) AS dec,
        min(d.err_radius_arcsec) AS err_arcsec,
        count(*) AS detections,
        min(d.target_name) AS target_name
    FROM catalogues.detections AS d
    CROSS JOIN computed
    GROUP BY d.observatory, d.source_name
),
source_reach AS (
    -- at least the largest match radius any target could give, in degrees, a hair wider
    -- (a sum of the two terms bounds the greater: greatest() is a CASE on DuckDB that
    -- evaluates its arguments twice)
    SELECT
        s.*,
        (
            :min_radius_arcsec
            + abs(:match_factor) * sqrt(power(s.err_arcsec, 2) + power(e.max_err_arcsec, 2))
        ) / 3600e0 + 1e-6 AS reach_deg
    FROM sources AS s
    CROSS JOIN target_error AS e
),
source_boxes AS (
    SELECT
        s.*,
        sky_zone(s.dec - s.reach_deg) AS zone_lo,
        sky_zone(s.dec + s.reach_deg) AS zone_hi,
        sky_ra_cell(s.ra - ra_reach_deg(s.dec, s.reach_deg)) AS ra_lo,
        sky_ra_cell(s.ra + ra_reach_deg(s.dec, s.reach_deg)) AS ra_hi
    FROM source_reach AS s
),
source_cells AS (
    SELECT
        s.observatory,
        s.source_name,
        s.target_name,
        s.ra,
        s.dec,
        s.err_arcsec,
        s.detections,
        sky_cell_key(z.zone, r.ra_cell) AS cell
    FROM source_boxes AS s
    CROSS JOIN UNNEST(sequence(s.zone_lo, s.zone_hi)) AS z(zone)
    -- at most the cells of the whole circle of RA, each once
    CROSS JOIN UNNEST(sequence(s.ra_lo, least(s.ra_hi, s.ra_lo + sky_ra_cells() - 1))) AS r(ra_cell)
),
pairs AS (
    SELECT
        s.observatory,
        s.source_name,
        s.target_name,
        s.ra,
        s.dec,
        s.detections,
        t.observatory AS target_observatory,
        t.target_name AS matched_name,
        t.points AS matched_points,
        sky_distance_arcsec(s.ra, s.dec, t.ra, t.dec) AS separation_arcsec,
        greatest(:min_radius_arcsec, :match_factor * sqrt(power(s.err_arcsec, 2) + power(t.err_arcsec, 2)))
            AS match_radius_arcsec
    FROM target_cells AS t
    JOIN source_cells AS s
      ON s.cell = t.cell
     AND s.observatory <> t.observatory
),
kept_pairs AS (
    SELECT
        p.observatory,
        p.name AS source_name,
        p.target_name,
        p.ra,
        p.dec,
        p.points AS detections,
        p.matched_observatory AS target_observatory,
        p.matched_name,
        p.matched_points,
        p.separation_arcsec,
        greatest(:min_radius_arcsec, :match_factor * sqrt(power(p.err_arcsec, 2) + power(p.matched_err_arcsec, 2)))
            AS match_radius_arcsec
    FROM sky.matches AS p
    CROSS JOIN kept
    WHERE p.kind = 'pair'
      AND p.observatory IN (SELECT l.observatory FROM live AS l WHERE l.kind = 'detections')
      AND p.matched_observatory IN (SELECT l.observatory FROM live AS l WHERE l.kind = 'measurements')
),
all_pairs AS (
    SELECT * FROM pairs
    UNION ALL
    SELECT * FROM kept_pairs
)
SELECT
    observatory,
    source_name,
    min(target_name) AS target_name,
    round(min(ra), 6) AS ra,
    round(min(dec), 6) AS dec,
    -- most sources match one other observatory: no list to sort for them
    CASE
        WHEN min(target_observatory) = max(target_observatory) THEN min(target_observatory)
        ELSE array_join(array_sort(array_distinct(array_agg(target_observatory))), ' | ')
    END AS matched_observatories,
    array_join(array_sort(array_agg(matched_name)), ' | ') AS matched_names,
    count(*) AS matched_targets,
    sum(matched_points) AS matched_points,
    min(detections) AS detections,
    round(max(separation_arcsec), 3) AS max_separation_arcsec
FROM all_pairs
WHERE separation_arcsec <= match_radius_arcsec
GROUP BY observatory, source_name
ORDER BY observatory, source_name
