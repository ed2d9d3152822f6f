-- name: multi_wavelength_light_curve
-- version: 7
-- description: >
--   Time-ordered rates and fluxes, with errors, per observatory, instrument
--   and band, from every observatory with measurements or detections, for one
--   object given by position and radius (resolve a name first with
--   target_position, or use `plot light-curve --target NAME`). Goes through
--   the object's position in the points (the sky index where the stack keeps
--   one, docs/data.md): four HEALPix index ranges covering the circle prune
--   the hpx-sorted tables.
-- owner: analytics
-- params:
--   ra: {type: double, default: 306.0159, min: 0, below: 360, description: object RA (ICRS degrees); default V404 Cygni}
--   dec: {type: double, default: 33.8672, min: -90, max: 90, description: object Dec (ICRS degrees)}
--   radius_arcsec: {type: double, default: 10, above: 0, max: 36000, description: match radius (arcsec)}
--   start_time: {type: timestamp, default: '2000-01-01T00:00:00', description: from (UTC)}
--   end_time: {type: timestamp, default: '2100-01-01T00:00:00', min: start_time, description: until (UTC)}
--   observatories: {type: observatories, kinds: [points], description: observatories whose points are drawn (default every one with measurements or detections)}
WITH points AS (
    SELECT
        p.observatory,
        p.instrument,
        p.band,
        p.time_utc,
        p.exposure_s,
        p.rate,
        p.rate_error,
        p.flux_erg_cm2_s,
        p.flux_error,
        p.quality,
        p.ra,
        p.dec
    FROM observatories.points AS p
    WHERE in_cone_cover(p.hpx, :ra, :dec, :radius_arcsec)
      AND p.time_utc BETWEEN :start_time AND :end_time
)
SELECT
    observatory,
    instrument,
    band,
    time_utc,
    exposure_s,
    rate,
    rate_error,
    flux_erg_cm2_s,
    flux_error,
    quality
FROM points AS p
WHERE sky_distance_arcsec(:ra, :dec, p.ra, p.dec) <= :radius_arcsec
ORDER BY time_utc, observatory, instrument, band
