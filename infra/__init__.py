"""What every package shares: settings, logging, the Temporal client, the search-attribute keys."""
