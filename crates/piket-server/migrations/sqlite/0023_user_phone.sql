-- A user's phone number as typed (issue #19: beside the conversation, for staff who call back).
ALTER TABLE users ADD COLUMN phone TEXT;
