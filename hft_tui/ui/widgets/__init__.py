"""The workstation's panels, one module each."""
