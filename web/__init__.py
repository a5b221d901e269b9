"""The served site: `create_app(settings)`, health checks and the `roster` command line."""
