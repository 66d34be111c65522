-- Engagement funnel per day (UTC, of the send), category and channel, last 30 days.
--
-- sent: SENT notifications of that day; delivered, opened, clicked: those of them that reached
-- the step, counting a later step as reaching the earlier ones too (a click without an open
-- report was opened; an open without a delivery report was delivered), since apps and mail
-- clients report steps unreliably (no delivery receipt on iOS, images blocked in mail).
-- dismissed: those dismissed (outside the funnel). open_rate_pct = opened / sent,
-- click_rate_pct = clicked / sent, click_to_open_pct = clicked / opened.
-- Reports of notifications that have no SENT row (failed, skipped, unknown ids) are left out.
-- Run: psql "$NOTIFLOW_PSQL_URL" -f sql/queries/engagement_funnel.sql
SELECT
    (d.final_at AT TIME ZONE 'UTC')::date                                   AS day,
    d.category,
    d.channel,
    count(*)                                                                AS sent,
    count(*) FILTER (WHERE e.delivered OR e.opened OR e.clicked)            AS delivered,
    count(*) FILTER (WHERE e.opened OR e.clicked)                           AS opened,
    count(*) FILTER (WHERE e.clicked)                                       AS clicked,
    count(*) FILTER (WHERE e.dismissed)                                     AS dismissed,
    round(100.0 * count(*) FILTER (WHERE e.opened OR e.clicked)
          / count(*), 2)                                                    AS open_rate_pct,
    round(100.0 * count(*) FILTER (WHERE e.clicked) / count(*), 2)          AS click_rate_pct,
    round(100.0 * count(*) FILTER (WHERE e.clicked)
          / NULLIF(count(*) FILTER (WHERE e.opened OR e.clicked), 0), 2)    AS click_to_open_pct
FROM deliveries d
LEFT JOIN (
    SELECT notification_id,
           bool_or(event = 'delivered') AS delivered,
           bool_or(event = 'opened')    AS opened,
           bool_or(event = 'clicked')   AS clicked,
           bool_or(event = 'dismissed') AS dismissed
    FROM engagement
    GROUP BY notification_id
) e USING (notification_id)
WHERE d.status = 'SENT'
  AND d.final_at >= now() - interval '30 days'
GROUP BY day, d.category, d.channel
ORDER BY day, d.category, d.channel;
