-- name: engine_parity
-- version: 2
-- description: >
--   Angular separations and follow-up delays between well-known X-ray
--   sources, written in the Trino SQL the analytics use (haversine, interval
--   arithmetic, epoch seconds, integer division of sky cells). Both engines
--   must give the same rows; a divergence means the DuckDB translation broke.
-- owner: platform
-- params:
--   window_hours:
--     type: double
--     default: 168
--     above: 0
--     max: 8760
--     description: follow-up window after the reference epoch, in hours
--   reference_time:
--     type: timestamp
--     default: 2015-06-15T18:31:00
--     description: reference epoch (V404 Cygni's 2015 outburst trigger, UTC)
WITH sources (name, ra, dec, hpx, observed_at) AS (
    VALUES
        ('V404 Cyg', CAST(306.0159 AS double), CAST(33.8672 AS double),
            CAST(957487450 AS bigint), TIMESTAMP '2015-06-16 09:12:00.000000'),
        ('Cyg X-1', CAST(299.5903 AS double), CAST(35.2016 AS double),
            CAST(958975252 AS bigint), TIMESTAMP '2015-06-20 02:00:00.000000'),
        ('Crab', CAST(83.6331 AS double), CAST(22.0145 AS double),
            CAST(1585026358 AS bigint), TIMESTAMP '2015-07-01 00:00:00.000000')
),
pairs AS (
    SELECT
        a.name AS source_a,
        b.name AS source_b,
        2 * asin(sqrt(
            power(sin(radians(b.dec - a.dec) / 2), 2)
            + cos(radians(a.dec)) * cos(radians(b.dec)) * power(sin(radians(b.ra - a.ra) / 2), 2)
        )) AS separation_rad,
        a.hpx / 256 AS a_cell_order10,  -- order 14 to order 10: hpx / 4^(14-10)
        b.hpx / 256 AS b_cell_order10,
        b.observed_at
    FROM sources AS a
    JOIN sources AS b ON a.name < b.name
)
SELECT
    source_a,
    source_b,
    round(degrees(separation_rad), 6) AS separation_deg,
    a_cell_order10,
    b_cell_order10,
    a_cell_order10 = b_cell_order10 AS same_cell,
    round((to_unixtime(observed_at) - to_unixtime(:reference_time)) / 3600e0, 3) AS delay_hours,
    to_unixtime(observed_at) <= to_unixtime(:reference_time) + :window_hours * 3600 AS in_window
FROM pairs
ORDER BY source_a, source_b
