-- Issue 7: the weekly report counts the week's escalations without reading the whole timeline.
CREATE INDEX ticket_events_escalated_idx ON ticket_events (at) WHERE type = 'escalated';
