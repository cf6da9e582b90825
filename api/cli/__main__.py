from api.cli import cli

cli()
