-- How many times a message was attempted, for the ticket's notifications list.
ALTER TABLE notifications ADD COLUMN attempts integer NOT NULL DEFAULT 1;
