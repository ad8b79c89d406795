"""The Temporal worker process: the workflows and activities it runs, bound to the process's resources."""
