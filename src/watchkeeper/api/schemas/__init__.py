"""API schemas, one pydantic model per purpose (create, public, update), one module per
resource; `errors` holds the error body every answer that is not 2xx carries."""
