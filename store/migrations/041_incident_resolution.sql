-- An incident handled as one (issue 22): the solution and root cause its linked tickets were resolved with.
ALTER TABLE incidents ADD COLUMN solution text;
ALTER TABLE incidents ADD COLUMN root_cause jsonb;
