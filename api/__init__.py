"""FastAPI app: integrators, handlers, supervisors, customers' feedback."""
