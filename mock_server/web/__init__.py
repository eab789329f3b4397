"""The HTTP face of the fake: thin FastAPI routers over the domain."""
