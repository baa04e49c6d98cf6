"""One module per `hft-tui` subcommand, registered in ``hft_tui.cli.COMMANDS``."""
