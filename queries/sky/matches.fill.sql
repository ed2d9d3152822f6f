-- name: kept_matches
-- version: 1
-- description: >
--   What sky.matches keeps (queries/sky/matches.sql): cross_observatory_objects'
--   pairs before its match radius, every catalogue source against every target
--   of another observatory within within_arcsec, targets placed by their points
--   with an error up to max_error_arcsec (the analytic's defaults), and the
--   count rows that tell it whether they still describe the tables. The same
--   objects, cells and haversine as the analytic, so that both give the same
--   pairs. Run with its defaults by the loader and `index rebuild`.
-- owner: analytics
-- params:
--   within_arcsec: {type: double, default: 30.0, above: 0, max: 3600, description: pairs kept up to this separation (arcsec)}
--   max_error_arcsec: {type: double, default: 20.0, above: 0, max: 3600, description: points with a larger position error place no target (arcsec)}
--   catalogues: {type: observatories, kinds: [detections], description: observatories whose detected sources are matched}
--   measured: {type: observatories, kinds: [measurements], description: observatories whose measured targets are matched to them}
WITH targets AS (
    SELECT
        m.observatory,
        m.target_name,
        sky_mean_ra(m.ra, m.dec) AS ra,
        sky_mean_dec(m.ra, m.dec) AS dec,
        min(m.err_radius_arcsec) AS err_arcsec,
        count(*) AS points
    FROM measured.measurements AS m
    WHERE m.err_radius_arcsec <= :max_error_arcsec
    GROUP BY m.observatory, m.target_name
),
target_cells AS (
    SELECT
        t.*,
        sky_cell(t.ra, t.dec) AS cell
    FROM targets AS t
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
    GROUP BY d.observatory, d.source_name
),
source_boxes AS (
    SELECT
        s.*,
        sky_zone(s.dec - r.reach_deg) AS zone_lo,
        sky_zone(s.dec + r.reach_deg) AS zone_hi,
        sky_ra_cell(s.ra - ra_reach_deg(s.dec, r.reach_deg)) AS ra_lo,
        sky_ra_cell(s.ra + ra_reach_deg(s.dec, r.reach_deg)) AS ra_hi
    FROM sources AS s
    -- a hair wider than the radius kept, as the analytic's reach
    CROSS JOIN (SELECT :within_arcsec / 3600e0 + 1e-6 AS reach_deg) AS r
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
        sky_cell_key(z.zone, c.ra_cell) AS cell
    FROM source_boxes AS s
    CROSS JOIN UNNEST(sequence(s.zone_lo, s.zone_hi)) AS z(zone)
    CROSS JOIN UNNEST(sequence(s.ra_lo, least(s.ra_hi, s.ra_lo + sky_ra_cells() - 1))) AS c(ra_cell)
),
pairs AS (
    SELECT
        s.observatory,
        s.source_name AS name,
        s.target_name,
        s.ra,
        s.dec,
        s.err_arcsec,
        s.detections AS points,
        t.observatory AS matched_observatory,
        t.target_name AS matched_name,
        t.points AS matched_points,
        t.err_arcsec AS matched_err_arcsec,
        sky_distance_arcsec(s.ra, s.dec, t.ra, t.dec) AS separation_arcsec
    FROM target_cells AS t
    JOIN source_cells AS s
      ON s.cell = t.cell
     AND s.observatory <> t.observatory
),
measured_counts AS (
    SELECT m.observatory, count(*) AS points
    FROM measured.measurements AS m
    GROUP BY m.observatory
),
target_errors AS (
    SELECT t.observatory, max(t.err_arcsec) AS err_arcsec
    FROM targets AS t
    GROUP BY t.observatory
),
source_counts AS (
    SELECT s.observatory, sum(s.detections) AS points, max(s.err_arcsec) AS err_arcsec
    FROM sources AS s
    GROUP BY s.observatory
)
SELECT
    'pair' AS kind,
    p.observatory,
    p.name,
    p.target_name,
    p.ra,
    p.dec,
    p.err_arcsec,
    p.points,
    p.matched_observatory,
    p.matched_name,
    p.matched_points,
    p.matched_err_arcsec,
    p.separation_arcsec,
    CAST(NULL AS double) AS within_arcsec,
    CAST(NULL AS double) AS max_error_arcsec
FROM pairs AS p
WHERE p.separation_arcsec <= :within_arcsec
UNION ALL
SELECT
    'measurements', c.observatory, NULL, NULL, NULL, NULL, e.err_arcsec, c.points,
    NULL, NULL, NULL, NULL, NULL, :within_arcsec, :max_error_arcsec
FROM measured_counts AS c
LEFT JOIN target_errors AS e ON e.observatory = c.observatory
UNION ALL
SELECT
    'detections', c.observatory, NULL, NULL, NULL, NULL, c.err_arcsec, c.points,
    NULL, NULL, NULL, NULL, NULL, :within_arcsec, :max_error_arcsec
FROM source_counts AS c
