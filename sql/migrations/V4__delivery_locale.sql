-- V4: the locale of the template a notification was rendered from.
--
-- Written by dev.notiflow.jdbc.DeliveryTableSink from the delivery record's locale: the locale
-- chosen after the fallback (the user's ko-KR, then ko, then templates.default-locale), or NULL
-- when no template was used (content built from the event's data) or nothing was rendered.
-- Rows written before this migration keep NULL. Never the message content.

ALTER TABLE deliveries ADD COLUMN locale TEXT;

COMMENT ON COLUMN deliveries.locale IS
    'Locale of the template used (after the ko-KR > ko > default fallback); NULL: no template.';
