"""Domain services: the business steps that routes, console pages, channels and the CLI all call."""
