-- The report's collaboration figures (issue 23): the period's requests, found by their time on the timeline.
CREATE INDEX ticket_events_collaboration_idx ON ticket_events (at) WHERE type = 'collaboration_requested';
