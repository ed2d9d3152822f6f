-- description: >
--   The cross-match kept: every catalogue source (detections) within
--   within_arcsec of a target another observatory measured, with what
--   cross_observatory_objects needs of both, and one row per observatory and
--   point kind counting the points they were computed from. Declared with the
--   sky index (database.sky_index); filled by queries/sky/matches.fill.sql after
--   each load of a point kind and by `index rebuild`. cross_observatory_objects
--   reads it only while its counts equal the tables' and its parameters keep
--   every match within within_arcsec; otherwise it computes from the points
--   (docs/data.md, "The kept matches").
-- key: [kind, observatory, name, matched_observatory, matched_name]
-- sorted_by: [kind, observatory, name]
CREATE TABLE sky.matches (
    kind VARCHAR NOT NULL,               -- 'pair', or the point kind a count row counts
    observatory VARCHAR NOT NULL,        -- the source's (a pair), or the one counted
    name VARCHAR,                        -- the catalogue source
    target_name VARCHAR,                 -- the target its catalogue names (the first)
    ra DOUBLE,                           -- the source's mean direction (ICRS degrees)
    dec DOUBLE,
    err_arcsec DOUBLE,                   -- its smallest error; a count row: the largest object's
    points BIGINT,                       -- its detections; a count row: the points counted
    matched_observatory VARCHAR,         -- the target's
    matched_name VARCHAR,
    matched_points BIGINT,               -- the target's points with an error up to max_error_arcsec
    matched_err_arcsec DOUBLE,           -- the smallest of their errors
    separation_arcsec DOUBLE,            -- between the two mean directions
    within_arcsec DOUBLE,                -- a count row: the radius pairs were kept within
    max_error_arcsec DOUBLE              -- a count row: the largest error of a target's points
)
