"""HTTP layer of the gateway: the app (``_app``), the error mapping (``_handlers``), body limits
(``_limits``), API keys (``_auth``), the service functions the routes call (``_service``),
``Annotated`` dependencies (``deps``) and one thin module per resource (``routes/``)."""
