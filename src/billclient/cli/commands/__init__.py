"""One module per group of commands; each command is ``async def run_X(ctx) -> int``."""
