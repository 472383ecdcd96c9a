"""The HTTP face of the sandbox: Starlette app, auth, request plumbing and ``/v1`` routes."""
