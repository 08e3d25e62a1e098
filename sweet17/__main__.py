from sweet17.entrypoints.cli.main import run

run()
