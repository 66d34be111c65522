-- Dead device tokens per provider and platform, last 30 days: push sends the provider rejected
-- because the token is gone (TOKEN_UNREGISTERED: APNs 410, FCM 404 UNREGISTERED) or malformed
-- (BAD_DEVICE_TOKEN: APNs 400). devices counts distinct token hashes; each was also published
-- on device-token-invalidations. A high bad_device_token count often means an APNs
-- sandbox/production mix-up.
-- Run: psql "$NOTIFLOW_PSQL_URL" -f sql/queries/dead_tokens.sql
SELECT
    provider,
    platform,
    count(*) FILTER (WHERE reason = 'TOKEN_UNREGISTERED')   AS token_unregistered,
    count(*) FILTER (WHERE reason = 'BAD_DEVICE_TOKEN')     AS bad_device_token,
    count(*)                                                AS dead_token_failures,
    count(DISTINCT device)                                  AS devices,
    count(DISTINCT user_id)                                 AS users
FROM deliveries
WHERE final_at >= now() - interval '30 days'
  AND status = 'FAILED'
  AND reason IN ('TOKEN_UNREGISTERED', 'BAD_DEVICE_TOKEN')
GROUP BY provider, platform
ORDER BY dead_token_failures DESC, provider, platform;
