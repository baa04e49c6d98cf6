"""The Textual workstation. Only this package imports textual."""
