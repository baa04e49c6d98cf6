"""Modal screens: help, parameter editing, re-arm, quit confirmation."""
