"""The registry hub's server: the FastAPI app (``app.py``) and the uvicorn runner (``server.py``)."""
