-- name: cross_observatory_objects
-- version: 6
-- description: >
--   Objects observed by both observatories: Swift targets (positions from
--   XRT and UVOT, the arcsecond instruments) matched to Chandra sources within
--   the combined error radius, with every name each observatory uses for the
--   object (V404 Cygni is V404CYG, V404_CYG, V404 CYG and SWIFT J2025.5+3340
--   at Swift). Matching joins 0.2 degree sky cells on one key (each Chandra
--   source copied only to the cells its largest possible match circle
--   touches), then the exact haversine. Positions are the mean direction of
--   each object's points (right across RA 0/360).
-- owner: analytics
-- params:
--   match_factor: {type: double, default: 1.0, min: 0, max: 100, description: multiple of the combined 90% error radius}
--   min_radius_arcsec: {type: double, default: 2.0, min: 0, max: 3600, description: floor of the match radius (arcsec)}
WITH swift_targets AS (
    SELECT
        m.target_name,
        sky_mean_ra(m.ra, m.dec) AS ra,
        sky_mean_dec(m.ra, m.dec) AS dec,
        min(m.err_radius_arcsec) AS err_arcsec,
        count(*) AS points
    FROM swift.measurements AS m
    WHERE m.instrument IN ('XRT', 'UVOT')
    GROUP BY m.target_name
),
swift_cells AS (
    SELECT
        s.*,
        CAST(floor((s.dec + 90) / 0.2e0) AS bigint) * 1800 + CAST(floor(s.ra / 0.2e0) AS bigint) AS cell
    FROM swift_targets AS s
),
swift_error AS (
    -- no Swift target's error exceeds its largest point error: a bound for every match radius
    SELECT max(m.err_radius_arcsec) AS max_err_arcsec
    FROM swift.measurements AS m
    WHERE m.instrument IN ('XRT', 'UVOT')
),
chandra_sources AS (
    SELECT
        d.source_name,
        sky_mean_ra(d.ra, d.dec) AS ra,
        sky_mean_dec(d.ra, d.dec) AS dec,
        min(d.err_radius_arcsec) AS err_arcsec,
        count(*) AS detections,
        min(d.target_name) AS chandra_target
    FROM chandra.detections AS d
    GROUP BY d.source_name
),
chandra_reach AS (
    -- the largest match radius any Swift target could give, in degrees, a hair wider
    SELECT
        c.*,
        greatest(
            0e0,
            :min_radius_arcsec,
            abs(:match_factor) * sqrt(power(c.err_arcsec, 2) + power(e.max_err_arcsec, 2))
        ) / 3600e0 + 1e-6 AS reach_deg
    FROM chandra_sources AS c
    CROSS JOIN swift_error AS e
),
chandra_boxes AS (
    SELECT
        c.*,
        CAST(floor((c.dec - c.reach_deg + 90) / 0.2e0) AS bigint) AS zone_lo,
        CAST(floor((c.dec + c.reach_deg + 90) / 0.2e0) AS bigint) AS zone_hi,
        CAST(floor((c.ra - ra_reach_deg(c.dec, c.reach_deg)) / 0.2e0) AS bigint) AS ra_lo,
        CAST(floor((c.ra + ra_reach_deg(c.dec, c.reach_deg)) / 0.2e0) AS bigint) AS ra_hi
    FROM chandra_reach AS c
),
chandra_cells AS (
    SELECT
        c.source_name,
        c.chandra_target,
        c.ra,
        c.dec,
        c.err_arcsec,
        c.detections,
        z.zone * 1800 + mod(r.ra_cell + 1800, 1800) AS cell
    FROM chandra_boxes AS c
    CROSS JOIN UNNEST(sequence(c.zone_lo, c.zone_hi)) AS z(zone)
    -- at most the 1800 cells of the whole circle of RA, each once
    CROSS JOIN UNNEST(sequence(c.ra_lo, least(c.ra_hi, c.ra_lo + 1799))) AS r(ra_cell)
),
pairs AS (
    SELECT
        c.source_name,
        c.chandra_target,
        c.ra,
        c.dec,
        c.detections,
        s.target_name AS swift_target,
        s.points AS swift_points,
        sky_distance_arcsec(c.ra, c.dec, s.ra, s.dec) AS separation_arcsec,
        greatest(:min_radius_arcsec, :match_factor * sqrt(power(c.err_arcsec, 2) + power(s.err_arcsec, 2)))
            AS match_radius_arcsec
    FROM swift_cells AS s
    JOIN chandra_cells AS c
      ON c.cell = s.cell
)
SELECT
    source_name AS chandra_source,
    min(chandra_target) AS chandra_target,
    round(min(ra), 6) AS ra,
    round(min(dec), 6) AS dec,
    array_join(array_sort(array_agg(swift_target)), ' | ') AS swift_names,
    count(*) AS swift_targets,
    sum(swift_points) AS swift_points,
    min(detections) AS chandra_detections,
    round(max(separation_arcsec), 3) AS max_separation_arcsec
FROM pairs
WHERE separation_arcsec <= match_radius_arcsec
GROUP BY source_name
ORDER BY source_name
