"""The REST API (``/api/v1``), served together with the web pages by
:func:`phonelist.api.app.create_app`.

The package itself imports nothing: the web pages use ``phonelist.api.deps``, and
``phonelist.api.app`` includes the web pages' routers, so the app is imported from its module.
"""
