-- Each user's time zone (issue #19): an IANA name or `UTC±HH:MM`; '' follows the organisation's
-- zone by choice; NULL has never chosen, so the pages offer the browser's zone once.
ALTER TABLE users ADD COLUMN time_zone TEXT;
